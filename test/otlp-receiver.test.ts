import { describe, expect, it } from 'vitest';
import { OtlpExporter } from '../exporters/otlp/exporter.js';
import { buildResource, msToNanos, turnTraceId } from '../exporters/otlp/spans.js';
import { exportSession } from '../exporters/otlp/session-export.js';
import type { TraceDocument, TraceSpan } from '../src/model/trace.js';
import { useOtlpReceiver, type ReceivedSpan } from './helpers/otlp-receiver.js';
import { richSessionEvents, tempDir, writeSession } from './helpers/otlp-session.js';

const receiver = useOtlpReceiver();

async function exportRich(protocol: 'http/protobuf' | 'http/json', extra: { compression?: 'gzip' | 'none'; traceMode?: 'session' | 'turn' } = {}) {
  const dir = tempDir();
  const sessionId = `rich-${protocol.replace('/', '-')}`;
  const { store, doc } = writeSession(dir, sessionId, richSessionEvents(sessionId));
  const exporter = new OtlpExporter({ url: receiver.url, protocol, compression: extra.compression });
  const resource = buildResource({ serviceName: 'agent-trace', serviceVersion: '9.9.9', attributes: { 'deployment.environment': 'test' } });
  const result = await exportSession({ store, sessionId, exporter, resource, traceMode: extra.traceMode });
  await exporter.shutdown();
  return { doc, result, exporter };
}

function byId(spans: ReceivedSpan[]): Map<string, ReceivedSpan> {
  return new Map(spans.map((s) => [s.spanId, s]));
}

function find(doc: TraceDocument, pred: (s: TraceSpan) => boolean): TraceSpan {
  const s = doc.spans.find(pred);
  if (!s) throw new Error('span not in document');
  return s;
}

