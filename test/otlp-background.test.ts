import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnBackgroundExport } from '../exporters/otlp/background.js';
import { readWatermark } from '../exporters/otlp/watermark.js';
import type { EventInput } from '../src/events/types.js';
import { SessionStore } from '../src/store/session-store.js';
import { createSessionTracer } from '../src/tracer/session-tracer.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { cleanEnv, cli, repoRoot, runNode, tempDir, writeConfig } from './helpers/otlp-session.js';

let receiver: OtlpReceiver;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // The in-process tracer reads the config file and OTEL_* of this process: keep the user's out.
  for (const k of Object.keys(process.env)) {
    if (k.startsWith('OTEL_') || k === 'AGENT_TRACE_CONFIG' || k === 'AGENT_TRACE_DIR') {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  }
});
afterAll(async () => {
  await receiver.close();
  for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  delete process.env.AGENT_TRACE_CONFIG;
});
beforeEach(() => receiver.reset());

/** What the Claude Code hook has recorded by the time a turn finished (Stop): the session itself still runs. */
function finishedTurn(sessionId: string, turn: number, t0 = 1_760_000_000_000): EventInput[] {
  const t = t0 + turn * 10_000;
  const e = (dt: number, x: Record<string, unknown>) => ({ sessionId, time: t + dt, source: 'hook', ...x }) as unknown as EventInput;
  const events = [
    e(1, { type: 'turn.start', prompt: `prompt ${turn}`, key: `turn-${turn}` }),
    e(2, { type: 'tool.start', key: `toolu_${turn}_a`, name: 'Read', input: { file_path: '/x' } }),
    e(3, { type: 'tool.end', key: `toolu_${turn}_a`, output: 'contents' }),
    e(4, { type: 'tool.start', key: `toolu_${turn}_b`, name: 'Bash', input: { command: 'ls' } }),
    e(5, { type: 'tool.end', key: `toolu_${turn}_b`, output: 'a b c' }),
    e(6, { type: 'turn.end', key: `turn-${turn}` }),
  ];
  if (turn === 1) events.unshift(e(0, { type: 'session.start', agent: { name: 'claude-code' }, reason: 'startup' }));
  return events;
}

/** Starts a background export as the hook does; resolves when that export process has ended. */
function backgroundExport(dir: string, sessionId: string, env: NodeJS.ProcessEnv): { spawned: boolean; ended: Promise<number | null>; hasEnded: () => boolean } {
  let ended = false;
  let done!: (code: number | null) => void;
  const promise = new Promise<number | null>((resolve) => (done = resolve));
  const spawned = spawnBackgroundExport({ dir, sessionId, env, onExit: (code) => ((ended = true), done(code)) });
  return { spawned, ended: promise, hasEnded: () => ended };
}

/** The export of a session whose start this test cannot observe is over: every span acknowledged, its lock released. */
async function exportSettled(dir: string, sessionId: string, spans: number): Promise<void> {
  const folder = join(dir, 'sessions', sessionId);
  await receiver.waitFor(() => readWatermark(folder, receiver.url).sent.size >= spans && !existsSync(join(folder, 'export.lock')), 15_000);
}

function setup(sessionId: string, config: unknown = { otlp: { endpoint: receiver.baseUrl } }) {
  const dir = tempDir();
  const store = new SessionStore(dir);
  const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir, config) });
  return { dir, store, env };
}

