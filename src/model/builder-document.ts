import type { GenerationOutput } from '../events/types.js';
import { hasTokens, imageParts, titleFrom } from './builder-content.js';
import { spanAttributes, spanName, type AttributeContext } from './builder-naming.js';
import type { BuilderState } from './builder-state.js';
import { summarize } from './builder-summary.js';
import type { ChatMessage } from './messages.js';
import { priceCall, type CallCost } from './pricing.js';
import { orderDocFields, orderSpanFields } from './serialize.js';
import { byStart, isDocumentOrder, type SpanState } from './span-state.js';
import type { SpanStatus, TraceDocument, TraceSpan } from './trace.js';
import { spanIdFor } from './ids.js';

/** The reducer's state as the trace document: its header, each span as `TraceSpan`, and each span's cached bytes. */

/**
 * Spans in document order: the root, then by start time (insertion order breaks ties). The last order is
 * reused when it still holds — a cheap check, since a snapshot or a crash write rarely moves a span.
 */
export function sortedSpans(s: BuilderState): SpanState[] {
  if (s.root.startTime === Number.POSITIVE_INFINITY) s.root.startTime = 0;
  const cached = s.sorted;
  if (cached && cached.length === s.order.length && isDocumentOrder(cached, s.root)) return cached;
  s.sorted = [...s.order].sort((a, b) => {
    if (a === s.root) return -1;
    if (b === s.root) return 1;
    return byStart(a, b);
  });
  return s.sorted;
}

export function documentHeader(s: BuilderState, spans: SpanState[]): Omit<TraceDocument, 'spans'> {
  const doc: Omit<TraceDocument, 'spans'> = {
    schemaVersion: 1,
    traceId: s.traceId,
    sessionId: s.sessionId,
    agent: s.agent,
    status: s.lifecycle,
    startTime: s.startTime === Number.POSITIVE_INFINITY ? 0 : s.startTime,
    models: [...s.models],
    summary: summarize(spans, { costOf: (span) => costOf(s, span), startTime: s.startTime, endTime: s.endTime, lastTime: s.lastTime }),
  };
  if (s.endTime !== undefined && s.lifecycle !== 'running') doc.endTime = s.endTime;
  const title = sessionTitle(s);
  if (title) doc.title = title;
  if (s.cwd) doc.cwd = s.cwd;
  if (s.gitBranch) doc.gitBranch = s.gitBranch;
  return orderDocFields(doc);
}

/** The session's title as the document gives it: the one reported, else one made from the first prompt. */
export function sessionTitle(s: BuilderState): string | undefined {
  return s.title ?? titleFrom(s.firstPrompt);
}

export function toTraceSpan(s: BuilderState, span: SpanState): TraceSpan {
  const isRoot = span === s.root;
  const status = isRoot ? rootStatus(s) : { status: span.status, message: span.statusMessage };
  const endTime = isRoot ? s.endTime : span.endTime;
  const out: TraceSpan = {
    spanId: span.id,
    // An OTel child can arrive before its parent (processors export spans as they end): until the parent
    // comes, it hangs under the session so the document never names a span it does not hold.
    parentSpanId: span.parentId !== null && !s.spans.has(span.parentId) ? s.root.id : span.parentId,
    name: spanName(span, s.agent.name),
    kind: span.kind,
    startTime: span.startTime,
    status: status.status,
    attributes: spanAttributes(span, attributeContext(s)),
  };
  if (endTime !== undefined) out.endTime = endTime;
  if (status.message !== undefined) out.statusMessage = status.message;
  const input = isRoot ? s.firstPrompt : span.kind === 'generation' && span.input === undefined && !span.otel ? derivedInput(s, span) : span.input;
  if (input !== undefined) out.input = input;
  const output = isRoot ? sessionOutput(s) : span.output ?? (span.kind === 'turn' ? span.finalText : undefined);
  if (output !== undefined) out.output = output;
  if (span.events.length) out.events = span.events;
  // Keep the documented field order whatever optional fields were filled in.
  return orderSpanFields(out);
}

/** A span's JSON as UTF-8; every span but the root (always first) carries the comma that precedes it. */
export function spanBytes(s: BuilderState, span: SpanState): Buffer {
  // The root's fields depend on session state (status, end), which changes without touching the root.
  if (span === s.root) return Buffer.from(JSON.stringify(toTraceSpan(s, span)));
  span.bytes ??= Buffer.from(`,${JSON.stringify(toTraceSpan(s, span))}`);
  return span.bytes;
}

function attributeContext(s: BuilderState): AttributeContext {
  return {
    sessionId: s.sessionId,
    agent: s.agent,
    provider: s.provider,
    agentPid: s.agentPid,
    cwd: s.cwd,
    costOf: (span) => costOf(s, span),
  };
}

/** The price of a model call, at the time it was made (a span's serialization is cached, so once per change). */
function costOf(s: BuilderState, span: SpanState): CallCost | undefined {
  if (span.cost === undefined) {
    span.cost = span.usage && hasTokens(span.usage)
      ? priceCall(span.model, span.usage, { provider: span.provider ?? s.provider, time: span.startTime, table: s.prices }) ?? null
      : null;
  }
  return span.cost ?? undefined;
}

/**
 * What was new in a model call, when the source did not record its input: the prompt, for the first call
 * of a turn or subagent, and the results of the previous call's tool calls (by call id; the results stay on
 * their tool spans).
 */
function derivedInput(s: BuilderState, span: SpanState): ChatMessage[] | undefined {
  const parent = span.parentId ? s.spans.get(span.parentId) : undefined;
  const prev = span.prevGen && span.prevGen.parentId === span.parentId ? span.prevGen : undefined;
  const messages: ChatMessage[] = [];
  if (!prev && (parent?.kind === 'turn' || parent?.kind === 'subagent') && typeof parent.input === 'string') {
    messages.push({ role: 'user', parts: [{ type: 'text', content: parent.input }, ...imageParts(parent.extra?.['agent_trace.prompt.images'])] });
  }
  for (const call of (prev?.output as GenerationOutput | undefined)?.toolCalls ?? []) {
    // Only calls whose tool span is here: a reference must name a result the exporter can fill in.
    if (call.id && s.spans.get(spanIdFor(s.sessionId, 'tool', call.id))?.kind === 'tool') {
      messages.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: call.id }] });
    }
  }
  return messages.length ? messages : undefined;
}

/** The session's last word: the final assistant text of its latest turn that has one. */
function sessionOutput(s: BuilderState): string | undefined {
  if (s.root.output !== undefined) return typeof s.root.output === 'string' ? s.root.output : undefined;
  for (let i = s.turns.length - 1; i >= 0; i--) {
    const t = s.turns[i]!;
    const text = typeof t.output === 'string' ? t.output : t.finalText;
    if (text) return text;
  }
  return undefined;
}

function rootStatus(s: BuilderState): { status: SpanStatus; message?: string } {
  switch (s.lifecycle) {
    case 'completed':
      return { status: 'ok' };
    case 'crashed':
    case 'error':
      return { status: 'error', message: s.lifecycleMessage ?? s.lifecycle };
    default:
      return { status: 'unset' };
  }
}
