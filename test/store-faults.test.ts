import { once } from 'node:events';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../src/events/types.js';
import { TraceBuilder } from '../src/model/trace-builder.js';
import { writeFileAtomicSync } from '../src/store/atomic-write.js';
import { applyRetention } from '../src/store/retention.js';
import { SessionStore } from '../src/store/session-store.js';
import { buildViewerApp } from '../viewer/server/app.js';
import { binPath, cli, spawnTracked, tempDir } from './helpers/env.js';

const T0 = 1_700_000_000_000;

function events(sessionId: string, start = T0, ended = true): AgentEvent[] {
  const list: AgentEvent[] = [
    { type: 'session.start', sessionId, time: start, agent: { name: 'test-agent' } },
    { type: 'turn.start', sessionId, time: start + 1, prompt: `prompt of ${sessionId}` },
    { type: 'tool.start', sessionId, time: start + 2, key: 'k1', name: 'Bash', input: { command: 'ls' } },
    { type: 'tool.end', sessionId, time: start + 3, key: 'k1', output: 'a b' },
  ];
  if (ended) list.push({ type: 'session.end', sessionId, time: start + 4 });
  return list;
}

function journalSize(store: SessionStore, id: string): number {
  return statSync(store.journalPath(id)).size;
}

describe('fault 1: a torn journal tail', () => {
  it('does not swallow the next accepted event: the append starts on a fresh line, the torn line is reported', () => {
    const store = new SessionStore(tempDir());
    store.append(events('torn', T0, false));
    appendFileSync(store.journalPath('torn'), '{"type":"tool.start","sessionId":"torn","ti'); // a write cut short
    store.append([{ type: 'tool.start', sessionId: 'torn', time: T0 + 10, key: 'k2', name: 'Read', input: { file_path: '/a' } }]);
    const doc = store.load('torn')!;
    expect(doc.spans.filter((s) => s.kind === 'tool').map((s) => s.name)).toEqual(['execute_tool Bash', 'execute_tool Read']);
    expect(store.summary('torn')?.journal.skippedLines).toBe(1);
  });

  it('a torn session.end leaves a completed trace completed, and reads do not rebuild over and over', () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    const list = events('ended', T0, false);
    store.append(list);
    // The in-process writer built its trace from memory, the session end included, but the end's journal write was torn.
    const builder = new TraceBuilder('ended');
    for (const e of [...list, { type: 'session.end', sessionId: 'ended', time: T0 + 4 } as AgentEvent]) builder.apply(e);
    store.writeTrace(builder, journalSize(store, 'ended'));
    appendFileSync(store.journalPath('ended'), '{"type":"session.end","sessionId":"ended","time":17');
    expect(store.load('ended')?.status).toBe('completed');
    const before = statSync(store.tracePath('ended')).ino;
    expect(store.load('ended')?.status).toBe('completed');
    expect(store.summaries().map((d) => d.header.status)).toEqual(['completed']);
    expect(statSync(store.tracePath('ended')).ino).toBe(before); // not rewritten by a read
  });
});

