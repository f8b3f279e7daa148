import { hostname } from 'node:os';
import { SpanKind, SpanStatusCode, TraceFlags, type HrTime, type Link, type SpanContext } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime, SDK_INFO } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { Attributes } from '../../src/events/types.js';
import { contentAttributes, type ToolCallLookup } from '../../src/model/attributes.js';
import { traceIdFor } from '../../src/model/ids.js';
import type { SpanKind as TraceSpanKind, TraceSpan } from '../../src/model/trace.js';

/**
 * Trace-document spans (trace.json) → OpenTelemetry `ReadableSpan`s, the input of the official OTLP exporters.
 *
 * - times: epoch milliseconds (with fractions) → `HrTime` → nanoseconds on the wire (`msToNanos` is the exact
 *   rule, so tests and the receiver can compare);
 * - ids: the document's deterministic ids as they are, so a re-export, a rebuild from the journal and the
 *   viewer all name the same span;
 * - attributes: the GenAI + OpenInference sets already on the span, plus the content attributes
 *   (`input.value`, `output.value`, `gen_ai.tool.call.arguments` …) made from `input`/`output` only here;
 * - one trace per session (default), or one trace per turn (`traceMode: 'turn'`): each turn becomes the root of
 *   its own trace, linked to the session span and carrying `session.id` like every span.
 */

export type TraceMode = 'session' | 'turn';

export const INSTRUMENTATION_SCOPE = { name: 'agent-trace' } as const;

/** Epoch milliseconds (fractions allowed) → OpenTelemetry HrTime [seconds, nanoseconds]: the SDK's own rule. */
export function msToHrTime(ms: number): HrTime {
  return millisToHrTime(ms);
}

/** Epoch milliseconds → the unsigned nanoseconds OTLP carries (`startTimeUnixNano` …), exactly as exported. */
export function msToNanos(ms: number): bigint {
  const [s, n] = msToHrTime(ms);
  return BigInt(s) * 1_000_000_000n + BigInt(n);
}

/** The trace id of one turn in `turn` mode: derived, like every id, from the session id and a stable key. */
export function turnTraceId(sessionId: string, turnSpanId: string): string {
  return traceIdFor(`${sessionId}\u0000turn\u0000${turnSpanId}`);
}

export interface ResourceOptions {
  serviceName?: string;
  serviceVersion?: string;
  /** Extra resource attributes (config `otlp.resourceAttributes`, `OTEL_RESOURCE_ATTRIBUTES`). */
  attributes?: Record<string, string>;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm32', ia32: 'x86', ppc64: 'ppc64', s390x: 's390x' };
const OS: Record<string, string> = { win32: 'windows', darwin: 'darwin', linux: 'linux', freebsd: 'freebsd', openbsd: 'openbsd', sunos: 'solaris', aix: 'aix' };

/** `service.name` (default `agent-trace`), `service.version`, host, OS, runtime and SDK attributes. */
export function buildResource(options: ResourceOptions = {}): Resource {
  const attributes: Attributes = {
    'service.name': 'agent-trace',
    'telemetry.sdk.name': String(SDK_INFO['telemetry.sdk.name'] ?? 'opentelemetry'),
    'telemetry.sdk.language': String(SDK_INFO['telemetry.sdk.language'] ?? 'nodejs'),
    'telemetry.sdk.version': String(SDK_INFO['telemetry.sdk.version'] ?? ''),
    'host.name': safeHostname(),
    'host.arch': ARCH[process.arch] ?? process.arch,
    'os.type': OS[process.platform] ?? process.platform,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
  };
  if (options.serviceVersion) attributes['service.version'] = options.serviceVersion;
  for (const [k, v] of Object.entries(options.attributes ?? {})) if (k) attributes[k] = v;
  if (options.serviceName) attributes['service.name'] = options.serviceName;
  return resourceFromAttributes(attributes);
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return 'unknown';
  }
}