describe('background export (the hook path)', () => {
  it('returns at once; the finished turn reaches the collector; the open session span waits for the end', async () => {
    const { dir, store, env } = setup('bg-1');
    store.append(finishedTurn('bg-1', 1) as unknown[]);
    const first = backgroundExport(dir, 'bg-1', env);
    expect(first.spawned).toBe(true);
    // the hook returns before the export has done anything: it runs in its own process
    expect(first.hasEnded()).toBe(false);
    expect(receiver.requests).toHaveLength(0);
    expect(await first.ended).toBe(0);
    expect(receiver.spans.length).toBeGreaterThanOrEqual(3);
    const doc = store.load('bg-1')!;
    const root = doc.spans.find((s) => s.kind === 'session')!;
    expect(root.endTime).toBeUndefined();
    expect(new Set(receiver.spans.map((s) => s.spanId))).toEqual(new Set(doc.spans.filter((s) => s.endTime !== undefined).map((s) => s.spanId)));

    // the next turn, then the end of the session: each export sends only what is new
    store.append(finishedTurn('bg-1', 2) as unknown[]);
    await backgroundExport(dir, 'bg-1', env).ended;
    expect(receiver.spans.length).toBeGreaterThanOrEqual(6);
    store.append([{ type: 'session.end', sessionId: 'bg-1', time: 1_760_000_100_000, status: 'completed' }]);
    await backgroundExport(dir, 'bg-1', env).ended;
    const final = store.load('bg-1')!;
    expect(receiver.spans).toHaveLength(final.spans.length);
    expect(receiver.duplicates()).toEqual([]);
    expect(receiver.spans.find((s) => s.parentSpanId === null)!.spanId).toBe(root.spanId);
    expect(existsSync(join(dir, 'agent-trace.log'))).toBe(false);
  });

  it('parallel background exports of one session (concurrent hooks) never duplicate', async () => {
    const { dir, store, env } = setup('bg-par');
    store.append(finishedTurn('bg-par', 1) as unknown[]);
    store.append(finishedTurn('bg-par', 2) as unknown[]);
    receiver.latencyMs = 30;
    const exports = Array.from({ length: 6 }, () => backgroundExport(dir, 'bg-par', env).ended);
    const doc = store.load('bg-par')!;
    const finished = doc.spans.filter((s) => s.endTime !== undefined).length;
    await Promise.all(exports);
    expect(receiver.spans).toHaveLength(finished);
    expect(receiver.duplicates()).toEqual([]);
  });

  it('a failing collector: the failure goes to the log, nothing is marked sent, the next export sends it once', async () => {
    const { dir, store, env } = setup('bg-fail', { otlp: { endpoint: receiver.baseUrl, timeoutMs: 300 } });
    store.append(finishedTurn('bg-fail', 1) as unknown[]);
    receiver.setDefault(500);
    expect(await backgroundExport(dir, 'bg-fail', { ...env, AGENT_TRACE_EXPORT_RETRIES: '1' }).ended).toBe(1);
    const log = join(dir, 'agent-trace.log');
    expect(readFileSync(log, 'utf8')).toContain('background export');
    expect(readFileSync(log, 'utf8')).toContain(`cannot export to ${receiver.url}`);
    expect(receiver.spans).toHaveLength(0);
    expect(readWatermark(store.folder('bg-fail'), receiver.url).sent.size).toBe(0);

    receiver.setDefault('ok');
    expect(await backgroundExport(dir, 'bg-fail', env).ended).toBe(0);
    expect(receiver.spans).toHaveLength(3);
  });
});

