import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpExporter } from './exporter.js';
import type { SpanShape } from './spans.js';
import type { AgentTraceConfig } from '../../src/config.js';
import type { AgentEvent } from '../../src/events/types.js';
import type { TraceBuilder } from '../../src/model/trace-builder.js';
import type { TraceSpan } from '../../src/model/trace.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { spawnBackgroundExport } from './background.js';
import { withLock } from '../../src/store/lock.js';
import { resolveOtlpSettings, settingsToEnv, type OtlpOverrides, type OtlpSettings } from './settings.js';
import { appendWatermark, EXPORT_LOCK, readWatermark } from './watermark.js';

/**
 * OTLP export from the in-process tracer (`createSessionTracer`), kept apart from the tracer itself, which
 * only calls `noteEvent` after each recorded event, `end()` from its own `end()`, and `handOffSync()` from its
 * crash and exit paths.
 *
 * - Enabled when an endpoint resolves from the tracer's `otlp` option, the `OTEL_EXPORTER_OTLP_*`
 *   variables or the config file (`otlp.endpoint`, unless `otlp.auto` is false); `otlp: false` turns it off.
 * - Spans go out as they finish: a debounced scan (off the `record()` path, yielding to the event loop) finds
 *   finished spans not handed over yet and feeds them, as ReadableSpans, to an OpenTelemetry
 *   `BatchSpanProcessor` wrapping the OTLP exporter.
 * - The batch processor's exporter takes the session's export lock and the endpoint's watermark like
 *   `agent-trace export` does, so the tracer, the hook's background export and a manual export never send
 *   one span twice, and a span is recorded as sent only once the collector acknowledged it.
 * - `end()` scans, flushes the batch processor, then runs a watermark export of the whole session as a
 *   catch-up: whatever the processor dropped (queue full) or failed to send goes out now, or stays unsent
 *   (and recorded as such) for the next export if the collector is down.
 * - `flushSync` (crash) and exit without `end()` cannot wait for the network. Nothing is lost: the journal
 *   is on disk and the watermark only names acknowledged spans. `handOffSync()` starts a detached
 *   `agent-trace export <session>` (with this tracer's endpoint and headers in its environment) that sends
 *   whatever was not acknowledged; if that cannot start, the next `agent-trace export` sends it.
 */

export interface TracerOtlpOptions extends OtlpOverrides {
  /** Pause between scans for newly finished spans (default 500 ms). */
  scanDelayMs?: number;
  /** BatchSpanProcessor delay between exports (default 1000 ms) and batch size (default 512). */
  scheduledDelayMillis?: number;
  maxExportBatchSize?: number;
}

export interface TracerExport {
  readonly settings: OtlpSettings;
  /** After each recorded event: cheap, schedules a scan. */
  noteEvent(event: AgentEvent): void;
  /** From the tracer's `end()`: scan, flush, catch up. Never throws. */
  end(): Promise<void>;
  /** From the crash and exit paths: synchronous; hands unsent spans to a background export. Never throws. */
  handOffSync(): void;
}

export interface TracerExportParams {
  dir: string;
  sessionId: string;
  store: SessionStore;
  options: TracerOtlpOptions | false | undefined;
  config: AgentTraceConfig;
  builder: () => TraceBuilder;
  report: (context: string, error: unknown) => void;
  env?: NodeJS.ProcessEnv;
}

/** The tracer's OTLP export, or undefined when no endpoint is configured (or export is turned off). */
export function createTracerExport(params: TracerExportParams): TracerExport | undefined {
  if (params.options === false) return undefined;
  let settings: OtlpSettings | undefined;
  try {
    settings = resolveOtlpSettings({ flags: params.options ?? {}, env: params.env ?? process.env, config: params.config.otlp });
  } catch (error) {
    params.report('otlp settings', error);
    return undefined;
  }
  if (!settings) return undefined;
  if (settings.sources.endpoint === 'config' && params.config.otlp?.auto === false) return undefined;
  return new TracerOtlpExport(params, settings, params.options || {});
}

