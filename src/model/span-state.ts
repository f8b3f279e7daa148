import type { Attributes, Usage } from '../events/types.js';
import type { CallCost } from './pricing.js';
import type { SpanEventRecord, SpanKind, SpanStatus } from './trace.js';

export type Lifecycle = 'running' | 'completed' | 'error' | 'crashed' | 'interrupted';

/** Mutable state of one span while events arrive; turned into a `TraceSpan` when the document is built. */
export interface SpanState {
  id: string;
  kind: SpanKind;
  key: string;
  /** Insertion order: the tie-breaker that keeps sorting deterministic. */
  seq: number;
  /** The builder revision (events applied) in which the span last changed: readers of changes key on it. */
  revision: number;
  parentId: string | null;
  /** Set once an event named the parent explicitly; time-based placement never overrides it. */
  parentFixed: boolean;
  startTime: number;
  endTime?: number;
  status: SpanStatus;
  statusMessage?: string;
  interrupted?: boolean;
  name?: string;
  model?: string;
  provider?: string;
  responseId?: string;
  finishReasons?: string[];
  usage?: Usage;
  toolType?: 'function' | 'extension';
  errorType?: string;
  trigger?: string;
  tokensBefore?: number;
  tokensAfter?: number;
  ordinal?: number;
  /** A turn opened by a notice (e.g. a background agent's completion), not by the person: not counted. */
  notice?: string;
  input?: unknown;
  output?: unknown;
  events: SpanEventRecord[];
  extra?: Attributes;
  /** Spans that came from an OTel SDK pipeline keep their own name and attributes. */
  otel?: { name: string; attributes: Attributes };
  /** A span of an OTel pipeline that has no agent meaning: shown, not counted in the summary. */
  generic?: boolean;
  /** Latest start or end among its children: where an interrupted turn really ended. */
  activity?: number;
  /** Cached serialization (UTF-8, so writers never re-encode it); dropped whenever the span changes. */
  bytes?: Buffer;
  /** Cached price of a model call (null: none); dropped whenever the span changes. */
  cost?: CallCost | null;
  /** Model calls: the previous and next call of the same thread (main thread or one subagent). */
  prevGen?: SpanState;
  nextGen?: SpanState;
  /** Turns: the text of the latest model call that said something, and when that call started. */
  finalText?: string;
  finalTextAt?: number;
  /** Subagents: how many model calls are recorded under it (none: its transcript is missing). */
  calls?: number;
}

/** Document order of two spans: by start time, insertion order breaks ties. */
export function byStart(a: SpanState, b: SpanState): number {
  return a.startTime - b.startTime || a.seq - b.seq;
}

/** Whether spans are still in document order (the root first). */
export function isDocumentOrder(spans: SpanState[], root: SpanState): boolean {
  if (spans[0] !== root) return false;
  for (let i = 2; i < spans.length; i++) if (byStart(spans[i - 1]!, spans[i]!) > 0) return false;
  return true;
}
