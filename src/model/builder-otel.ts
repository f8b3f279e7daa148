import type { Attributes, OtelSpanEvent, Usage } from '../events/types.js';
import { cleanUsage } from './builder-content.js';
import type { SpanState } from './span-state.js';
import type { SpanKind } from './trace.js';

/** Reading spans of an OpenTelemetry SDK pipeline (GenAI and OpenInference conventions). */

export function isAgentSpan(attributes: Attributes): boolean {
  const op = attributes['gen_ai.operation.name'];
  return op === 'invoke_agent' || op === 'create_agent' || attributes['openinference.span.kind'] === 'AGENT';
}

/** The span kind of a GenAI or OpenInference span; undefined for spans with no agent meaning. */
export function otelKind(attributes: Attributes): SpanKind | undefined {
  const op = attributes['gen_ai.operation.name'];
  const oi = attributes['openinference.span.kind'];
  if (op === 'chat' || op === 'text_completion' || op === 'generate_content' || oi === 'LLM') return 'generation';
  if (op === 'execute_tool' || oi === 'TOOL') return 'tool';
  if (isAgentSpan(attributes)) return 'subagent';
  if (oi === 'CHAIN') return 'turn';
  return undefined;
}

export function usageFromAttributes(a: Attributes): Usage {
  const num = (k: string) => (typeof a[k] === 'number' ? (a[k] as number) : 0);
  const cacheRead = num('gen_ai.usage.cache_read.input_tokens') || num('llm.token_count.prompt_details.cache_read');
  const cacheWrite = num('gen_ai.usage.cache_creation.input_tokens') || num('llm.token_count.prompt_details.cache_write');
  const prompt = num('gen_ai.usage.input_tokens') || num('llm.token_count.prompt');
  return cleanUsage({
    input: Math.max(0, prompt - cacheRead - cacheWrite),
    output: num('gen_ai.usage.output_tokens') || num('llm.token_count.completion'),
    cacheRead,
    cacheWrite,
  });
}

/**
 * The state of a span first seen from an OTel pipeline: a root is a top-level unit of work (a turn, or a
 * subagent when it is an agent invocation); GenAI spans map to their kinds; anything else is generic (shown,
 * not counted). Its parent is the one it names, else the session.
 */
export function newOtelSpan(e: OtelSpanEvent, attributes: Attributes, at: { seq: number; revision: number }, rootId: string): SpanState {
  const kind = e.parentSpanId ? otelKind(attributes) : isAgentSpan(attributes) ? 'subagent' : 'turn';
  return {
    id: e.spanId,
    kind: kind ?? 'tool',
    key: e.spanId,
    seq: at.seq,
    revision: at.revision,
    parentId: e.parentSpanId ?? rootId,
    parentFixed: true,
    startTime: e.startTime,
    status: 'unset',
    events: [],
    ...(kind === undefined ? { generic: true } : {}),
  };
}

/** Takes an OTel span's latest report (name, attributes, times, status, events, model, usage); returns its model. */
export function applyOtelSpan(span: SpanState, e: OtelSpanEvent, attributes: Attributes): string | undefined {
  span.otel = { name: e.name, attributes };
  span.startTime = e.startTime;
  span.endTime = e.endTime;
  span.status = e.status ?? 'unset';
  span.statusMessage = e.statusMessage;
  span.events = e.events ?? [];
  const model = attributes['gen_ai.response.model'] ?? attributes['gen_ai.request.model'] ?? attributes['llm.model_name'];
  if (typeof model === 'string') span.model = model;
  if (span.kind === 'generation') span.usage = usageFromAttributes(attributes);
  if (span.kind === 'tool') span.name = String(attributes['gen_ai.tool.name'] ?? attributes['tool.name'] ?? e.name);
  return typeof model === 'string' ? model : undefined;
}
