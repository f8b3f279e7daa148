import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTranscriptText } from '../src/adapters/claude-code/transcript.js';
import { contentAttributes } from '../src/model/attributes.js';
import { buildTrace } from '../src/model/trace-builder.js';
import type { TraceDocument, TraceSpan } from '../src/model/trace.js';
import { plausibleRange } from '../viewer/web/format.js';
import { claudeFixtures, freshDataDir, haveClaudeFixtures, isolatedEnv, TranscriptWriter } from './helpers/claude-code.js';
import { cli, tempDir } from './helpers/env.js';

/** Nothing shown that is not known (SPEC §7.12): each case first reproduced from what real transcripts hold. */

const T0 = Date.parse('2026-03-02T10:00:00.000Z');

function traceOf(text: string, sessionId = 's-unknowns'): TraceDocument {
  return buildTrace(sessionId, parseTranscriptText(sessionId, text).events).toDocument();
}

async function importFile(path: string): Promise<TraceDocument> {
  const { home, dir } = freshDataDir();
  const r = await cli(['import', path, '--json', '--dir', dir], { env: isolatedEnv(home) });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const [result] = JSON.parse(r.stdout) as [{ traceFile: string }];
  return JSON.parse(readFileSync(result.traceFile, 'utf8')) as TraceDocument;
}

const spans = (doc: TraceDocument, kind: TraceSpan['kind']) => doc.spans.filter((s) => s.kind === kind);

describe('times come from timestamped lines only', () => {
  it('a transcript whose first lines have no timestamp does not start the session in 1970', async () => {
    const path = join(tempDir(), 'untimed-head.jsonl');
    // What Claude Code writes at the top of a resumed or renamed session: lines without a timestamp.
    writeFileSync(path, `${JSON.stringify({ type: 'custom-title', customTitle: 'Renamed session', sessionId: 's1' })}\n${JSON.stringify({ type: 'summary', summary: 'Earlier work', leafUuid: 'x' })}\n`);
    const w = new TranscriptWriter(path, 's1', T0);
    w.prompt('hello');
    w.response('msg_1', [{ text: 'hi' }], { input: 3, output: 2, cacheRead: 0, cacheWrite: 0 });
    const doc = await importFile(path);
    expect(doc.title).toBe('Renamed session');
    expect(doc.startTime).toBeGreaterThanOrEqual(T0);
    expect(doc.summary.durationMs).toBeLessThan(60_000);
    expect(Math.min(...doc.spans.map((s) => s.startTime))).toBeGreaterThanOrEqual(T0);
  });

  it('the reducer never takes epoch 0 for a time; the viewer refuses ranges that cannot be real', () => {
    const doc = buildTrace('s2', [
      { type: 'session.meta', sessionId: 's2', time: 0, title: 'x' },
      { type: 'turn.start', sessionId: 's2', time: T0, prompt: 'p', key: 't1' },
      { type: 'turn.end', sessionId: 's2', time: T0 + 1000, key: 't1' },
    ]).toDocument();
    expect(doc.startTime).toBe(T0);
    expect(doc.summary.durationMs).toBe(1000);
    expect(plausibleRange(T0, 1000)).toBe(true);
    expect(plausibleRange(0, T0)).toBe(false); // the 493,414-hour session
    expect(plausibleRange(T0, -5)).toBe(false);
    expect(plausibleRange(Date.now() + 10 * 86_400_000, 0)).toBe(false);
  });
});

