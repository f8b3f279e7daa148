import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectOpencode, readOpencodeDatabase, readOpencodeEvents } from '../src/adapters/opencode/import.js';
import { readHead } from '../src/adapters/import-util.js';
import { createAgentTracePlugin } from '../src/plugins/opencode.js';
import { buildTrace } from '../src/model/trace-builder.js';
import { tempDir } from './helpers/env.js';

const { DatabaseSync } = createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');

/** A database with opencode 1.18's session, message and part tables (the columns agent-trace reads). */
function makeDatabase(path: string): InstanceType<typeof DatabaseSync> {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`CREATE TABLE session (id text PRIMARY KEY, project_id text NOT NULL, parent_id text, slug text NOT NULL, directory text NOT NULL, title text NOT NULL, version text NOT NULL, time_created integer NOT NULL, time_updated integer NOT NULL);
    CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);
    CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL, time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);`);
  return db;
}

const T = Date.UTC(2026, 10, 29, 10, 0, 0);

function addTurn(db: InstanceType<typeof DatabaseSync>, session: string, n: number): void {
  const user = `msg_${n}a`;
  const assistant = `msg_${n}b`;
  db.prepare('INSERT INTO message VALUES (?, ?, ?, ?, ?)').run(user, session, T + n * 1000, T + n * 1000, JSON.stringify({ role: 'user', time: { created: T + n * 1000 } }));
  db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run(`prt_${n}a`, user, session, T, T, JSON.stringify({ type: 'text', text: `prompt ${n}` }));
  db.prepare('INSERT INTO message VALUES (?, ?, ?, ?, ?)').run(
    assistant,
    session,
    T + n * 1000 + 10,
    T + n * 1000 + 500,
    JSON.stringify({ role: 'assistant', parentID: user, modelID: 'm', providerID: 'p', time: { created: T + n * 1000 + 10, completed: T + n * 1000 + 500 }, tokens: { input: 10, output: 5, reasoning: 0, cache: { read: 100, write: 0 } } }),
  );
  db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run(`prt_${n}b`, assistant, session, T, T, JSON.stringify({ type: 'step-start' }));
  db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run(`prt_${n}c`, assistant, session, T, T, JSON.stringify({ type: 'text', text: `answer ${n}` }));
  db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run(`prt_${n}d`, assistant, session, T, T, JSON.stringify({ type: 'step-finish', reason: 'stop', tokens: { total: 115, input: 10, output: 5, reasoning: 0, cache: { read: 100, write: 0 } } }));
}