/** What the converter needs to know about every span of the session (for `turn` mode: who is under which turn). */
export interface SpanShape {
  parentSpanId: string | null;
  kind: TraceSpanKind;
}

export interface SpanConverterOptions {
  sessionId: string;
  /** The session's trace id (trace.json `traceId`). */
  traceId: string;
  mode?: TraceMode;
  resource: Resource;
  /** Parent and kind of every span of the session; needed in `turn` mode to find each span's turn. */
  shapes?: ReadonlyMap<string, SpanShape>;
  /** Span id of the session root (the `session` span), for the links of turn roots. */
  rootSpanId?: string;
  scope?: { name: string; version?: string };
  /** The tool span of a call id: fills in tool results and arguments of model-call messages. */
  toolCall?: ToolCallLookup;
  /** The session's title: names the trace (`langfuse.trace.name` on its root). */
  title?: string;
}

const STATUS = { ok: SpanStatusCode.OK, error: SpanStatusCode.ERROR, unset: SpanStatusCode.UNSET } as const;

/** Converts finished trace-document spans; one converter per session export. */
export class SpanConverter {
  private readonly mode: TraceMode;
  private readonly turnOf = new Map<string, string | null>();
  private readonly scope: { name: string; version?: string };

  constructor(private readonly options: SpanConverterOptions) {
    this.mode = options.mode ?? 'session';
    this.scope = options.scope ?? INSTRUMENTATION_SCOPE;
  }

  /** The turn span a span belongs to (itself for a turn), or null when it is not under any turn. */
  private turnFor(spanId: string): string | null {
    const known = this.turnOf.get(spanId);
    if (known !== undefined) return known;
    const shapes = this.options.shapes;
    const chain: string[] = [];
    let current: string | null = spanId;
    let found: string | null = null;
    const seen = new Set<string>();
    while (current && !seen.has(current)) {
      seen.add(current);
      const cached = this.turnOf.get(current);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      chain.push(current);
      const shape: SpanShape | undefined = shapes?.get(current);
      if (!shape) break;
      if (shape.kind === 'turn') {
        found = current;
        break;
      }
      current = shape.parentSpanId;
    }
    for (const id of chain) this.turnOf.set(id, found);
    return found;
  }

  /** Trace id, parent and links of a span under the configured trace mode. */
  placement(span: Pick<TraceSpan, 'spanId' | 'parentSpanId' | 'kind'>): { traceId: string; parentSpanId: string | null; links: Link[] } {
    const { sessionId, traceId } = this.options;
    if (this.mode !== 'turn') return { traceId, parentSpanId: span.parentSpanId, links: [] };
    const turn = span.kind === 'turn' ? span.spanId : this.turnFor(span.spanId);
    if (!turn) return { traceId, parentSpanId: span.parentSpanId, links: [] };
    const turnTrace = turnTraceId(sessionId, turn);
    if (span.spanId !== turn) return { traceId: turnTrace, parentSpanId: span.parentSpanId, links: [] };
    const links: Link[] = [];
    const root = this.options.rootSpanId ?? span.parentSpanId;
    if (root) {
      links.push({
        context: { traceId, spanId: root, traceFlags: TraceFlags.SAMPLED, isRemote: false },
        attributes: { 'agent_trace.link': 'session', 'session.id': sessionId },
      });
    }
    return { traceId: turnTrace, parentSpanId: null, links };
  }