describe('images in prompts and tool results are kept as what they were', () => {
  const small = Buffer.alloc(300, 7).toString('base64');
  const large = Buffer.alloc(200_000, 7).toString('base64');

  it('a pasted image becomes a placeholder with media type and size, with a thumbnail only when small and inline', () => {
    const dir = tempDir();
    const w = new TranscriptWriter(join(dir, 't.jsonl'), 's3', T0);
    w.raw({
      type: 'user',
      message: {
        role: 'user',
        content: [
          { type: 'text', text: 'What is wrong in [Image #1] and [Image #2]?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: small } },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: large } },
        ],
      },
    });
    w.response('msg_1', [{ tool: { id: 'toolu_shot', name: 'Screenshot', input: {} } }], { input: 5, output: 5, cacheRead: 0, cacheWrite: 0 });
    w.raw({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_shot', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/webp', data: large } }] }] } });
    w.response('msg_2', [{ text: 'The button is misaligned.' }], { input: 5, output: 5, cacheRead: 0, cacheWrite: 0 });
    const doc = traceOf(readFileSync(w.path, 'utf8'), 's3');
    const turn = spans(doc, 'turn')[0]!;
    expect(turn.input).toBe('What is wrong in [Image #1] and [Image #2]?');
    const images = JSON.parse(String(turn.attributes['agent_trace.prompt.images'])) as Array<Record<string, unknown>>;
    expect(images).toEqual([
      { type: 'image', media_type: 'image/png', bytes: 300, data: small },
      { type: 'image', media_type: 'image/jpeg', bytes: 200_000 },
    ]);
    const tool = spans(doc, 'tool')[0]!;
    expect(tool.output).toBe('[image: image/webp, 195 KB]');
    // The first model call received the prompt with its images.
    const first = spans(doc, 'generation')[0]!;
    const sent = JSON.parse(String(contentAttributes(first)['gen_ai.input.messages'])) as Array<{ parts: Array<Record<string, unknown>> }>;
    expect(sent[0]!.parts).toEqual([
      { type: 'text', content: 'What is wrong in [Image #1] and [Image #2]?' },
      { type: 'blob', modality: 'image', mime_type: 'image/png', content: small },
      { type: 'image', modality: 'image', mime_type: 'image/jpeg', size_bytes: 200_000, content: '[image not kept]' },
    ]);
  });
});