interface Runtime {
  exporter: OtlpExporter;
  processor: { onEnd(span: ReadableSpan): void; forceFlush(): Promise<void>; shutdown(): Promise<void> };
  convert: (span: TraceSpan) => ReadableSpan;
  resource: import('@opentelemetry/resources').Resource;
}

const SPAN_PREFIX = Buffer.from('{"spanId":"');
const COMMA = 0x2c;

class TracerOtlpExport implements TracerExport {
  private readonly folder: string;
  private readonly handed = new Set<string>();
  private readonly shapes = new Map<string, SpanShape>();
  private rootSpanId: string | undefined;
  private runtime: Promise<Runtime> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private firstScan = true;
  private handedOff = false;

  constructor(
    private readonly params: TracerExportParams,
    readonly settings: OtlpSettings,
    private readonly options: TracerOtlpOptions,
  ) {
    this.folder = params.store.folder(params.sessionId);
  }

  noteEvent(_event: AgentEvent): void {
    if (this.timer || this.handedOff) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.scan();
    }, this.options.scanDelayMs ?? 500);
    this.timer.unref();
  }

  private start(): Promise<Runtime> {
    this.runtime ??= (async () => {
      const [{ OtlpExporter }, spans, { BatchSpanProcessor }, { version }] = await Promise.all([
        import('./exporter.js'),
        import('./spans.js'),
        import('@opentelemetry/sdk-trace'),
        import('../../src/version.js'),
      ]);
      const s = this.settings;
      const exporter = new OtlpExporter({
        url: s.url,
        protocol: s.protocol,
        headers: s.headers,
        timeoutMs: s.timeoutMs,
        compression: s.compression,
        retries: s.retries,
        backoffMs: s.backoffMs,
        tls: s.tls,
      });
      const resource = spans.buildResource({ serviceName: s.serviceName, serviceVersion: version, attributes: s.resourceAttributes });
      const processor = new BatchSpanProcessor({
        exporter: new WatermarkSpanExporter(exporter, this.folder, this.params.report),
        scheduledDelayMillis: this.options.scheduledDelayMillis ?? 1_000,
        maxExportBatchSize: this.options.maxExportBatchSize ?? 512,
        maxQueueSize: 8_192,
        exportTimeoutMillis: 120_000,
      });
      const convert = (span: TraceSpan): ReadableSpan => {
        const builder = this.params.builder();
        return new spans.SpanConverter({
          sessionId: this.params.sessionId,
          traceId: builder.traceId,
          mode: s.traceMode,
          resource,
          shapes: this.shapes,
          rootSpanId: this.rootSpanId,
          toolCall: (callId) => builder.toolCallSpan(callId),
          title: builder.sessionTitle(),
        }).convert(span);
      };
      return { exporter, processor, convert, resource };
    })();
    return this.runtime;
  }

  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        await this.scanOnce();
      } while (this.rescan);
    })()
      .catch((error: unknown) => this.params.report('otlp scan', error))
      .finally(() => {
        this.scanning = undefined;
      });
    return this.scanning;
  }

  /** Hands every finished span not handed over yet to the batch processor. */
  private async scanOnce(): Promise<void> {
    const rt = await this.start();
    const full = this.firstScan;
    if (this.firstScan) {
      this.firstScan = false;
      for (const id of readWatermark(this.folder, rt.exporter.endpoint).sent) this.handed.add(id);
    }
    const finished: TraceSpan[] = [];
    let slice = performance.now();
    for (const span of this.spanPieces(full)) {
      this.shapes.set(span.spanId, { parentSpanId: span.parentSpanId, kind: span.kind });
      if (span.parentSpanId === null && span.kind === 'session') this.rootSpanId = span.spanId;
      if (span.endTime !== undefined && !this.handed.has(span.spanId)) finished.push(span);
      if (performance.now() - slice > 2) {
        await yieldToLoop();
        slice = performance.now();
      }
    }
    for (const span of finished) {
      this.handed.add(span.spanId);
      rt.processor.onEnd(rt.convert(span));
    }
  }

  /**
   * The spans of the builder not handed over yet (all of them when `all`), parsed one by one from its cached
   * per-span JSON (`serializeChunks`), so a scan costs a parse only for spans that are new or still open.
   * Falls back to `toDocument()` should the serialization ever take another shape.
   */
  private *spanPieces(all: boolean): Generator<TraceSpan> {
    const builder = this.params.builder();
    const chunks = typeof builder.serializeChunks === 'function' ? builder.serializeChunks() : undefined;
    if (!chunks) {
      for (const span of builder.toDocument().spans) if (all || !this.handed.has(span.spanId)) yield span;
      return;
    }
    let first = true;
    for (const chunk of chunks) {
      if (first) {
        first = false; // the document header
        continue;
      }
      const start = chunk[0] === COMMA ? 1 : 0;
      if (chunk.length - start < SPAN_PREFIX.length + 16) continue; // separators, the closing bracket
      if (chunk.compare(SPAN_PREFIX, 0, SPAN_PREFIX.length, start, start + SPAN_PREFIX.length) !== 0) {
        for (const span of builder.toDocument().spans) if (all || !this.handed.has(span.spanId)) yield span;
        return;
      }
      const idStart = start + SPAN_PREFIX.length;
      if (!all && this.handed.has(chunk.toString('latin1', idStart, idStart + 16))) continue;
      yield JSON.parse(chunk.toString('utf8', start)) as TraceSpan;
    }
  }

  async end(): Promise<void> {
    try {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      await this.scan();
      const rt = await this.start();
      await rt.processor.forceFlush();
      const { exportSession } = await import('./session-export.js');
      const builder = this.params.builder();
      await exportSession({
        store: this.params.store,
        sessionId: this.params.sessionId,
        exporter: rt.exporter,
        resource: rt.resource,
        traceMode: this.settings.traceMode,
        load: () => builder.toDocument(),
        lockWaitMs: 30_000,
      });
    } catch (error) {
      this.params.report('otlp end', error);
    }
  }

  handOffSync(): void {
    if (this.handedOff) return;
    this.handedOff = true;
    try {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      spawnBackgroundExport({
        dir: this.params.dir,
        sessionId: this.params.sessionId,
        env: { ...(this.params.env ?? process.env), ...settingsToEnv(this.settings) },
      });
    } catch (error) {
      this.params.report('otlp hand-off', error);
    }
  }
}

