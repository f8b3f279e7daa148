import type { TraceSpan } from './trace.js';

/** The document's bytes: the documented field order of spans and header, and the closing bracket of the pieces. */

const CLOSE = Buffer.from(']}');

/** The document in pieces: the header with the spans array opened, each span's bytes (comma included), the close. */
export function* documentChunks<S>(header: object, spans: Iterable<S>, bytesOf: (span: S) => Buffer): Generator<Buffer> {
  const head = JSON.stringify(header);
  yield Buffer.from(`${head.slice(0, -1)},"spans":[`);
  for (const span of spans) yield bytesOf(span);
  yield CLOSE;
}

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