describe('what was not recorded is said in words', () => {
  it('a tool result whose call was never recorded is not a tool named "unknown"', () => {
    const dir = tempDir();
    const w = new TranscriptWriter(join(dir, 't.jsonl'), 's4', T0);
    w.prompt('go on');
    w.toolResult('toolu_lost', 'some output'); // its tool_use line was cut from the transcript
    w.response('msg_1', [{ text: 'done' }], { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 });
    const doc = traceOf(readFileSync(w.path, 'utf8'), 's4');
    const tool = spans(doc, 'tool')[0]!;
    expect(tool.name).toBe('execute_tool');
    expect(tool.attributes['gen_ai.tool.name']).toBeUndefined();
    expect(tool.attributes['tool.name']).toBeUndefined();
    expect(tool.attributes['agent_trace.tool.orphan_result']).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('execute_tool unknown');
  });

  it('a subagent whose transcript is missing is marked unrecorded, not 0 calls in 0 ms; a recorded one is not', () => {
    const dir = tempDir();
    const w = new TranscriptWriter(join(dir, 't.jsonl'), 's5', T0);
    w.prompt('explore');
    w.response('msg_1', [{ tool: { id: 'toolu_task', name: 'Task', input: { prompt: 'look around', subagent_type: 'Explore' } } }], { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 });
    w.tick(30_000);
    // 2.1 writes the subagent's lines to subagents/agent-<id>.jsonl; this one was never found.
    w.toolResult('toolu_task', 'It is a tracer.', false, { status: 'completed', agentId: 'a1b2c3', content: [{ type: 'text', text: 'It is a tracer.' }] });
    w.response('msg_2', [{ text: 'ok' }], { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 });
    const doc = traceOf(readFileSync(w.path, 'utf8'), 's5');
    const sub = spans(doc, 'subagent')[0]!;
    expect(sub.attributes['agent_trace.subagent.unrecorded']).toBe(true);
    expect(sub.name).toBe('invoke_agent Explore');
  });

  it.skipIf(!haveClaudeFixtures)('subagents recorded inline carry their calls; their streamed output counts are marked provisional', () => {
    const doc = traceOf(readFileSync(join(claudeFixtures, 'transcripts', 'subagent.jsonl'), 'utf8'), 's6');
    const sub = spans(doc, 'subagent')[0]!;
    expect(sub.attributes['agent_trace.subagent.unrecorded']).toBeUndefined();
    const inner = doc.spans.filter((s) => s.kind === 'generation' && s.parentSpanId === sub.spanId);
    expect(inner.length).toBeGreaterThan(0);
    expect(inner.every((s) => s.attributes['agent_trace.usage.provisional'] === true)).toBe(true);
    const main = doc.spans.filter((s) => s.kind === 'generation' && s.parentSpanId !== sub.spanId);
    expect(main.some((s) => s.attributes['agent_trace.usage.provisional'] === true)).toBe(false);
  });

  it('the compaction agent is named as such, not "subagent"', () => {
    const sessionId = 's7';
    const lines = [
      { type: 'user', isSidechain: true, agentId: 'acompact-1f2e', sessionId, timestamp: new Date(T0).toISOString(), uuid: 'u1', message: { role: 'user', content: 'Summarize the conversation' } },
      { type: 'assistant', isSidechain: true, agentId: 'acompact-1f2e', sessionId, timestamp: new Date(T0 + 900).toISOString(), uuid: 'u2', message: { id: 'msg_c', model: 'claude-opus-4-6', role: 'assistant', content: [{ type: 'text', text: 'Summary' }], usage: { input_tokens: 10, output_tokens: 5 } } },
    ];
    const parsed = parseTranscriptText(sessionId, lines.map((l) => JSON.stringify(l)).join('\n'), { agentKey: 'acompact-1f2e' });
    const doc = buildTrace(sessionId, parsed.events).toDocument();
    const sub = spans(doc, 'subagent')[0]!;
    expect(sub.name).toBe('invoke_agent compaction');
    expect(sub.attributes['gen_ai.agent.name']).toBe('compaction');
  });

  it('Codex tools the rollout holds no timing for have an unknown duration, not 0 ms', async () => {
    const dir = tempDir();
    const path = join(dir, 'rollout-2026-03-02T10-00-00-0199a000-0000-7000-8000-000000000001.jsonl');
    mkdirSync(dir, { recursive: true });
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    const line = (ms: number, type: string, payload: Record<string, unknown>) => appendFileSync(path, `${JSON.stringify({ timestamp: at(ms), type, payload })}\n`);
    line(0, 'session_meta', { id: '0199a000-0000-7000-8000-000000000001', timestamp: at(0), cwd: '/work', originator: 'codex_cli_rs', cli_version: '0.89.0' });
    line(1, 'turn_context', { cwd: '/work', model: 'gpt-5.2-codex' });
    line(2, 'response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'find the docs' }] });
    line(3, 'event_msg', { type: 'user_message', message: 'find the docs' });
    line(500, 'response_item', { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'docs' } });
    line(900, 'response_item', { type: 'function_call', name: 'shell', arguments: '{"command":["ls"]}', call_id: 'call_same' });
    line(900, 'response_item', { type: 'function_call_output', call_id: 'call_same', output: 'README.md' });
    line(1000, 'response_item', { type: 'function_call', name: 'shell', arguments: '{"command":["cat","README.md"]}', call_id: 'call_timed' });
    line(1250, 'response_item', { type: 'function_call_output', call_id: 'call_timed', output: '# docs' });
    line(1300, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Found them.' }] });
    const doc = await importFile(path);
    const byCall = new Map(spans(doc, 'tool').map((s) => [s.attributes['gen_ai.tool.call.id'], s]));
    expect(byCall.get('ws_1')!.attributes['agent_trace.duration_unknown']).toBe(true);
    expect(byCall.get('call_same')!.attributes['agent_trace.duration_unknown']).toBe(true);
    const timed = byCall.get('call_timed')!;
    expect(timed.attributes['agent_trace.duration_unknown']).toBeUndefined();
    expect(timed.endTime! - timed.startTime).toBe(250);
  });
});