  /** A finished span as an OpenTelemetry ReadableSpan. Throws on an open span (it has no end yet). */
  convert(span: TraceSpan): ReadableSpan {
    if (span.endTime === undefined) throw new Error(`span ${span.spanId} is still open`);
    const { traceId, parentSpanId, links } = this.placement(span);
    const context: SpanContext = { traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: false };
    const parent: SpanContext | undefined = parentSpanId
      ? { traceId, spanId: parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: false }
      : undefined;
    const startTime = msToHrTime(span.startTime);
    const endTime = msToHrTime(Math.max(span.endTime, span.startTime));
    // Object.assign and a loop, not object spread: spread into objects with dotted keys is ~10× slower here.
    const attributes: Attributes = Object.assign({}, span.attributes);
    const content = contentAttributes(span, this.options.toolCall);
    for (const key in content) attributes[key] = content[key]!;
    if (this.mode === 'turn' && span.kind === 'turn') attributes['agent_trace.session.trace_id'] = this.options.traceId;
    // Backends name a trace after its root span, which would be `invoke_agent claude-code` for every session:
    // the root goes out named by the session's title (its operation and agent stay in `gen_ai.operation.name`
    // and `gen_ai.agent.name`), and Langfuse, which prefers it, gets `langfuse.trace.name` as well.
    const title = this.options.title?.trim();
    let name = span.name;
    if (title && parentSpanId === null && (span.kind === 'session' || span.kind === 'turn')) {
      const turn = span.attributes['agent_trace.turn'];
      name = span.kind === 'turn' && typeof turn === 'number' ? `${title} · turn ${turn}` : title;
      attributes['langfuse.trace.name'] = name;
      attributes['agent_trace.span.name'] = span.name;
    }
    const events: TimedEvent[] = (span.events ?? []).map((e) =>
      e.attributes && Object.keys(e.attributes).length
        ? { name: e.name, time: msToHrTime(e.time), attributes: e.attributes }
        : { name: e.name, time: msToHrTime(e.time) },
    );
    const status = span.statusMessage !== undefined && span.status === 'error'
      ? { code: STATUS[span.status], message: span.statusMessage }
      : { code: STATUS[span.status] ?? SpanStatusCode.UNSET };
    return {
      name,
      kind: span.kind === 'generation' ? SpanKind.CLIENT : SpanKind.INTERNAL,
      spanContext: () => context,
      parentSpanContext: parent,
      startTime,
      endTime,
      status,
      attributes,
      links,
      events,
      duration: hrTimeDuration(startTime, endTime),
      ended: true,
      resource: this.options.resource,
      instrumentationScope: this.scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }
}

/** Tool spans by call id (`gen_ai.tool.call.id`), for `SpanConverterOptions.toolCall`. */
export function toolCallLookup(spans: readonly TraceSpan[]): ToolCallLookup {
  const byId = new Map<string, TraceSpan>();
  for (const s of spans) {
    const id = s.kind === 'tool' ? s.attributes['gen_ai.tool.call.id'] : undefined;
    if (typeof id === 'string') byId.set(id, s);
  }
  return (callId) => byId.get(callId);
}

/** Parent and kind of every span of a document, for `SpanConverterOptions.shapes`. */
export function spanShapes(spans: readonly Pick<TraceSpan, 'spanId' | 'parentSpanId' | 'kind'>[]): Map<string, SpanShape> {
  const shapes = new Map<string, SpanShape>();
  for (const s of spans) shapes.set(s.spanId, { parentSpanId: s.parentSpanId, kind: s.kind });
  return shapes;
}

/**
 * A rough upper bound of a span's encoded size, to keep requests well under collector limits: content
 * attributes and events dominate; the rest of a span is a few hundred bytes.
 */
export function estimateSpanBytes(span: ReadableSpan): number {
  let bytes = 400 + span.name.length;
  const a = span.attributes;
  for (const key of CONTENT_KEYS) {
    const v = a[key];
    if (typeof v === 'string') bytes += v.length;
  }
  for (const e of span.events) {
    bytes += 60 + e.name.length;
    if (e.attributes) for (const key in e.attributes) {
      const v = e.attributes[key];
      bytes += key.length + (typeof v === 'string' ? v.length : 10);
    }
  }
  return bytes;
}

const CONTENT_KEYS = ['input.value', 'output.value', 'gen_ai.tool.call.arguments', 'gen_ai.tool.call.result'] as const;