describe.each(['http/protobuf', 'http/json'] as const)('OTLP receiver view over %s', (protocol) => {
  it('gets every span of trace.json once, with the same trace id, span ids and parents', async () => {
    const { doc, result } = await exportRich(protocol);
    expect(doc.spans.every((s) => s.endTime !== undefined)).toBe(true);
    expect(result.sent).toBe(doc.spans.length);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(receiver.duplicates()).toEqual([]);
    expect(receiver.requests.every((r) => r.contentType.startsWith(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf'))).toBe(true);
    const got = byId(receiver.spans);
    for (const span of doc.spans) {
      const r = got.get(span.spanId)!;
      expect(r, span.name).toBeDefined();
      expect(r.traceId).toBe(doc.traceId);
      expect(r.parentSpanId).toBe(span.parentSpanId);
      // The root goes out named by the session's title; every other span by its own name.
      expect(r.name).toBe(span.parentSpanId === null ? doc.title : span.name);
      expect(r.encoding).toBe(protocol === 'http/json' ? 'json' : 'protobuf');
    }
  });

  it('carries nanosecond times equal to the document times', async () => {
    const { doc } = await exportRich(protocol);
    const got = byId(receiver.spans);
    let fractional = 0;
    for (const span of doc.spans) {
      const r = got.get(span.spanId)!;
      expect(r.startTimeUnixNano).toBe(msToNanos(span.startTime));
      expect(r.endTimeUnixNano).toBe(msToNanos(span.endTime!));
      // the nanoseconds really are the milliseconds × 10^6, fractions included (to float precision)
      expect(Math.abs(Number(r.startTimeUnixNano) / 1e6 - span.startTime)).toBeLessThan(0.001);
      if (span.startTime % 1 !== 0) fractional++;
      for (const [i, ev] of (span.events ?? []).entries()) expect(r.events[i]!.timeUnixNano).toBe(msToNanos(ev.time));
    }
    expect(fractional).toBeGreaterThan(0);
    expect(receiver.spans[0]!.startTimeUnixNano).toBeGreaterThan(1_700_000_000_000_000_000n);
  });

  it('carries the GenAI and OpenInference attributes, content attributes, status and events', async () => {
    const { doc } = await exportRich(protocol);
    const got = byId(receiver.spans);

    const root = got.get(find(doc, (s) => s.kind === 'session').spanId)!;
    expect(root.parentSpanId).toBeNull();
    // The trace is named by the session's title (every session's root would otherwise read `invoke_agent claude-code`).
    expect(root.name).toBe(doc.title);
    expect(root.attributes).toMatchObject({
      'langfuse.trace.name': doc.title,
      'agent_trace.span.name': 'invoke_agent claude-code',
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'claude-code',
      'gen_ai.conversation.id': doc.sessionId,
      'gen_ai.provider.name': 'anthropic',
      'session.id': doc.sessionId,
      'openinference.span.kind': 'AGENT',
      'input.value': 'Fix the failing test in parser.ts',
    });
    expect(root.status.code).toBe(1);

    const genDoc = find(doc, (s) => s.kind === 'generation' && s.attributes['gen_ai.response.id'] === 'msg_01ABC');
    const gen = got.get(genDoc.spanId)!;
    expect(gen.name).toBe('chat claude-sonnet-4-5');
    expect(gen.kind).toBe(3); // OTLP SPAN_KIND_CLIENT
    expect(gen.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.id': 'msg_01ABC',
      'gen_ai.response.finish_reasons': ['tool_use'],
      'gen_ai.usage.input_tokens': 12 + 20_000 + 1_500,
      'gen_ai.usage.output_tokens': 340,
      'gen_ai.usage.cache_read.input_tokens': 20_000,
      'gen_ai.usage.cache_creation.input_tokens': 1_500,
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'claude-sonnet-4-5',
      'llm.token_count.prompt': 21_512,
      'llm.token_count.completion': 340,
      'llm.token_count.total': 21_852,
      'llm.token_count.prompt_details.cache_read': 20_000,
      'llm.token_count.prompt_details.cache_write': 1_500,
      'session.id': doc.sessionId,
    });
    // The conversation, not a home-made blob: Langfuse would show `output.value` instead of the messages.
    expect(gen.attributes['output.value']).toBeUndefined();
    expect(String(gen.attributes['gen_ai.output.messages'])).toContain('Let me read the file.');
    expect(gen.attributes['llm.output_messages.0.message.content']).toContain('Let me read the file.');

    const read = got.get(find(doc, (s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_read').spanId)!;
    expect(read.name).toBe('execute_tool Read');
    expect(read.kind).toBe(1); // INTERNAL
    expect(read.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'Read',
      'gen_ai.tool.call.id': 'toolu_read',
      'gen_ai.tool.type': 'function',
      'openinference.span.kind': 'TOOL',
      'tool.name': 'Read',
      'input.value': JSON.stringify({ file_path: '/work/project/parser.ts' }),
      'input.mime_type': 'application/json',
      'output.value': 'export function parse() {}',
      'output.mime_type': 'text/plain',
      'gen_ai.tool.call.arguments': JSON.stringify({ file_path: '/work/project/parser.ts' }),
      'gen_ai.tool.call.result': 'export function parse() {}',
    });
    expect(read.status.code).toBe(1);

    const bashDoc = find(doc, (s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_bash');
    const bash = got.get(bashDoc.spanId)!;
    expect(bash.status).toEqual({ code: 2, message: 'exit code 1' });
    expect(bash.attributes['error.type']).toBe('tool_error');
    expect(bash.events.map((e) => e.name)).toEqual((bashDoc.events ?? []).map((e) => e.name));
    expect(bash.events.find((e) => e.name === 'permission_request')?.attributes.message).toBe('Claude needs your permission to use Bash');
    // The same facts as attributes (Langfuse drops span events); a failed tool sends no result, its error instead.
    expect(bash.attributes).toMatchObject({ 'agent_trace.permission_requests': 1, 'agent_trace.permission.message': 'Claude needs your permission to use Bash', 'error.message': 'exit code 1' });
    expect(bash.attributes['gen_ai.tool.call.result']).toBeUndefined();

    const sub = got.get(find(doc, (s) => s.kind === 'subagent').spanId)!;
    const task = find(doc, (s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_task');
    expect(sub.parentSpanId).toBe(task.spanId);
    expect(sub.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'Explore', 'openinference.span.kind': 'AGENT' });

    const turn = got.get(find(doc, (s) => s.kind === 'turn').spanId)!;
    expect(turn.attributes).toMatchObject({ 'openinference.span.kind': 'CHAIN', 'input.value': 'Fix the failing test in parser.ts' });

    const compact = got.get(find(doc, (s) => s.kind === 'compaction').spanId)!;
    expect(compact.name).toBe('compact');
    expect(compact.attributes['agent_trace.compaction.tokens_before']).toBe(150_000);
  });

  it('describes the resource: service name and version, host, extra attributes, scope', async () => {
    await exportRich(protocol);
    const r = receiver.spans[0]!;
    expect(r.resource).toMatchObject({
      'service.name': 'agent-trace',
      'service.version': '9.9.9',
      'deployment.environment': 'test',
      'telemetry.sdk.language': 'nodejs',
    });
    expect(typeof r.resource['host.name']).toBe('string');
    expect(typeof r.resource['host.arch']).toBe('string');
    expect(r.scope.name).toBe('agent-trace');
    expect(receiver.spans.every((s) => s.resource['service.name'] === 'agent-trace')).toBe(true);
  });
});

describe('OTLP export options', () => {
  it('gzip compression reaches the receiver intact', async () => {
    const { doc, exporter } = await exportRich('http/protobuf', { compression: 'gzip' });
    expect(receiver.requests.every((r) => r.contentEncoding === 'gzip')).toBe(true);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(exporter.stats.bytesSent).toBeGreaterThan(0);
    expect(exporter.stats.acknowledged).toBe(receiver.requests.length);
  });

  it('turn mode: one trace per turn, linked to the session span, every span still once', async () => {
    const { doc } = await exportRich('http/protobuf', { traceMode: 'turn' });
    expect(receiver.spans).toHaveLength(doc.spans.length);
    const got = byId(receiver.spans);
    const root = find(doc, (s) => s.kind === 'session');
    const turns = doc.spans.filter((s) => s.kind === 'turn');
    expect(turns).toHaveLength(2);
    for (const turn of turns) {
      const r = got.get(turn.spanId)!;
      expect(r.traceId).toBe(turnTraceId(doc.sessionId, turn.spanId));
      expect(r.parentSpanId).toBeNull();
      expect(r.links).toEqual([expect.objectContaining({ traceId: doc.traceId, spanId: root.spanId })]);
      expect(r.attributes['session.id']).toBe(doc.sessionId);
    }
    // spans below turn 1 (tools, the subagent and its children) share its trace; the session span keeps its own
    const turn1 = turns.find((t) => t.attributes['agent_trace.turn'] === 1)!;
    const grep = got.get(find(doc, (s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_grep').spanId)!;
    expect(grep.traceId).toBe(turnTraceId(doc.sessionId, turn1.spanId));
    expect(got.get(root.spanId)!.traceId).toBe(doc.traceId);
    expect(new Set(receiver.spans.map((s) => s.traceId)).size).toBeGreaterThanOrEqual(3);
    // parents always point inside the same trace
    for (const s of receiver.spans) if (s.parentSpanId) expect(got.get(s.parentSpanId)!.traceId).toBe(s.traceId);
  });
});
