import { appendFileSync, cpSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../src/store/session-store.js';
import { TranscriptWriter } from './helpers/claude-code.js';
import { cli, fixturesDir, tempDir } from './helpers/env.js';

interface Imported {
  sessionId: string;
  traceFile: string;
  spans: number;
}

describe('import that skips unchanged inputs', () => {
  it('re-imports nothing that did not change, reads a changed file again, and restores a removed session', async () => {
    const input = tempDir();
    cpSync(join(fixturesDir, 'claude-code', 'transcripts'), input, { recursive: true });
    cpSync(join(fixturesDir, 'codex', 'agentlogs-crud.jsonl'), join(input, 'rollout-2025-01-01T00-00-00-crud.jsonl'));
    const dir = tempDir();
    const first = await cli(['import', input, '--json', '--dir', dir]);
    expect(first.code, first.stderr).toBe(0);
    const imported = JSON.parse(first.stdout) as Imported[];
    expect(imported.length).toBeGreaterThanOrEqual(5);
    const inode = (r: Imported) => statSync(r.traceFile).ino;
    const before = new Map(imported.map((r) => [r.sessionId, inode(r)]));

    const again = await cli(['import', input, '--dir', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`imported ${imported.length} session\\(s\\) .*\\(${imported.length} unchanged`));
    for (const r of imported) expect(inode(r), r.sessionId).toBe(before.get(r.sessionId));
    const json = JSON.parse((await cli(['import', input, '--json', '--dir', dir])).stdout) as Imported[];
    expect(json.map((r) => [r.sessionId, r.spans]).sort()).toEqual(imported.map((r) => [r.sessionId, r.spans]).sort());

    // One input changes (a new modification time): only its session is written again.
    const changed = join(input, 'short.jsonl');
    const later = new Date(Date.now() + 1000);
    utimesSync(changed, later, later);
    const third = JSON.parse((await cli(['import', input, '--json', '--dir', dir])).stdout) as Imported[];
    const rewritten = third.filter((r) => inode(r) !== before.get(r.sessionId)).map((r) => r.sessionId);
    expect(rewritten.length).toBe(1);

    // A session removed from the store (pruned) is imported again although its input did not change.
    const store = new SessionStore(dir);
    const gone = imported.find((r) => !rewritten.includes(r.sessionId))!;
    rmSync(store.folder(gone.sessionId), { recursive: true });
    const fourth = await cli(['import', input, '--json', '--dir', dir]);
    expect(fourth.code).toBe(0);
    expect(store.load(gone.sessionId)?.spans.length).toBe(gone.spans);
    expect(readdirSync(join(dir, 'sessions')).length).toBe(imported.length);
  });

  it('reads a transcript again when one of its subagent files changes, or a new one appears', async () => {
    const input = tempDir();
    const t = Date.parse('2026-01-10T10:00:00Z');
    const sessionId = '11111111-1111-4111-8111-111111111111';
    const agentFile = (agentId: string) => join(input, sessionId, 'subagents', `agent-${agentId}.jsonl`);
    const w = new TranscriptWriter(join(input, `${sessionId}.jsonl`), sessionId, t, '/home/u/alpha');
    w.prompt('explore the repo');
    w.response('msg_1', [{ tool: { id: 'toolu_task', name: 'Task', input: { description: 'explore', prompt: 'Explore', subagent_type: 'Explore' } } }], { input: 5, output: 30, cacheRead: 0, cacheWrite: 0 });
    const subagent = (agentId: string, text: string) => {
      const sub = new TranscriptWriter(agentFile(agentId), sessionId, w.now + 10, '/home/u/alpha');
      sub.write({ type: 'user', isSidechain: true, agentId, message: { role: 'user', content: 'Explore' } });
      sub.response(`msg_${agentId}`, [{ text }], { input: 3, output: 20, cacheRead: 0, cacheWrite: 0 }, 'claude-haiku-4-5-20251001', { isSidechain: true, agentId });
    };
    subagent('a1', 'Done exploring.');
    w.tick(2_000);
    w.toolResult('toolu_task', 'Done exploring.', false, { status: 'completed', agentId: 'a1', prompt: 'Explore' });
    w.response('msg_3', [{ text: 'Fixed.' }], { input: 4, output: 12, cacheRead: 0, cacheWrite: 0 });
    new TranscriptWriter(join(input, '22222222-2222-4222-8222-222222222222.jsonl'), '22222222-2222-4222-8222-222222222222', t, '/home/u/beta').prompt('another one');
    const dir = tempDir();
    const first = JSON.parse((await cli(['import', input, '--json', '--dir', dir])).stdout) as Imported[];
    expect(first.length).toBe(2);
    const generations = () => new SessionStore(dir).load(sessionId)!.summary.generations;
    expect(generations()).toBe(3);

    appendFileSync(agentFile('a1'), ''); // same bytes, new time: read again
    const later = new Date(Date.now() + 1000);
    utimesSync(agentFile('a1'), later, later);
    expect((await cli(['import', input, '--dir', dir])).stdout).toMatch(/\(1 unchanged/);

    subagent('a2', 'A second look.'); // a subagent file that did not exist before
    const third = await cli(['import', input, '--dir', dir]);
    expect(third.stdout).toMatch(/\(1 unchanged/);
    expect(generations()).toBe(4);
  });
});
