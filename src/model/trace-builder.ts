import type { AgentEvent } from '../events/types.js';
import { documentHeader, sessionTitle, sortedSpans, spanBytes, toTraceSpan } from './builder-document.js';
import { BuilderState, spanOf } from './builder-state.js';
import type { PriceTable } from './pricing.js';
import { reduce } from './reducer.js';
import { documentChunks } from './serialize.js';
import type { TraceDocument, TraceSpan } from './trace.js';

export interface TraceBuilderOptions {
  prices?: PriceTable;
}

/** A span of `TraceBuilder.changesSince`: its JSON, or undefined when it did not change since the revision asked about. */
export interface SpanText {
  readonly id: string;
  readonly json: string | undefined;
}

export interface BuilderChanges {
  revision: number;
  headerJson: string;
  spans: SpanText[];
}

/**
 * The reducer from events to the trace document. It is pure (no clock, no I/O) and incremental: each
 * `apply` costs O(1) amortized (reducer.ts: one handler per event kind), and serializing reuses the cached
 * JSON of spans that did not change (builder-document.ts), so the in-process tracer can keep a 20,000-span
 * session in memory and write it cheaply.
 */
export class TraceBuilder {
  private readonly state: BuilderState;

  constructor(sessionId: string, options: TraceBuilderOptions = {}) {
    this.state = new BuilderState(sessionId, options.prices);
  }

  get sessionId(): string {
    return this.state.sessionId;
  }

  get traceId(): string {
    return this.state.traceId;
  }

  get events(): number {
    return this.state.eventCount;
  }

  /** The builder's revision: the number of events applied. A span records the revision it last changed in. */
  get revision(): number {
    return this.state.eventCount;
  }

  apply(event: AgentEvent): void {
    reduce(this.state, event);
  }

  /** The tool span of a call id as the document has it (exporters fill model-call messages from it). */
  toolCallSpan(callId: string): TraceSpan | undefined {
    const span = spanOf(this.state, 'tool', callId);
    return span && span.kind === 'tool' ? toTraceSpan(this.state, span) : undefined;
  }

  /** The session's title as the document gives it. */
  sessionTitle(): string | undefined {
    return sessionTitle(this.state);
  }

  toDocument(): TraceDocument {
    const spans = sortedSpans(this.state);
    return { ...documentHeader(this.state, spans), spans: spans.map((s) => toTraceSpan(this.state, s)) };
  }

  /**
   * The document as UTF-8 JSON in pieces, so a writer can yield to the event loop between pieces and never
   * re-encode unchanged spans. Joined, the pieces equal `JSON.stringify(toDocument())`.
   */
  *serializeChunks(): Generator<Buffer> {
    const spans = sortedSpans(this.state);
    yield* documentChunks(documentHeader(this.state, spans), spans, (span) => spanBytes(this.state, span));
  }

  /**
   * What a reader that has seen revision `since` lacks: the header's JSON and every span in document order,
   * with its JSON only when it changed after `since` (the root always: its fields follow the session's state).
   */
  changesSince(since: number): BuilderChanges {
    const state = this.state;
    const spans = sortedSpans(state);
    return {
      revision: state.eventCount,
      headerJson: JSON.stringify(documentHeader(state, spans)),
      spans: spans.map((span) => ({
        id: span.id,
        json: span === state.root ? JSON.stringify(toTraceSpan(state, span)) : span.revision > since ? spanBytes(state, span).toString('utf8', 1) : undefined,
      })),
    };
  }

  /** The same pieces as text, for callers that stream to a string sink (an HTTP response). */
  *serializeParts(): Generator<string> {
    for (const chunk of this.serializeChunks()) yield chunk.toString('utf8');
  }

  serializeBuffer(): Buffer {
    return Buffer.concat([...this.serializeChunks()]);
  }

  serialize(): string {
    return this.serializeBuffer().toString('utf8');
  }
}

/** Rebuilds a document from a list of events (the journal, an import). */
export function buildTrace(sessionId: string, events: Iterable<AgentEvent>, options?: TraceBuilderOptions): TraceBuilder {
  const builder = new TraceBuilder(sessionId, options);
  for (const e of events) builder.apply(e);
  return builder;
}
