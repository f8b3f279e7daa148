import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../src/events/types.js';
import { InvalidEventError, validateEvent } from '../src/events/validate.js';
import { buildTrace } from '../src/model/trace-builder.js';
import { spanIdFor, traceIdFor } from '../src/model/ids.js';
import type { TraceDocument, TraceSpan } from '../src/model/trace.js';

const S = 'session-1';
const T0 = 1_700_000_000_000;

/** A small but complete session: prompt, model calls, parallel tools, a subagent, compaction, a failure, end. */
function sessionEvents(): AgentEvent[] {
  const e = (time: number, event: Record<string, unknown>) => ({ sessionId: S, time: T0 + time, source: 'sdk', ...event }) as AgentEvent;
  return [
    e(0, { type: 'session.start', agent: { name: 'claude-code', version: '2.1.0' }, cwd: '/repo', gitBranch: 'main', provider: 'anthropic' }),
    e(10, { type: 'turn.start', prompt: 'Fix the failing test\nand explain', key: 't1' }),
    e(20, { type: 'generation.start', key: 'msg_1', model: 'claude-sonnet-4-5' }),
    e(900, {
      type: 'generation.end',
      key: 'msg_1',
      usage: { input: 10, output: 300, cacheRead: 5000, cacheWrite: 200 },
      output: { text: 'Running the tests', toolCalls: [{ id: 'tu_1', name: 'Bash' }] },
      finishReasons: ['tool_use'],
      responseId: 'msg_1',
    }),
    e(1000, { type: 'tool.start', key: 'tu_1', name: 'Bash', input: { command: 'npm test' } }),
    e(1001, { type: 'tool.start', key: 'tu_2', name: 'Read', input: { file_path: '/repo/a.ts' } }),
    e(1500, { type: 'tool.end', key: 'tu_2', output: 'contents' }),
    e(2000, { type: 'tool.end', key: 'tu_1', error: 'exit code 1', output: '1 failing' }),
    e(2100, { type: 'tool.start', key: 'tu_3', name: 'Task', input: { subagent_type: 'Explore', prompt: 'find it' } }),
    e(2110, { type: 'subagent.start', key: 'agent_a', agentType: 'Explore' }),
    e(2200, { type: 'generation.end', key: 'msg_sub', startTime: T0 + 2120, agentKey: 'agent_a', model: 'claude-haiku-4-5', usage: { input: 50, output: 20 } }),
    e(2300, { type: 'tool.end', key: 'tu_sub', startTime: T0 + 2210, name: 'Grep', agentKey: 'agent_a', output: 'a.ts:1' }),
    e(2400, { type: 'subagent.end', key: 'agent_a' }),
    e(2500, { type: 'tool.end', key: 'tu_3', output: 'found' }),
    e(2600, { type: 'tool.start', key: 'tu_4', name: 'Edit', input: { file_path: '/repo/a.ts', old_string: 'a', new_string: 'b' } }),
    e(2700, { type: 'permission', toolName: 'Edit', message: 'allow Edit?' }),
    e(2800, { type: 'tool.end', key: 'tu_4', output: 'ok' }),
    e(2900, { type: 'compaction.start', trigger: 'auto', tokensBefore: 150000 }),
    e(3000, { type: 'compaction.end', tokensAfter: 20000, summary: 'summary text' }),
    e(3100, { type: 'api.error', message: 'overloaded' }),
    e(3200, { type: 'turn.end', key: 't1', output: 'Fixed.' }),
    e(3300, { type: 'session.end' }),
  ];
}

function byKind(doc: TraceDocument, kind: TraceSpan['kind']): TraceSpan[] {
  return doc.spans.filter((s) => s.kind === kind);
}

function span(doc: TraceDocument, kind: string, key: string): TraceSpan {
  const id = spanIdFor(S, kind, key);
  const found = doc.spans.find((s) => s.spanId === id);
  if (!found) throw new Error(`no ${kind} span ${key}`);
  return found;
}

