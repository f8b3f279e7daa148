import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { version } from '../../src/version.js';
import { classify, RetryPolicy } from './retry.js';
import type { OtlpCompression, OtlpProtocol } from './settings.js';
import { HttpTransport, type TlsFiles } from './transport.js';

/**
 * The OTLP/HTTP exporter. Spans are encoded by the official serializers of `@opentelemetry/otlp-transformer`
 * (`ProtobufTraceSerializer` for `http/protobuf`, the default; `JsonTraceSerializer` for `http/json`) and
 * posted by our own small transport (transport.ts), so that what an exactly-once export needs is ours to
 * keep, without reaching into the SDK:
 *
 * - `send(spans)` resolves only when the collector acknowledged the request (2xx) and rejects with an
 *   `OtlpExportError` — a one-line message naming the endpoint and the fix — otherwise;
 * - every attempt is one HTTP request with its own outcome, retried by one policy (retry.ts) within a budget;
 * - wire statistics (bytes written, requests acknowledged) for the export summary.
 *
 * It also is an OpenTelemetry `SpanExporter`, so any OTel SDK pipeline can use it (with a BatchSpanProcessor).
 */

export type { OtlpCompression, OtlpProtocol };

export interface OtlpExporterOptions {
  /** The full traces URL, e.g. `http://localhost:4318/v1/traces`. */
  url: string;
  protocol?: OtlpProtocol;
  headers?: Record<string, string>;
  /** Per attempt (one HTTP request). Default 10 000 ms. */
  timeoutMs?: number;
  compression?: OtlpCompression;
  /** TLS files (PEM) for https endpoints: a CA to trust, a client key and certificate. */
  tls?: TlsFiles;
  /** Extra attempts after the first when the collector answered badly (timeout, dropped, 408/429/5xx). Default 3. */
  retries?: number;
  /** Extra attempts after the first when no connection could be made (refused, unknown host). Default 2, at most `retries`. */
  connectRetries?: number;
  /** First backoff; doubles each retry (±20 % jitter). Default 500 ms; connection failures wait half as long. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Time one request may take in all, attempts and waits together. Default 15 000 ms (DEFAULT_RETRY_BUDGET_MS). */
  retryBudgetMs?: number;
  /** Called before each retry (for progress output); `elapsedMs` is the time the request has taken so far. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string; elapsedMs: number }) => void;
}

export interface WireStats {
  /** Bytes written to the collector (request lines, headers and bodies). */
  bytesSent: number;
  /** Requests the collector acknowledged. */
  acknowledged: number;
}

/** A failed export: `message` is one line naming the endpoint and what to do. */
export class OtlpExportError extends Error {
  constructor(
    message: string,
    readonly endpoint: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly attempts = 1,
  ) {
    super(message);
    this.name = 'OtlpExportError';
  }
}

/** How long one request may take in all, attempts and waits together, unless `retryBudgetMs` says otherwise. */
export const DEFAULT_RETRY_BUDGET_MS = 15_000;

const SUCCESS = 0;
const FAILED = 1;

type Serializer = { serializeRequest(spans: ReadableSpan[]): Uint8Array | undefined };

/**
 * The serializers load on first use (~60 ms): importing the library, or a tracer that never exports, stays cheap.
 */
let serializers: Promise<{ protobuf: Serializer; json: Serializer }> | undefined;
function loadSerializers(): Promise<{ protobuf: Serializer; json: Serializer }> {
  serializers ??= import('@opentelemetry/otlp-transformer').then((m) => ({ protobuf: m.ProtobufTraceSerializer, json: m.JsonTraceSerializer }));
  return serializers;
}

const gzipAsync = promisify(gzip);

/** The endpoint as shown in messages and kept in watermarks: no credentials, no query (it may hold keys). */
export function displayEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

