import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSessionTracer } from '../src/tracer/session-tracer.js';
import { readJournal } from '../src/store/journal.js';
import { SessionStore } from '../src/store/session-store.js';
import { spanIdFor } from '../src/model/ids.js';
import { repoRoot, run, spawnTracked, tempDir, waitForLine } from './helpers/env.js';

const appendChild = join(repoRoot, 'test/fixtures/append-child.mjs');
const tracerChild = join(repoRoot, 'test/fixtures/tracer-child.mjs');

describe('many processes, one session', () => {
  it('16 processes appending at once lose and duplicate nothing, and the trace is consistent', async () => {
    const dir = tempDir();
    const sessionId = 'shared-session';
    const workers = 16;
    const perWorker = 40;
    const results = await Promise.all(
      Array.from({ length: workers }, (_, w) => run(process.execPath, [appendChild, dir, sessionId, String(w), String(perWorker)])),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const store = new SessionStore(dir);
    const { events, skipped } = readJournal(store.journalPath(sessionId));
    expect(skipped).toBe(0);
    expect(events.length).toBe(workers * perWorker * 2);
    const doc = store.load(sessionId)!;
    const tools = doc.spans.filter((s) => s.kind === 'tool');
    expect(tools.length).toBe(workers * perWorker);
    expect(new Set(tools.map((t) => t.spanId)).size).toBe(tools.length);
    expect(tools.every((t) => t.endTime !== undefined && t.status === 'ok')).toBe(true);
    for (let w = 0; w < workers; w++) {
      for (let i = 0; i < perWorker; i++) expect(tools.some((t) => t.spanId === spanIdFor(sessionId, 'tool', `w${w}-t${i}`))).toBe(true);
    }
    // The file on disk agrees with the journal (the last materialization saw everything).
    const onDisk = JSON.parse(readFileSync(store.tracePath(sessionId), 'utf8'));
    expect(onDisk.summary.toolCalls).toBe(workers * perWorker);
  });
});

describe('SIGKILL at any instant', () => {
  it('never leaves a torn trace.json, recovers every accepted event, and does not pile up temp files', async () => {
    const dir = tempDir();
    const sessionId = 'killed-session';
    const store = new SessionStore(dir);
    let reads = 0;
    let acceptedTotal = 0;
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      const child = spawnTracked(process.execPath, [tracerChild, dir, sessionId, 'stream'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let accepted = 0;
      let buffer = '';
      child.stdout!.on('data', (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('accepted ')) accepted = Number(line.slice(9));
      });
      const target = 30 + Math.floor(Math.random() * 120);
      // Keep reading trace.json while the child writes snapshot after snapshot.
      await new Promise<void>((resolveRound) => {
        const poll = () => {
          const path = store.tracePath(sessionId);
          if (existsSync(path)) {
            const text = readFileSync(path, 'utf8');
            expect(() => JSON.parse(text), `torn read #${reads}`).not.toThrow();
            reads++;
          }
          if (accepted >= target) {
            child.kill('SIGKILL');
            resolveRound();
          } else setImmediate(poll);
        };
        poll();
      });
      await new Promise((r) => child.once('exit', r));
      acceptedTotal += accepted;
      // Every call the child reported as recorded is in the rebuilt trace.
      const doc = store.load(sessionId)!;
      const tools = doc.spans.filter((s) => s.kind === 'tool');
      for (let n = 0; n < accepted; n++) expect(tools.some((t) => t.spanId === spanIdFor(sessionId, 'tool', `tool-${n}`))).toBe(true);
    }
    expect(reads).toBeGreaterThan(50);
    expect(acceptedTotal).toBeGreaterThan(rounds * 30);
    // The next process on the session sweeps what killed writers left behind.
    const tracer = createSessionTracer({ dir, sessionId });
    await tracer.end();
    const leftovers = readdirSync(store.folder(sessionId)).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });
});

describe('continue, never clobber', () => {
  it('a new process on a killed session keeps the traceId and every span, closing open work as interrupted', async () => {
    const dir = tempDir();
    const sessionId = 'resumed-session';
    const child = spawnTracked(process.execPath, [tracerChild, dir, sessionId, 'open'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await waitForLine(child, /^ready$/);
    const store = new SessionStore(dir);
    const before = store.load(sessionId)!;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const tracer = createSessionTracer({ dir, sessionId });
    tracer.userPrompt('carry on');
    await tracer.end();
    const after = store.load(sessionId)!;
    expect(after.traceId).toBe(before.traceId);
    for (const span of before.spans) expect(after.spans.some((s) => s.spanId === span.spanId)).toBe(true);
    const gen = after.spans.find((s) => s.spanId === spanIdFor(sessionId, 'generation', 'gen-open'))!;
    const tool = after.spans.find((s) => s.spanId === spanIdFor(sessionId, 'tool', 'tool-open'))!;
    for (const span of [gen, tool]) {
      expect(span.endTime).toBeDefined();
      expect(span.status).toBe('unset');
      expect(span.attributes['agent_trace.interrupted']).toBe(true);
    }
    expect(after.summary.toolErrors).toBe(0);
    expect(after.summary.turns).toBe(2);
    expect(after.status).toBe('completed');
  });
});

describe('crash handling in a real process', () => {
  it('an uncaught exception is recorded as a crash and the process still dies as Node would', async () => {
    const dir = tempDir();
    const r = await run(process.execPath, [tracerChild, dir, 's-throw', 'throw']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('agent blew up');
    const store = new SessionStore(dir);
    expect(existsSync(join(store.folder('s-throw'), 'crashed'))).toBe(true);
    const onDisk = JSON.parse(readFileSync(store.tracePath('s-throw'), 'utf8'));
    expect(onDisk.status).toBe('crashed');
    expect(onDisk.spans[0].statusMessage).toContain('agent blew up');
  });

  it.each([['alone'], ['beside signal-exit']])('a signal is recorded as a crash and still terminates the process (%s)', async (variant) => {
    const dir = tempDir();
    const env = { ...process.env, ...(variant === 'alone' ? {} : { LOAD_SIGNAL_EXIT: '1' }) };
    const child = spawnTracked(process.execPath, [tracerChild, dir, 's-signal', 'signal'], { stdio: ['ignore', 'pipe', 'inherit'], env });
    await waitForLine(child, /^ready$/);
    child.kill('SIGTERM');
    const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (c, s) => r([c, s])));
    expect(signal).toBe('SIGTERM');
    expect(new SessionStore(dir).readTraceFile('s-signal')?.status).toBe('crashed');
  });

  it('exiting without end() leaves the session interrupted, with every event on disk', async () => {
    const dir = tempDir();
    const r = await run(process.execPath, [tracerChild, dir, 's-exit', 'exit']);
    expect(r.code).toBe(0);
    const onDisk = new SessionStore(dir).readTraceFile('s-exit')!;
    expect(onDisk.status).toBe('interrupted');
    expect(onDisk.summary.toolCalls).toBe(1);
  });
});