describe('fault 3: a trace.json of the wrong shape', () => {
  it('is rebuilt from the journal for list, show, prune and export planning; show never prints {}', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    store.append([...events('good-one', T0), ...events('bad-shape', T0 + 1000)]);
    store.materialize('good-one');
    store.materialize('bad-shape');
    writeFileAtomicSync(store.tracePath('bad-shape'), '{}');
    const list = await cli(['list', '--json', '--dir', dir]);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ sessionId: string }>).map((e) => e.sessionId).sort()).toEqual(['bad-shape', 'good-one']);
    const show = await cli(['show', 'bad-s', '--json', '--dir', dir]);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).spans.length).toBeGreaterThan(1);
    const dry = await cli(['export', '--all', '--dry-run', '--json', '--dir', dir]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).sessions.length).toBe(2);
    const prune = await cli(['prune', '--max-sessions', '1', '--dry-run', '--json', '--dir', dir]);
    expect(prune.code, prune.stderr).toBe(0);
    expect(JSON.parse(prune.stdout).removed).toEqual(['good-one']);
  });

  it('without a journal, is skipped with a named warning; show fails naming it', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    store.append(events('good-one', T0));
    store.materialize('good-one');
    const folder = join(dir, 'sessions', 'foreign');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'trace.json'), '{"sessionId":"foreign"}');
    const list = await cli(['list', '--json', '--dir', dir]);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ sessionId: string }>).map((e) => e.sessionId)).toEqual(['good-one']);
    expect(list.stderr).toMatch(/foreign/);
    const show = await cli(['show', 'foreign', '--dir', dir]);
    expect(show.code).toBe(1);
    expect(show.stderr).toMatch(/foreign.*trace\.json/);
  });

  it('the viewer lists a session rebuilt from its journal instead of dropping it', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    store.append(events('bad-shape', T0));
    store.materialize('bad-shape');
    writeFileAtomicSync(store.tracePath('bad-shape'), '{}');
    const { app } = await buildViewerApp({ store, port: 7600 });
    try {
      const res = await app.inject({ url: '/api/sessions', headers: { host: '127.0.0.1:7600' } });
      expect((res.json() as Array<{ sessionId: string }>).map((e) => e.sessionId)).toEqual(['bad-shape']);
      const one = await app.inject({ url: '/api/sessions/bad-shape', headers: { host: '127.0.0.1:7600' } });
      expect(one.statusCode).toBe(200);
      expect(one.json().total).toBeGreaterThan(1);
    } finally {
      await app.close();
    }
  });
});

