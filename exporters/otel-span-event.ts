import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Attributes, AttributeValue, OtelSpanEvent } from '../src/events/types.js';

/** OTel HrTime [seconds, nanoseconds] to epoch milliseconds (sub-ms precision kept as a fraction). */
export function hrTimeToMs(time: [number, number]): number {
  return time[0] * 1000 + time[1] / 1e6;
}

function attributes(input: Record<string, unknown> | undefined): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(input ?? {})) {
    if (v === undefined || v === null) continue;
    out[k] = (typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(v) : v) as AttributeValue;
  }
  return out;
}

/**
 * The session a span belongs to: the GenAI conversation id or OpenInference session id when the pipeline sets
 * one (on the span or its resource), otherwise its trace.
 */
function sessionIdOf(span: ReadableSpan): string {
  const keys = ['session.id', 'gen_ai.conversation.id'];
  for (const source of [span.attributes, span.resource?.attributes]) {
    for (const key of keys) {
      const value = source?.[key];
      if (typeof value === 'string' && value) return value;
    }
  }
  return `otel-${span.spanContext().traceId}`;
}

const STATUS = ['unset', 'ok', 'error'] as const;

export function otelSpanToEvent(span: ReadableSpan): OtelSpanEvent {
  const ctx = span.spanContext();
  const ended = span.ended;
  const event: OtelSpanEvent = {
    type: 'otel.span',
    sessionId: sessionIdOf(span),
    time: hrTimeToMs(ended ? span.endTime : span.startTime),
    source: 'otel',
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    startTime: hrTimeToMs(span.startTime),
    status: STATUS[span.status.code] ?? 'unset',
    attributes: attributes(span.attributes as Record<string, unknown>),
  };
  if (ended) event.endTime = hrTimeToMs(span.endTime);
  if (span.status.message) event.statusMessage = span.status.message;
  if (span.events.length) {
    event.events = span.events.map((e) => ({
      name: e.name,
      time: hrTimeToMs(e.time),
      ...(e.attributes ? { attributes: attributes(e.attributes as Record<string, unknown>) } : {}),
    }));
  }
  return event;
}