export class OtlpExporter implements SpanExporter {
  readonly url: string;
  readonly protocol: OtlpProtocol;
  readonly stats: WireStats = { bytesSent: 0, acknowledged: 0 };
  private readonly transport: HttpTransport;
  private readonly compression: OtlpCompression;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly connectRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly retryBudgetMs: number;
  private readonly onRetry: OtlpExporterOptions['onRetry'];
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(options: OtlpExporterOptions) {
    this.url = options.url;
    this.protocol = options.protocol ?? 'http/protobuf';
    this.compression = options.compression ?? 'none';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = Math.max(0, options.retries ?? 3);
    this.connectRetries = Math.min(this.retries, Math.max(0, options.connectRetries ?? 2));
    this.backoffMs = Math.max(0, options.backoffMs ?? 500);
    this.maxBackoffMs = options.maxBackoffMs ?? 8_000;
    this.retryBudgetMs = options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
    this.onRetry = options.onRetry;
    this.transport = new HttpTransport({
      url: options.url,
      headers: { 'user-agent': `agent-trace/${version}`, ...(options.headers ?? {}) },
      tls: options.tls,
    });
  }

  get endpoint(): string {
    return displayEndpoint(this.url);
  }

  /** The request body and its headers, encoded once for every attempt. */
  private async encode(spans: ReadableSpan[]): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
    const { protobuf, json } = await loadSerializers();
    const serializer = this.protocol === 'http/json' ? json : protobuf;
    const encoded = serializer.serializeRequest(spans);
    if (!encoded) throw new OtlpExportError(`cannot export to ${this.endpoint}: the spans could not be encoded`, this.endpoint, false);
    const headers: Record<string, string> = { 'content-type': this.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf' };
    if (this.compression !== 'gzip') return { body: encoded, headers };
    headers['content-encoding'] = 'gzip';
    return { body: await gzipAsync(encoded), headers };
  }

  /**
   * Sends one request's worth of spans; resolves once the collector acknowledged them. Rejects with an
   * OtlpExportError when no retry can help, the retries are used up, or the budget is spent.
   */
  async send(spans: ReadableSpan[]): Promise<void> {
    if (spans.length === 0) return;
    if (this.closed) throw new OtlpExportError(`cannot export to ${this.endpoint}: the exporter was shut down`, this.endpoint, false);
    const { body, headers } = await this.encode(spans);
    const policy = new RetryPolicy({
      timeoutMs: this.timeoutMs,
      retries: this.retries,
      connectRetries: this.connectRetries,
      backoffMs: this.backoffMs,
      maxBackoffMs: this.maxBackoffMs,
      budgetMs: this.retryBudgetMs,
    });
    let timeoutMs = this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.transport.post(body, headers, timeoutMs);
      this.stats.bytesSent += outcome.bytes;
      if (outcome.ok) {
        this.stats.acknowledged++;
        return;
      }
      const failure = classify(outcome, this.url, timeoutMs);
      const decision = policy.next(failure, timeoutMs, this.closed);
      if (!decision.retry) {
        throw new OtlpExportError(
          `cannot export to ${this.endpoint}: ${decision.reason}${policy.triesText(attempt)}; ${failure.hint}`,
          this.endpoint,
          failure.kind !== 'final',
          failure.status,
          attempt,
        );
      }
      timeoutMs = decision.timeoutMs;
      try {
        this.onRetry?.({ attempt: attempt + 1, delayMs: decision.delayMs, reason: decision.reason, elapsedMs: Date.now() - policy.started });
      } catch {
        // progress output must not break the export
      }
      await new Promise((r) => setTimeout(r, decision.delayMs));
    }
  }

  /** OpenTelemetry `SpanExporter.export`: for BatchSpanProcessor and any OTel SDK pipeline. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const p = this.send(spans).then(
      () => resultCallback({ code: SUCCESS }),
      (error: unknown) => resultCallback({ code: FAILED, error: error as Error }),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.closed = true;
    this.transport.close();
  }
}