describe('fault 4: the viewer and a folder seen before its first event', () => {
  it('reads the folder again once its journal appears', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    store.append(events('first', T0));
    const { app } = await buildViewerApp({ store, port: 7600 });
    try {
      const get = (url: string) => app.inject({ url, headers: { host: '127.0.0.1:7600' } });
      expect((await get('/api/sessions')).json().length).toBe(1);
      mkdirSync(store.folder('late'), { recursive: true }); // the folder exists, its first event not yet
      expect((await get('/api/sessions')).json().length).toBe(1);
      store.append(events('late', T0 + 5000));
      expect(((await get('/api/sessions')).json() as Array<{ sessionId: string }>).map((e) => e.sessionId)).toEqual(['late', 'first']);
      expect((await get('/api/sessions/late')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('corrupt lines and future dates', () => {
  it('show reports skipped journal lines, and the log names them', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    store.append(events('corrupt', T0, false));
    appendFileSync(store.journalPath('corrupt'), 'not json at all\n');
    store.append([{ type: 'session.end', sessionId: 'corrupt', time: T0 + 9 }]);
    const show = await cli(['show', 'corrupt', '--dir', dir]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/1 unreadable journal line/);
    expect(show.stdout).toMatch(/completed/);
    expect(readFileSync(join(dir, 'agent-trace.log'), 'utf8')).toMatch(/corrupt.*1 unreadable/);
  });

  it('an event dated years ahead does not keep a session from retention', () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    const now = Date.now();
    const old = now - 90 * 86_400_000;
    store.append([...events('old-one', old), ...events('future', old)]);
    store.append([{ type: 'turn.start', sessionId: 'future', time: now + 10 * 365 * 86_400_000, prompt: 'from the future' }, { type: 'session.end', sessionId: 'future', time: old + 10 }]);
    for (const id of ['old-one', 'future']) {
      store.materialize(id);
      const at = new Date(old);
      utimesSync(store.journalPath(id), at, at);
    }
    expect(store.summary('future')?.futureDated).toBe(true);
    const result = applyRetention(store, { maxAgeDays: 30, dryRun: true, now });
    expect(result.removed.sort()).toEqual(['future', 'old-one']);
  });
});

describe('fault 2: one trace.json over 512 MiB', () => {
  it('is streamed (show, export) or refused by name (viewer), and never breaks a command about other sessions', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    store.append([...events('small-one', T0), ...events('huge-one', T0 + 1000)]);
    store.materialize('small-one');
    store.materialize('huge-one');
    // The huge session's trace.json: its own header, then tool spans with 8 MiB outputs, 520 MiB in all —
    // past the longest string V8 can make, so nothing may read it as one string.
    const doc = store.load('huge-one')!;
    const { spans, ...header } = doc;
    const path = store.tracePath('huge-one');
    const fd = openSync(`${path}.gen`, 'w');
    writeSync(fd, `${JSON.stringify(header).slice(0, -1)},"spans":[${spans.map((s) => JSON.stringify(s)).join(',')}`);
    const output = 'x'.repeat(8 * 1024 * 1024);
    for (let i = 0; i < 65; i++) {
      const input = i === 64 ? { file_path: '/big/haystackneedle.ts' } : undefined;
      writeSync(fd, `,${JSON.stringify({ spanId: (0x1000 + i).toString(16).padStart(16, '0'), parentSpanId: spans[0]!.spanId, name: 'execute_tool Read', kind: 'tool', startTime: T0 + 1000 + i, endTime: T0 + 1001 + i, status: 'ok', attributes: { 'gen_ai.tool.name': 'Read' }, input, output })}`);
    }
    writeSync(fd, ']}');
    closeSync(fd);
    renameSync(`${path}.gen`, path);
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(512 * 1024 * 1024);
    const summary = JSON.parse(readFileSync(join(store.folder('huge-one'), 'summary.json'), 'utf8'));
    writeFileSync(join(store.folder('huge-one'), 'summary.json'), JSON.stringify({ ...summary, traceBytes: size }));

    const list = await cli(['list', '--json', '--dir', dir]);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ sessionId: string }>).map((e) => e.sessionId)).toEqual(['huge-one', 'small-one']);
    expect((await cli(['show', 'small', '--dir', dir])).code).toBe(0);
    const show = await cli(['show', 'huge', '--dir', dir]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/Read 65, Bash 1/); // the spans streamed one at a time
    // --json streams the file out unchanged, never as one string.
    const out = join(dir, 'out.json');
    const outFd = openSync(out, 'w');
    const child = spawnTracked(process.execPath, [binPath, 'show', 'huge-one', '--json', '--dir', dir], { stdio: ['ignore', outFd, 'pipe'] });
    const [code] = (await once(child, 'exit')) as [number];
    closeSync(outFd);
    expect(code).toBe(0);
    expect(statSync(out).size).toBe(size + 1);
    const dry = await cli(['export', '--all', '--dry-run', '--json', '--dir', dir]);
    expect(dry.code, dry.stderr).toBe(0);
    // The export reads it span by span instead of refusing it: all 65 big tool spans would be sent.
    const planned = JSON.parse(dry.stdout).sessions as Array<{ sessionId: string; pending: number; spans: Array<{ name: string }> }>;
    expect(planned.map((s) => s.sessionId).sort()).toEqual(['huge-one', 'small-one']);
    const huge = planned.find((s) => s.sessionId === 'huge-one')!;
    expect(huge.spans.filter((s) => s.name === 'execute_tool Read')).toHaveLength(65);
    expect(huge.pending).toBe(huge.spans.length);
    expect(dry.stderr).toBe('');
    // search reads it span by span too: a word in its last span is found.
    const found = await cli(['search', 'haystackneedle', '--json', '--dir', dir]);
    expect(found.code, found.stderr).toBe(0);
    expect((JSON.parse(found.stdout) as { sessions: Array<{ facts: { sessionId: string } }> }).sessions.map((s) => s.facts.sessionId)).toEqual(['huge-one']);
    const { app } = await buildViewerApp({ store, port: 7600 });
    try {
      const get = (url: string) => app.inject({ url, headers: { host: '127.0.0.1:7600' } });
      expect((await get('/api/sessions')).json().length).toBe(2);
      const refused = await get('/api/sessions/huge-one');
      expect(refused.statusCode).toBe(413);
      expect(refused.json().error).toMatch(/huge-one/);
      expect((await get('/api/sessions/small-one')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
