import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventInput } from '../../src/events/types.js';
import type { TraceDocument } from '../../src/model/trace.js';
import { SessionStore } from '../../src/store/session-store.js';
import { run, type RunResult } from './env.js';

/** Helpers for the OTLP tests: sessions written through the real store, config files, a clean environment. */

export { binPath, cli, libPath, repoRoot, tempDir, type RunResult } from './env.js';

/** An empty config file (so the user's real config never leaks into a test) or the given one. */
export function writeConfig(dir: string, config: unknown = {}): string {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Environment for a child CLI: no OTEL_* from the outside, a test config file, fast retries. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('AGENT_TRACE_')) env[k] = v;
  env.NO_COLOR = '1';
  env.AGENT_TRACE_EXPORT_BACKOFF_MS = '20';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `node ARGS…` to completion. */
export function runNode(args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  return run(process.execPath, args, options);
}

const T0 = 1_760_000_000_000.25;

/**
 * A realistic finished session: two turns, model calls with usage (cache reads and writes), a tool with
 * JSON input and output, a failing tool, a Task subagent with its own model call and tool, a compaction,
 * a notification and a permission request, then a clean end. Times carry sub-millisecond fractions.
 */
export function richSessionEvents(sessionId: string, options: { end?: boolean; t0?: number } = {}): EventInput[] {
  const t = options.t0 ?? T0;
  const e = (dt: number, event: Record<string, unknown>) => ({ sessionId, time: t + dt, source: 'hook', ...event }) as unknown as EventInput;
  const events: EventInput[] = [
    e(0, { type: 'session.start', agent: { name: 'claude-code', version: '2.1.38' }, cwd: '/work/project', model: 'claude-sonnet-4-5', provider: 'anthropic', reason: 'startup' }),
    e(10.5, { type: 'turn.start', prompt: 'Fix the failing test in parser.ts', key: 'turn-1' }),
    e(20, { type: 'generation.start', key: 'msg-1', model: 'claude-sonnet-4-5', provider: 'anthropic' }),
    e(1520.125, {
      type: 'generation.end',
      key: 'msg-1',
      model: 'claude-sonnet-4-5',
      responseId: 'msg_01ABC',
      finishReasons: ['tool_use'],
      usage: { input: 12, output: 340, cacheRead: 20_000, cacheWrite: 1_500 },
      output: { text: 'Let me read the file.' },
    }),
    e(1530, { type: 'tool.start', key: 'toolu_read', name: 'Read', input: { file_path: '/work/project/parser.ts' } }),
    e(1580.75, { type: 'tool.end', key: 'toolu_read', output: 'export function parse() {}' }),
    e(1590, { type: 'tool.start', key: 'toolu_bash', name: 'Bash', input: { command: 'npm test' } }),
    e(1600, { type: 'permission', message: 'Claude needs your permission to use Bash', toolKey: 'toolu_bash' }),
    e(2600, { type: 'tool.end', key: 'toolu_bash', error: 'exit code 1', errorType: 'tool_error', output: 'FAIL parser.test.ts' }),
    e(2610, { type: 'tool.start', key: 'toolu_task', name: 'Task', input: { description: 'investigate', subagent_type: 'Explore' } }),
    e(2620, { type: 'subagent.start', key: 'agent-1', agentType: 'Explore', parentToolKey: 'toolu_task', prompt: 'investigate' }),
    e(2630, { type: 'generation.start', key: 'msg-sub', model: 'claude-haiku-4-5', agentKey: 'agent-1' }),
    e(3630, { type: 'generation.end', key: 'msg-sub', model: 'claude-haiku-4-5', agentKey: 'agent-1', usage: { input: 100, output: 50 } }),
    e(3640, { type: 'tool.start', key: 'toolu_grep', name: 'Grep', input: { pattern: 'parse' }, agentKey: 'agent-1' }),
    e(3700, { type: 'tool.end', key: 'toolu_grep', output: 'parser.ts:1', agentKey: 'agent-1' }),
    e(3800, { type: 'subagent.end', key: 'agent-1', status: 'ok', output: 'found it' }),
    e(3810, { type: 'tool.end', key: 'toolu_task', output: 'found it' }),
    e(3900, { type: 'notification', message: 'Claude is waiting for your input' }),
    e(4000, { type: 'turn.end', key: 'turn-1', output: 'The test fails because parse() returns nothing.' }),
    e(5000, { type: 'compaction.end', key: 'compact-1', trigger: 'auto', tokensBefore: 150_000, tokensAfter: 20_000 }),
    e(6000, { type: 'turn.start', prompt: 'Now make it pass', key: 'turn-2' }),
    e(6010, { type: 'generation.start', key: 'msg-2', model: 'claude-sonnet-4-5' }),
    e(7010, { type: 'generation.end', key: 'msg-2', model: 'claude-sonnet-4-5', usage: { input: 5, output: 120, cacheRead: 21_000 }, finishReasons: ['end_turn'] }),
    e(7020, { type: 'turn.end', key: 'turn-2', output: 'Done.' }),
  ];
  if (options.end !== false) events.push(e(8000, { type: 'session.end', status: 'completed' }));
  return events;
}

export function writeSession(dir: string, sessionId: string, events: EventInput[]): { store: SessionStore; doc: TraceDocument } {
  const store = new SessionStore(dir);
  store.append(events as unknown[]);
  const doc = store.load(sessionId)!;
  return { store, doc };
}

/** A finished session of `n` small tool spans (for volume tests). */
export function manyToolEvents(sessionId: string, n: number, t0 = T0): EventInput[] {
  const events: Record<string, unknown>[] = [
    { type: 'session.start', agent: { name: 'bulk' } },
    { type: 'turn.start', prompt: 'bulk', key: 'turn-bulk' },
  ];
  for (let i = 0; i < n; i++) {
    events.push({ type: 'tool.start', key: `t${i}`, name: 'Bash', input: { i } });
    events.push({ type: 'tool.end', key: `t${i}`, output: `ok ${i}` });
  }
  events.push({ type: 'turn.end', key: 'turn-bulk' });
  events.push({ type: 'session.end', status: 'completed' });
  return events.map((e, i) => ({ sessionId, time: t0 + i, source: 'sdk', ...e }) as unknown as EventInput);
}