describe('trace reducer', () => {
  it('builds the documented trace: kinds, names, nesting, attributes, summary', () => {
    const doc = buildTrace(S, sessionEvents()).toDocument();
    expect(doc.schemaVersion).toBe(1);
    expect(doc.traceId).toBe(traceIdFor(S));
    expect(doc.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(doc.status).toBe('completed');
    expect(doc.title).toBe('Fix the failing test');
    expect(doc.agent).toEqual({ name: 'claude-code', version: '2.1.0' });
    expect(doc.models).toEqual(['claude-sonnet-4-5', 'claude-haiku-4-5']);
    expect(doc.endTime).toBe(T0 + 3300);

    const root = doc.spans.find((sp) => sp.kind === 'session')!;
    expect(root.kind).toBe('session');
    expect(root.parentSpanId).toBeNull();
    expect(root.name).toBe('invoke_agent claude-code');
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'claude-code',
      'gen_ai.conversation.id': S,
      'gen_ai.provider.name': 'anthropic',
      'session.id': S,
      'openinference.span.kind': 'AGENT',
    });

    const turn = span(doc, 'turn', 't1');
    expect(turn.parentSpanId).toBe(root.spanId);
    expect(turn.input).toBe('Fix the failing test\nand explain');
    expect(turn.output).toBe('Fixed.');
    expect(turn.attributes['openinference.span.kind']).toBe('CHAIN');

    const gen = span(doc, 'generation', 'msg_1');
    expect(gen.name).toBe('chat claude-sonnet-4-5');
    expect(gen.parentSpanId).toBe(turn.spanId);
    expect(gen.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.id': 'msg_1',
      'gen_ai.response.finish_reasons': ['tool_use'],
      'gen_ai.usage.input_tokens': 5210, // GenAI input includes cache reads and writes
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 5000,
      'gen_ai.usage.cache_creation.input_tokens': 200,
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'claude-sonnet-4-5',
      'llm.token_count.prompt': 5210,
      'llm.token_count.completion': 300,
      'llm.token_count.total': 5510,
      'llm.token_count.prompt_details.cache_read': 5000,
      'llm.token_count.prompt_details.cache_write': 200,
    });

    const bash = span(doc, 'tool', 'tu_1');
    expect(bash.name).toBe('execute_tool Bash');
    expect(bash.status).toBe('error');
    expect(bash.statusMessage).toBe('exit code 1');
    expect(bash.attributes).toMatchObject({
      'gen_ai.tool.name': 'Bash',
      'gen_ai.tool.call.id': 'tu_1',
      'gen_ai.tool.type': 'function',
      'openinference.span.kind': 'TOOL',
      'tool.name': 'Bash',
      'error.type': 'tool_error',
    });
    expect(bash.input).toEqual({ command: 'npm test' });

    const task = span(doc, 'tool', 'tu_3');
    const sub = span(doc, 'subagent', 'agent_a');
    expect(sub.name).toBe('invoke_agent Explore');
    expect(sub.parentSpanId).toBe(task.spanId);
    expect(span(doc, 'generation', 'msg_sub').parentSpanId).toBe(sub.spanId);
    expect(span(doc, 'tool', 'tu_sub').parentSpanId).toBe(sub.spanId);

    const edit = span(doc, 'tool', 'tu_4');
    expect(edit.events?.map((e) => e.name)).toContain('permission_request');

    const [compaction] = byKind(doc, 'compaction');
    expect(compaction!.name).toBe('compact');
    expect(compaction!.attributes).toMatchObject({
      'agent_trace.compaction.trigger': 'auto',
      'agent_trace.compaction.tokens_before': 150000,
      'agent_trace.compaction.tokens_after': 20000,
    });
    expect(turn.events?.map((e) => e.name)).toContain('api_error');

    expect(doc.summary).toEqual({
      turns: 1,
      generations: 2,
      toolCalls: 5,
      toolErrors: 1,
      subagents: 1,
      durationMs: 3300,
      tokens: { input: 60, output: 320, cacheRead: 5000, cacheWrite: 200, cacheWrite5m: 200, cacheWrite1h: 0, reasoning: 0 },
      cost: expect.objectContaining({ estimated: true }),
      filesTouched: ['/repo/a.ts'],
    });
    expect(doc.summary.cost!.usd).toBeGreaterThan(0);
  });

  it('sorts spans by start time, root first, with valid ids', () => {
    const doc = buildTrace(S, sessionEvents()).toDocument();
    for (let i = 1; i < doc.spans.length; i++) expect(doc.spans[i]!.startTime).toBeGreaterThanOrEqual(doc.spans[i - 1]!.startTime);
    const ids = new Set(doc.spans.map((s) => s.spanId));
    expect(ids.size).toBe(doc.spans.length);
    for (const s of doc.spans) {
      expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
      if (s.parentSpanId !== null) expect(ids.has(s.parentSpanId)).toBe(true);
    }
  });

  it('is deterministic: same events give byte-identical JSON, and serialize equals JSON.stringify(toDocument())', () => {
    const a = buildTrace(S, sessionEvents());
    const b = buildTrace(S, sessionEvents());
    expect(a.serialize()).toBe(b.serialize());
    expect(a.serialize()).toBe(JSON.stringify(a.toDocument()));
  });

  it('merges the same fact reported twice (hook then transcript) into one span', () => {
    const events = sessionEvents();
    const again = events.filter((e) => e.type === 'tool.start' || e.type === 'tool.end' || e.type === 'generation.end').map((e) => ({ ...e, source: 'transcript' as const, time: e.time + 3 }));
    const doc = buildTrace(S, [...events.slice(0, -1), ...again, events.at(-1)!]).toDocument();
    expect(doc.summary.toolCalls).toBe(5);
    expect(doc.summary.generations).toBe(2);
    expect(doc.summary.tokens.output).toBe(320);
  });

  it('keeps open spans open while running and closes them as interrupted on resume, not as errors', () => {
    const events = sessionEvents().slice(0, 6); // Bash and Read started, neither finished
    const running = buildTrace(S, events).toDocument();
    expect(running.status).toBe('running');
    expect(running.endTime).toBeUndefined();
    expect(span(running, 'tool', 'tu_1').endTime).toBeUndefined();

    const resumed = buildTrace(S, [...events, { type: 'session.start', reason: 'resume', sessionId: S, time: T0 + 60_000, source: 'sdk' }]).toDocument();
    expect(resumed.status).toBe('running');
    expect(resumed.traceId).toBe(running.traceId);
    const bash = span(resumed, 'tool', 'tu_1');
    expect(bash.endTime).toBeDefined();
    expect(bash.status).toBe('unset');
    expect(bash.attributes['agent_trace.interrupted']).toBe(true);
    expect(resumed.summary.toolErrors).toBe(0);
    expect(resumed.spans.length).toBe(running.spans.length);
  });

  it('kill -9 mid-tool, then --resume, in the order a reconcile journals it (transcript catch-up before the hooks of the same drain)', () => {
    // Recorded from the real Claude Code 2.1.332: the resumed process answers the orphaned call at resume time.
    const e = (time: number, source: string, event: Record<string, unknown>) => ({ sessionId: S, time: T0 + time, source, ...event }) as AgentEvent;
    const events: AgentEvent[] = [
      e(58, 'transcript', { type: 'session.meta', agent: { name: 'claude-code', version: '2.1.332' } }),
      e(58, 'transcript', { type: 'turn.start', prompt: 'sleep please' }),
      e(126, 'transcript', { type: 'tool.start', key: 'toolu_K', name: 'Bash' }),
      e(126, 'transcript', { type: 'generation.end', key: 'msg_1', startTime: T0 + 58, model: 'claude-sonnet-4-5', usage: { input: 9, output: 33 } }),
      e(0, 'hook', { type: 'session.start', reason: 'startup', agent: { name: 'claude-code' } }),
      e(65, 'hook', { type: 'turn.start', prompt: 'sleep please' }),
      e(126, 'system', { type: 'session.interrupted', reason: 'agent process 1 exited without ending the session' }),
      e(1361, 'transcript', { type: 'tool.end', key: 'toolu_K', name: 'Bash', error: '[Tool call interrupted: the session ended before…]', errorType: 'interrupted' }),
      e(1508, 'transcript', { type: 'turn.start', prompt: 'resume' }),
      e(1628, 'transcript', { type: 'generation.end', key: 'msg_2', startTime: T0 + 1508, model: 'claude-sonnet-4-5', usage: { input: 1, output: 2 } }),
      e(1378, 'hook', { type: 'session.start', reason: 'resume', agent: { name: 'claude-code' } }),
      e(1517, 'hook', { type: 'turn.start', prompt: 'resume' }),
      e(1650, 'hook', { type: 'turn.end' }),
      e(1628, 'transcript', { type: 'turn.end' }),
      e(1690, 'hook', { type: 'session.end', status: 'completed' }),
    ];
    const doc = buildTrace(S, events).toDocument();
    const names = (span: TraceSpan | undefined) => (span?.events ?? []).map((ev) => ev.name);
    const root = doc.spans.find((sp) => sp.kind === 'session')!;
    // The first start is the session's start, not a resume; the resume is one.
    expect(names(root)).toEqual(['interrupted', 'session.resume']);
    const tool = doc.spans.find((sp) => sp.kind === 'tool')!;
    expect(tool.status).toBe('unset');
    expect(names(tool)).toContain('interrupted');
    expect(tool.endTime).toBe(T0 + 126); // where the dead process was last seen, not when the session was resumed
    expect(doc.summary.toolErrors).toBe(0);
    const [turn1, turn2] = doc.spans.filter((sp) => sp.kind === 'turn');
    expect(names(turn1)).toContain('interrupted');
    // The resumed process's turn (read from the transcript before the resume's start) is its own, and ended well.
    expect(turn2!.status).toBe('ok');
    expect(names(turn2)).toEqual([]);
    expect(doc.status).toBe('completed');
  });

  it('derives status: crashed, interrupted, error, and running again after a resume', () => {
    const base = sessionEvents().slice(0, 5);
    const at = (type: string, extra: Record<string, unknown> = {}) => ({ type, sessionId: S, time: T0 + 5000, ...extra }) as AgentEvent;
    expect(buildTrace(S, [...base, at('session.crash', { reason: 'SIGTERM' })]).toDocument()).toMatchObject({ status: 'crashed' });
    expect(buildTrace(S, [...base, at('session.interrupted')]).toDocument()).toMatchObject({ status: 'interrupted' });
    expect(buildTrace(S, [...base, at('session.end', { status: 'error' })]).toDocument()).toMatchObject({ status: 'error' });
    const crashed = buildTrace(S, [...base, at('session.crash', { reason: 'x' })]).toDocument();
    expect(crashed.spans[0]!.status).toBe('error');
    const back = buildTrace(S, [...base, at('session.crash'), { ...at('session.start', { reason: 'resume' }), time: T0 + 9000 }]).toDocument();
    expect(back.status).toBe('running');
  });

  it('places work under the turn open at its time, and a new prompt ends an unfinished turn', () => {
    const e = (time: number, event: Record<string, unknown>) => ({ sessionId: S, time: T0 + time, ...event }) as AgentEvent;
    const doc = buildTrace(S, [
      e(0, { type: 'turn.start', prompt: 'one' }),
      e(10, { type: 'tool.start', key: 'a', name: 'Bash' }),
      e(20, { type: 'tool.end', key: 'a' }),
      e(100, { type: 'turn.start', prompt: 'two' }),
      e(110, { type: 'tool.start', key: 'b', name: 'Bash' }),
    ]).toDocument();
    const turns = byKind(doc, 'turn');
    expect(turns.map((t) => t.name)).toEqual(['turn 1', 'turn 2']);
    expect(turns[0]!.endTime).toBe(T0 + 20);
    expect(turns[1]!.endTime).toBeUndefined();
    expect(span(doc, 'tool', 'b').parentSpanId).toBe(turns[1]!.spanId);
    expect(span(doc, 'tool', 'a').parentSpanId).toBe(turns[0]!.spanId);
  });

  it('numbers keyless compactions once each per source, so hooks and the transcript meet on one span', () => {
    const e = (time: number, type: string, source: string) => ({ type, sessionId: S, time: T0 + time, source }) as AgentEvent;
    const doc = buildTrace(S, [
      e(0, 'compaction.start', 'hook'),
      e(10, 'compaction.end', 'hook'),
      e(100, 'compaction.start', 'hook'),
      e(110, 'compaction.end', 'hook'),
      e(11, 'compaction.end', 'transcript'),
      e(111, 'compaction.end', 'transcript'),
    ]).toDocument();
    const compactions = byKind(doc, 'compaction');
    expect(compactions).toHaveLength(2);
    expect(compactions.map((c) => [c.startTime - T0, c.endTime! - T0])).toEqual([[0, 11], [100, 111]]);
  });

  it('counts a repeated prompt as a new turn, and the same prompt from another source as the same turn', () => {
    const e = (time: number, source: string, prompt: string) => ({ type: 'turn.start', sessionId: S, time: T0 + time, source, prompt }) as AgentEvent;
    const doc = buildTrace(S, [e(0, 'hook', 'continue'), e(100, 'hook', 'continue'), e(1, 'transcript', 'continue'), e(101, 'transcript', 'continue')]).toDocument();
    expect(doc.summary.turns).toBe(2);
  });
});

