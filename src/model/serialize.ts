import type { TraceSpan } from './trace.js';

/** The document's bytes: the documented field order of spans and header, and the closing bracket of the pieces. */

export const CLOSE = Buffer.from(']}');

const SPAN_FIELDS = ['spanId', 'parentSpanId', 'name', 'kind', 'startTime', 'endTime', 'status', 'statusMessage', 'attributes', 'input', 'output', 'events'] as const;
export function orderSpanFields(span: TraceSpan): TraceSpan {
  const out: Record<string, unknown> = {};
  for (const f of SPAN_FIELDS) if (span[f] !== undefined) out[f] = span[f];
  return out as unknown as TraceSpan;
}

const DOC_FIELDS = ['schemaVersion', 'traceId', 'sessionId', 'agent', 'status', 'startTime', 'endTime', 'title', 'cwd', 'gitBranch', 'models', 'summary'] as const;
export function orderDocFields<T extends Record<string, unknown>>(doc: T): T {
  const out: Record<string, unknown> = {};
  for (const f of DOC_FIELDS) if (doc[f] !== undefined) out[f] = doc[f];
  return out as T;
}