describe('opencode database (opencode.db)', () => {
  it('reads committed sessions read-only while opencode holds an open write, without changing the file', () => {
    const dir = tempDir('agent-trace-ocdb-');
    const path = join(dir, 'opencode.db');
    const db = makeDatabase(path);
    db.prepare('INSERT INTO session VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run('ses_1', 'global', null, 's', '/w', 'Tidy', '1.18.33', T, T);
    addTurn(db, 'ses_1', 1);
    expect(detectOpencode(path, readHead(path, 64))).toBe(true);
    db.exec('BEGIN IMMEDIATE');
    addTurn(db, 'ses_1', 2); // not committed yet: opencode is mid-write
    const before = readdirSync(dir).map((n) => [n, statSync(join(dir, n)).size, statSync(join(dir, n)).mtimeMs]);
    const sessions = readOpencodeDatabase(path);
    expect(readdirSync(dir).map((n) => [n, statSync(join(dir, n)).size, statSync(join(dir, n)).mtimeMs])).toEqual(before);
    expect(sessions.map((s) => s.sessionId)).toEqual(['ses_1']);
    const doc = buildTrace('ses_1', sessions[0]!.events).toDocument();
    expect(doc.spans.filter((s) => s.kind === 'turn').map((t) => t.input)).toEqual(['prompt 1']);
    expect(doc.summary.tokens).toMatchObject({ input: 10, output: 5, cacheRead: 100 });
    db.exec('COMMIT');
    const after = buildTrace('ses_1', readOpencodeDatabase(path, ['ses_1'])[0]!.events).toDocument();
    expect(after.spans.filter((s) => s.kind === 'turn').map((t) => t.input)).toEqual(['prompt 1', 'prompt 2']);
    expect(after.agent).toEqual({ name: 'opencode', version: '1.18.33' });
    db.close();
  });

  it('nests a task subagent session under its tool, also when one session is read for a catch-up', () => {
    const path = join(tempDir('agent-trace-ocdb-'), 'opencode.db');
    const db = makeDatabase(path);
    db.prepare('INSERT INTO session VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run('ses_a', 'global', null, 's', '/w', 'Parent', '1.18.33', T, T);
    db.prepare('INSERT INTO session VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run('ses_b', 'global', 'ses_a', 's2', '/w', 'Child', '1.18.33', T + 10, T + 10);
    addTurn(db, 'ses_a', 1);
    db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run('prt_1bz', 'msg_1b', 'ses_a', T, T, JSON.stringify({ type: 'tool', tool: 'task', callID: 'call_task', state: { status: 'completed', input: { subagent_type: 'explore', prompt: 'look' }, output: 'found', metadata: { sessionId: 'ses_b' }, time: { start: T + 1100, end: T + 1400 } } }));
    addTurn(db, 'ses_b', 2);
    db.close();
    for (const sessions of [readOpencodeDatabase(path), readOpencodeDatabase(path, ['ses_a'])]) {
      expect(sessions.map((s) => s.sessionId)).toEqual(['ses_a']);
      const doc = buildTrace('ses_a', sessions[0]!.events).toDocument();
      expect(doc.summary.subagents).toBe(1);
      expect(doc.summary.generations).toBe(2);
    }
  });

  it('gives nothing for a SQLite file that is not opencode’s', () => {
    const path = join(tempDir('agent-trace-ocdb-'), 'opencode.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE x (a)');
    db.close();
    expect(readOpencodeDatabase(path)).toEqual([]);
  });
});

describe('opencode bus events and plugin', () => {
  it('reads bare {id, type, properties} events (opencode 1.1x and later)', () => {
    const line = (type: string, properties: unknown, id: string) => JSON.stringify({ id, type, properties });
    const text = [
      line('session.created', { info: { id: 'ses_e', directory: '/w', title: 'x', version: '1.18.33', time: { created: T } } }, 'evt_1'),
      line('message.updated', { info: { id: 'msg_1', sessionID: 'ses_e', role: 'user', time: { created: T + 1 } } }, 'evt_2'),
      line('message.part.updated', { part: { id: 'prt_1', messageID: 'msg_1', sessionID: 'ses_e', type: 'text', text: 'hello' } }, 'evt_3'),
    ].join('\n');
    expect(detectOpencode('events.jsonl', text)).toBe(true);
    const [session] = readOpencodeEvents(text);
    expect(session?.sessionId).toBe('ses_e');
  });

  it('the plugin records lifecycle events to the spool, skips the rest and child sessions, and never throws', async () => {
    const dir = tempDir('agent-trace-plugin-');
    const hooks = await createAgentTracePlugin({ node: '/nonexistent/node', bin: '/nonexistent/bin.js', dir })({ directory: '/w' });
    await hooks.event({ event: { type: 'session.created', properties: { info: { id: 'ses_p', directory: '/w' } } } });
    await hooks.event({ event: { type: 'message.part.delta', properties: { sessionID: 'ses_p', delta: 'x' } } });
    await hooks.event({ event: { type: 'session.created', properties: { info: { id: 'ses_child', parentID: 'ses_p' } } } });
    await hooks.event({ event: { type: 'session.idle', properties: { sessionID: 'ses_child' } } });
    await hooks.event({ event: { type: 'session.idle', properties: { sessionID: 'ses_p' } } }); // starts a worker that cannot start: swallowed
    await hooks.event({ event: null as never });
    const files = readdirSync(join(dir, 'spool', 'opencode')).sort();
    expect(files.map((f) => f.replace(/^\d+-\d+-\d+-/, ''))).toEqual(['session.created.json', 'session.idle.json']);
    // An unwritable data folder: still nothing thrown.
    mkdirSync(join(dir, 'ro'), { mode: 0o500 });
    const broken = await createAgentTracePlugin({ node: 'node', bin: 'x', dir: join(dir, 'ro', 'sub', 'deeper') })({});
    await expect(broken.event({ event: { type: 'session.created', properties: { info: { id: 'ses_q' } } } })).resolves.toBeUndefined();
  });
});
