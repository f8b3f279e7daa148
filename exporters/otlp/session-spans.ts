import type { Resource } from '@opentelemetry/resources';
import type { ToolCallLookup } from '../../src/model/attributes.js';
import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { readTraceHead, SessionTooLargeError, spanEntries, spanTextAt } from '../../src/store/trace-file.js';
import { SpanConverter, spanShapes, toolCallLookup, type SpanShape, type TraceMode } from './spans.js';

/**
 * The spans of one session as an export reads them. A document that fits in memory is read whole; a trace too
 * large to load whole is read from trace.json span by span, twice — once to index it (ids, parents, kinds, and
 * where each tool span starts in the file), once to send — and a generation's tool results are read back from
 * their offsets when it is converted. Memory is then the index, never the content, whatever the session's size.
 */
export interface SessionSpans {
  traceId: string;
  title?: string;
  /** The session's root span, which every other span descends from. */
  rootSpanId?: string;
  /** Every span's parent and kind (what `turn` trace mode needs). */
  shapes: () => Map<string, SpanShape>;
  toolCall: ToolCallLookup;
  /** The spans in document order (root first, then by start); may be iterated more than once. */
  spans: () => Iterable<TraceSpan>;
  /** True when read span by span from trace.json. */
  streamed: boolean;
}

export function wholeSessionSpans(doc: TraceDocument): SessionSpans {
  return {
    traceId: doc.traceId,
    ...(doc.title !== undefined ? { title: doc.title } : {}),
    rootSpanId: doc.spans.find((s) => s.parentSpanId === null && s.kind === 'session')?.spanId ?? doc.spans.find((s) => s.parentSpanId === null)?.spanId,
    shapes: () => spanShapes(doc.spans),
    toolCall: toolCallLookup(doc.spans),
    spans: () => doc.spans,
    streamed: false,
  };
}

/** A trace.json read span by span (see SessionSpans). Throws TraceFileError naming the file when it is not a trace. */
export function streamedSessionSpans(path: string): SessionSpans {
  const { header } = readTraceHead(path);
  const shapes = new Map<string, SpanShape>();
  const toolOffsets = new Map<string, number>();
  let rootSpanId: string | undefined;
  let firstRoot: string | undefined;
  for (const { text, offset } of spanEntries(path)) {
    const span = JSON.parse(text) as TraceSpan;
    shapes.set(span.spanId, { parentSpanId: span.parentSpanId, kind: span.kind });
    if (span.parentSpanId === null) {
      firstRoot ??= span.spanId;
      if (span.kind === 'session') rootSpanId ??= span.spanId;
    }
    const callId = span.kind === 'tool' ? span.attributes['gen_ai.tool.call.id'] : undefined;
    if (typeof callId === 'string') toolOffsets.set(callId, offset);
  }
  return {
    traceId: header.traceId,
    ...(header.title !== undefined ? { title: header.title } : {}),
    ...((rootSpanId ?? firstRoot) !== undefined ? { rootSpanId: rootSpanId ?? firstRoot } : {}),
    shapes: () => shapes,
    toolCall: (callId) => {
      const offset = toolOffsets.get(callId);
      return offset === undefined ? undefined : (JSON.parse(spanTextAt(path, offset)) as TraceSpan);
    },
    spans: function* () {
      for (const { text } of spanEntries(path)) yield JSON.parse(text) as TraceSpan;
    },
    streamed: true,
  };
}

/**
 * A session's spans from the store: the current document when it can be held whole, else trace.json streamed
 * (the store refuses to load a trace only when trace.json is current and too large, so the file is the truth).
 * Undefined when the session has no trace.
 */
export function readSessionSpans(store: SessionStore, sessionId: string): SessionSpans | undefined {
  try {
    const doc = store.load(sessionId);
    return doc ? wholeSessionSpans(doc) : undefined;
  } catch (error) {
    if (!(error instanceof SessionTooLargeError)) throw error;
    return streamedSessionSpans(store.tracePath(sessionId));
  }
}

/** The converter for a session's spans, as every export of it builds one. */
export function converterFor(source: SessionSpans, options: { sessionId: string; resource: Resource; traceMode?: TraceMode }): SpanConverter {
  return new SpanConverter({
    sessionId: options.sessionId,
    traceId: source.traceId,
    mode: options.traceMode ?? 'session',
    resource: options.resource,
    shapes: options.traceMode === 'turn' ? source.shapes() : undefined,
    rootSpanId: source.rootSpanId,
    toolCall: source.toolCall,
    title: source.title,
  });
}