/**
 * The batch processor's exporter: under the session's export lock, drops spans the endpoint already
 * acknowledged (another export may have sent them), sends the rest, and records them once acknowledged.
 */
class WatermarkSpanExporter implements SpanExporter {
  constructor(
    private readonly otlp: OtlpExporter,
    private readonly folder: string,
    private readonly report: (context: string, error: unknown) => void,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.send(spans).then(
      () => resultCallback({ code: 0 }),
      (error: unknown) => {
        this.report('otlp export (unsent spans stay for the next export)', error);
        resultCallback({ code: 1, error: error as Error });
      },
    );
  }

  private send(spans: ReadableSpan[]): Promise<void> {
    return withLock(
      this.folder,
      async () => {
        const watermark = readWatermark(this.folder, this.otlp.endpoint);
        const fresh = spans.filter((s) => !watermark.sent.has(s.spanContext().spanId));
        if (fresh.length === 0) return;
        await this.otlp.send(fresh);
        appendWatermark(
          this.folder,
          this.otlp.endpoint,
          fresh.map((s) => s.spanContext().spanId),
          watermark,
        );
      },
      { name: EXPORT_LOCK, waitMs: 30_000 },
    );
  }

  async forceFlush(): Promise<void> {
    await this.otlp.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.otlp.shutdown();
  }
}
