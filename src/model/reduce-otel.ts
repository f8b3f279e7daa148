import type { Attributes, OtelSpanEvent } from '../events/types.js';
import { applyOtelSpan, isAgentSpan, newOtelSpan } from './builder-otel.js';
import { noteModel, noteTime, setLifecycle, touch, type BuilderState } from './builder-state.js';

/**
 * A span from an OpenTelemetry SDK pipeline. Its root, when it is an agent invocation and the session has no
 * events of its own, becomes the session span (keeping its id, so its children stay attached); any other
 * root is a top-level unit of work (a turn); GenAI spans map to their kinds; anything else is kept as a
 * generic span, shown but not counted in the summary.
 */
export function otelSpan(s: BuilderState, e: OtelSpanEvent): void {
  if (s.sessionId === `otel-${e.traceId}`) s.traceId = e.traceId;
  const attributes = e.attributes ?? {};
  const agentName = attributes['gen_ai.agent.name'];
  if (!e.parentSpanId && typeof agentName === 'string' && s.agent.name === 'unknown') s.agent = { name: agentName };
  noteTime(s, e.startTime);
  if (e.endTime !== undefined) noteTime(s, e.endTime);
  if (!e.parentSpanId && !s.native && isAgentSpan(attributes) && (s.adoptedRoot ?? e.spanId) === e.spanId) {
    adoptRoot(s, e, attributes);
    return;
  }
  let span = s.spans.get(e.spanId);
  if (!span) {
    span = newOtelSpan(e, attributes, { seq: s.seq++, revision: s.eventCount }, s.root.id);
    s.spans.set(span.id, span);
    s.order.push(span);
    adoptWaitingChildren(s, span.id);
    if (span.parentId && !s.spans.has(span.parentId)) {
      const waiting = s.waitingForParent.get(span.parentId);
      if (waiting) waiting.push(span);
      else s.waitingForParent.set(span.parentId, [span]);
    }
  }
  const model = applyOtelSpan(span, e, attributes);
  if (model !== undefined) noteModel(s, model);
  touch(s, span);
}

/** Children that arrived before this span were serialized under the session: redo them. */
function adoptWaitingChildren(s: BuilderState, id: string): void {
  const waiting = s.waitingForParent.get(id);
  if (!waiting) return;
  s.waitingForParent.delete(id);
  for (const child of waiting) touch(s, child);
}

/** The pipeline's agent invocation becomes the session span, keeping its id. */
function adoptRoot(s: BuilderState, e: OtelSpanEvent, attributes: Attributes): void {
  if (s.adoptedRoot === undefined) {
    s.spans.delete(s.root.id);
    s.root.id = e.spanId;
    s.spans.set(e.spanId, s.root);
    s.adoptedRoot = e.spanId;
    adoptWaitingChildren(s, e.spanId);
  }
  s.root.otel = { name: e.name, attributes };
  s.root.events = e.events ?? [];
  if (e.endTime !== undefined) setLifecycle(s, e.status === 'error' ? 'error' : 'completed', e.endTime, e.statusMessage);
  touch(s, s.root);
}
