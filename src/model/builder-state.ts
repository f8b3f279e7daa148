import type { AgentInfo, Attributes } from '../events/types.js';
import { spanIdFor, traceIdFor } from './ids.js';
import type { PriceTable } from './pricing.js';
import type { SpanKind } from './trace.js';
import type { Lifecycle, SpanState } from './span-state.js';

/**
 * What the reducer knows of a session while its events arrive: the spans and the session's own fields. It
 * holds state only; the event handlers (reduce-*.ts) change it through the few operations below, and
 * builder-document.ts turns it into the trace document.
 */
export class BuilderState {
  readonly sessionId: string;
  traceId: string;
  readonly prices: PriceTable | undefined;
  readonly spans = new Map<string, SpanState>();
  /** Spans in the order they were created. */
  readonly order: SpanState[] = [];
  /** The last document order, reused while it still holds. */
  sorted: SpanState[] | undefined;
  /** Turns sorted by start time. */
  readonly turns: SpanState[] = [];
  readonly ordinalCounters = new Map<string, number>();
  /** Per source, the keyless compaction it started and has not yet ended. */
  readonly openCompactions = new Map<string, string>();
  seq = 0;
  /** Events applied: the builder's revision. */
  eventCount = 0;

  agent: AgentInfo = { name: 'unknown' };
  /** The sources (hook, import, sdk) that have reported the session's start. */
  readonly startSources = new Set<string>();
  lifecycle: Lifecycle = 'running';
  lifecycleMessage: string | undefined;
  startTime = Number.POSITIVE_INFINITY;
  lastTime = 0;
  endTime: number | undefined;
  title: string | undefined;
  firstPrompt: string | undefined;
  cwd: string | undefined;
  gitBranch: string | undefined;
  provider: string | undefined;
  agentPid: number | undefined;
  readonly models: string[] = [];
  readonly root: SpanState;
  /** Whether the session has events of its own (not only OTel spans). */
  native = false;
  /** The OTel root span that became the session span, if any. */
  adoptedRoot: string | undefined;
  /** OTel spans whose parent has not arrived yet, by that parent's id. */
  readonly waitingForParent = new Map<string, SpanState[]>();
  /** The latest model call of each thread ('' is the main thread, else the subagent's key). */
  readonly lastGeneration = new Map<string, SpanState>();

  constructor(sessionId: string, prices: PriceTable | undefined) {
    this.sessionId = sessionId;
    this.traceId = traceIdFor(sessionId);
    this.prices = prices;
    this.root = createSpan(this, 'session', 'session', null, 0);
  }
}

/** The span of a kind and key, when the session has it. */
export function spanOf(s: BuilderState, kind: SpanKind, key: string): SpanState | undefined {
  return s.spans.get(spanIdFor(s.sessionId, kind, key));
}

export function createSpan(s: BuilderState, kind: SpanKind, key: string, parentId: string | null, start: number): SpanState {
  const span: SpanState = {
    id: spanIdFor(s.sessionId, kind, key),
    kind,
    key,
    seq: s.seq++,
    revision: s.eventCount,
    parentId,
    parentFixed: false,
    startTime: start,
    status: 'unset',
    events: [],
  };
  s.spans.set(span.id, span);
  s.order.push(span);
  return span;
}

/** The span's serialization may differ from now on: drop its cached bytes and note the revision it changed in. */
export function changed(s: BuilderState, span: SpanState): void {
  span.bytes = undefined;
  span.revision = s.eventCount;
}

/** A span changed: so may its price, the next model call's derived input and its parent's latest activity. */
export function touch(s: BuilderState, span: SpanState): void {
  changed(s, span);
  span.cost = undefined;
  // The next call's derived input names this call's tool calls.
  if (span.nextGen) changed(s, span.nextGen);
  if (span.parentId === null) return;
  const parent = s.spans.get(span.parentId);
  if (parent) parent.activity = Math.max(parent.activity ?? 0, span.endTime ?? span.startTime);
}

export function addEvent(s: BuilderState, span: SpanState, name: string, time: number, attributes?: Attributes): void {
  span.events.push(attributes && Object.keys(attributes).length ? { name, time, attributes } : { name, time });
  touch(s, span);
}

export function nextOrdinal(s: BuilderState, counter: string): number {
  const n = (s.ordinalCounters.get(counter) ?? 0) + 1;
  s.ordinalCounters.set(counter, n);
  return n;
}

export function noteTime(s: BuilderState, time: number): void {
  // Epoch 0 (or earlier) is a missing time, never a real one: it must not start the session in 1970.
  if (!(time > 0)) return;
  if (time < s.startTime) {
    s.startTime = time;
    s.root.startTime = time;
    touch(s, s.root);
  }
  if (time > s.lastTime) s.lastTime = time;
}

export function noteModel(s: BuilderState, model: string): void {
  if (!s.models.includes(model)) s.models.push(model);
}

export function setLifecycle(s: BuilderState, state: Lifecycle, time: number, message?: string): void {
  s.lifecycle = state;
  s.lifecycleMessage = message;
  s.endTime = Math.max(time, s.lastTime);
  touch(s, s.root);
}

/** The session is running (again): no end, no message. */
export function reopen(s: BuilderState): void {
  s.lifecycle = 'running';
  s.lifecycleMessage = undefined;
  s.endTime = undefined;
}

/**
 * Work that was open when its process went away will never finish: close it where the session was last
 * seen alive, marked interrupted, with status unset — an interruption is not the agent's error.
 */
export function closeOpenSpans(s: BuilderState, time: number, interrupted: boolean, startedBefore = Number.POSITIVE_INFINITY): void {
  for (const span of s.order) {
    if (span === s.root || span.endTime !== undefined || span.otel || span.startTime >= startedBefore) continue;
    span.endTime = Math.max(span.startTime, time);
    if (span.kind !== 'turn' || interrupted) {
      span.interrupted = true;
      span.events.push({ name: 'interrupted', time: span.endTime });
    }
    touch(s, span);
  }
}

/** The latest moment the session was seen alive before `time`. */
export function lastTimeBefore(s: BuilderState, time: number): number {
  let last = s.startTime;
  for (const span of s.order) {
    if (span.startTime < time) last = Math.max(last, span.startTime);
    if (span.endTime !== undefined && span.endTime < time) last = Math.max(last, span.endTime);
    for (const ev of span.events) if (ev.time < time) last = Math.max(last, ev.time);
  }
  return last;
}