describe('event validation', () => {
  it('accepts well-formed events and names the problem of malformed ones', () => {
    expect(validateEvent({ type: 'turn.start', sessionId: 's', time: 1, prompt: 'hi' }).type).toBe('turn.start');
    const bad: Array<[unknown, RegExp]> = [
      [null, /must be an object/],
      [{ type: 'nope', sessionId: 's', time: 1 }, /unknown event type/],
      [{ type: 'turn.start', time: 1, prompt: 'x' }, /sessionId/],
      [{ type: 'turn.start', sessionId: 's', time: 'yesterday', prompt: 'x' }, /time/],
      [{ type: 'turn.start', sessionId: 's', time: 1 }, /prompt must be a string/],
      [{ type: 'tool.start', sessionId: 's', time: 1, key: 'k' }, /name must be a string/],
      [{ type: 'generation.end', sessionId: 's', time: 1, key: 'k', usage: 5 }, /usage must be a object/],
      [{ type: 'generation.end', sessionId: 's', time: 1, key: 'k', usage: { input: -3 } }, /usage\.input must be a number ≥ 0, not -3/],
      [{ type: 'generation.end', sessionId: 's', time: 1, key: 'k', usage: { output: '12' } }, /usage\.output must be a number ≥ 0, not "12"/],
      [{ type: 'session.end', sessionId: 's', time: 1, status: 'done' }, /session\.end: status must be one of completed, error, not "done"/],
      [{ type: 'text', sessionId: 's', time: 1, role: 'user', text: 'x' }, /role must be one of assistant, system/],
      [{ type: 'turn.start', sessionId: 's', time: 1, prompt: 'x', source: 'elsewhere' }, /source must be one of hook, transcript/],
    ];
    for (const [input, message] of bad) expect(() => validateEvent(input)).toThrow(message);
    expect(() => validateEvent({ type: 'x' })).toThrow(InvalidEventError);
  });
});