describe('in-process tracer export (BatchSpanProcessor)', () => {
  it('streams finished spans while the session runs, flushes on end(); a later CLI export finds nothing new', async () => {
    const dir = tempDir();
    process.env.AGENT_TRACE_CONFIG = writeConfig(dir);
    const tracer = createSessionTracer({
      dir,
      sessionId: 'tracer-otlp',
      agent: 'my-agent',
      snapshotDelayMs: 0,
      otlp: { endpoint: receiver.url, scanDelayMs: 5, scheduledDelayMillis: 5 },
    });
    const turn = tracer.userPrompt('hello');
    const gen = tracer.modelCallStart({ model: 'gpt-5', provider: 'openai' });
    tracer.modelCallFinish(gen, { usage: { input: 10, output: 5 }, text: 'calling a tool' });
    const tool = tracer.toolStart({ name: 'search', input: { q: 'otlp' } });
    tracer.toolFinish(tool, { output: { hits: 3 } });
    // before end(): the finished model call and tool arrive through the batch processor
    await receiver.waitForSpans(2);
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(['chat gpt-5', 'execute_tool search']);
    tracer.turnEnd({ key: turn });
    await tracer.end();
    const doc = tracer.document();
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(receiver.duplicates()).toEqual([]);
    const root = receiver.spans.find((s) => s.parentSpanId === null)!;
    expect(root).toMatchObject({ name: 'hello', traceId: tracer.traceId }); // named by the session's title
    expect(root.status.code).toBe(1);
    expect(readWatermark(join(dir, 'sessions', 'tracer-otlp'), receiver.url).sent.size).toBe(doc.spans.length);

    const again = await cli(['export', 'tracer-otlp', '--dir', dir, '--endpoint', receiver.url], {
      env: cleanEnv({ AGENT_TRACE_CONFIG: process.env.AGENT_TRACE_CONFIG }),
    });
    expect(again.stdout).toMatch(/^nothing new to export/);
    expect(receiver.spans).toHaveLength(doc.spans.length);
  });

  it('takes the endpoint from the config file; `otlp: false` and `otlp.auto: false` turn it off', async () => {
    const dir = tempDir();
    process.env.AGENT_TRACE_CONFIG = writeConfig(dir, { otlp: { endpoint: receiver.baseUrl } });
    const on = createSessionTracer({ dir, sessionId: 'cfg-on', snapshotDelayMs: 0 });
    on.toolFinish(on.toolStart({ name: 'x' }));
    await on.end();
    expect(receiver.spans.length).toBe(on.document().spans.length);

    receiver.reset();
    const off = createSessionTracer({ dir, sessionId: 'cfg-off', snapshotDelayMs: 0, otlp: false });
    off.toolFinish(off.toolStart({ name: 'x' }));
    await off.end();
    process.env.AGENT_TRACE_CONFIG = writeConfig(dir, { otlp: { endpoint: receiver.baseUrl, auto: false } });
    const noAuto = createSessionTracer({ dir, sessionId: 'cfg-no-auto', snapshotDelayMs: 0 });
    noAuto.toolFinish(noAuto.toolStart({ name: 'x' }));
    await noAuto.end(); // end() sends what is left when export is on: once it resolves, nothing more comes
    expect(receiver.requests).toHaveLength(0);
  });

  it('a collector that is down never breaks the agent; the spans go out with the next export', async () => {
    const dir = tempDir();
    process.env.AGENT_TRACE_CONFIG = writeConfig(dir);
    const errors: unknown[] = [];
    receiver.setDefault('refuse');
    const tracer = createSessionTracer({
      dir,
      sessionId: 'down-tracer',
      snapshotDelayMs: 0,
      onError: (e) => errors.push(e),
      otlp: { endpoint: receiver.url, timeoutMs: 200, scanDelayMs: 5, scheduledDelayMillis: 5 },
    });
    tracer.toolFinish(tracer.toolStart({ name: 'x' }));
    await expect(tracer.end()).resolves.toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'agent-trace.log'), 'utf8')).toMatch(/cannot export to/);
    expect(receiver.spans).toHaveLength(0);

    receiver.setDefault('ok');
    const later = await cli(['export', 'down-tracer', '--dir', dir, '--endpoint', receiver.url], {
      env: cleanEnv({ AGENT_TRACE_CONFIG: process.env.AGENT_TRACE_CONFIG }),
    });
    expect(later.code).toBe(0);
    expect(receiver.spans).toHaveLength(tracer.document().spans.length);
    expect(receiver.duplicates()).toEqual([]);
  });

  it.each(['crash', 'exit'] as const)('%s without end(): a background export started by the dying process sends every finished span once', async (mode) => {
    const dir = tempDir();
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir) });
    const child = await runNode([join(repoRoot, 'test/fixtures/otlp-tracer-child.mjs'), dir, `child-${mode}`, mode, receiver.url], { env });
    expect(child.code).toBe(mode === 'crash' ? 1 : 0);
    const store = new SessionStore(dir);
    const doc = store.load(`child-${mode}`)!;
    expect(doc.status).toBe(mode === 'crash' ? 'crashed' : 'interrupted');
    expect(doc.spans.every((s) => s.endTime !== undefined)).toBe(true);
    await exportSettled(dir, `child-${mode}`, doc.spans.length);
    expect(receiver.duplicates()).toEqual([]);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    const root = receiver.spans.find((s) => s.parentSpanId === null)!;
    if (mode === 'crash') expect(root.status.code).toBe(2);
  });
});
