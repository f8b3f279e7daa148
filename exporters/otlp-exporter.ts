import type { Agent as HttpAgent } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { ExportResult } from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as OtlpProto from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * The OTLP/HTTP exporter: the official `OTLPTraceExporter` (`@opentelemetry/exporter-trace-otlp-proto` for
 * `http/protobuf`, the default, `-http` for `http/json`) behind a small layer that adds what an exactly-once
 * export needs:
 *
 * - `send(spans)` resolves only when the collector acknowledged the request (2xx) and rejects with an
 *   `OtlpExportError` — a one-line message naming the endpoint and the fix — otherwise;
 * - retries with exponential backoff and jitter on top of the SDK's own (which covers 429/502/503/504 and
 *   network errors within the timeout): also 408, 500 and other 5xx, timeouts and dropped connections, up to
 *   `retries` times within `retryBudgetMs`; other 4xx (bad credentials, wrong path, payload too large) fail
 *   at once, since repeating cannot help;
 * - wire statistics (bytes written, requests, the last HTTP status seen) for the export summary.
 *
 * It also is an OpenTelemetry `SpanExporter`, so any OTel SDK pipeline can use it (with a BatchSpanProcessor).
 */

import type { OtlpCompression, OtlpProtocol } from '../src/export/settings.js';

export type { OtlpCompression, OtlpProtocol };

export interface OtlpExporterOptions {
  /** The full traces URL, e.g. `http://localhost:4318/v1/traces`. */
  url: string;
  protocol?: OtlpProtocol;
  headers?: Record<string, string>;
  /** Per request (and the SDK's retry budget per attempt). Default 10 000 ms. */
  timeoutMs?: number;
  compression?: OtlpCompression;
  /** Extra attempts after the first for a retryable failure. Default 3. */
  retries?: number;
  /** First backoff; doubles each retry (±20 % jitter). Default 500 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** No retry starts once this long has passed since the first attempt of a request. Default 15 000 ms. */
  retryBudgetMs?: number;
  /** Called before each retry (for progress output). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface WireStats {
  /** Bytes written to the collector's sockets (request lines, headers and bodies). */
  bytesSent: number;
  /** Requests the collector acknowledged. */
  acknowledged: number;
  /** Status of the last HTTP response seen on the wire (best effort), 0 before any. */
  lastStatus: number;
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

const SUCCESS = 0;

/**
 * The official exporters are CommonJS packages that take ~0.1–0.2 s to load (protobufjs and friends): they
 * are required on first construction, so importing the library (or a tracer that never exports) stays cheap.
 */
const requireHere = createRequire(import.meta.url);
function officialExporter(protocol: OtlpProtocol): typeof OtlpProto.OTLPTraceExporter | typeof OtlpHttp.OTLPTraceExporter {
  return protocol === 'http/json'
    ? (requireHere('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp).OTLPTraceExporter
    : (requireHere('@opentelemetry/exporter-trace-otlp-proto') as typeof OtlpProto).OTLPTraceExporter;
}
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface Failure {
  retryable: boolean;
  status?: number;
  reason: string;
  hint: string;
}

/** Counts what goes over the wire: wraps the agent's connections (http and https alike). */
function countingAgentFactory(stats: WireStats, sockets: Set<Socket>): (protocol: string) => Promise<HttpAgent> {
  let closedBytes = 0;
  const tracked = new WeakSet<Socket>();
  const track = (socket: Socket | undefined): void => {
    if (!socket || tracked.has(socket)) return;
    tracked.add(socket);
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1', 0, Math.min(chunk.length, 16));
      const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
      if (match) stats.lastStatus = Number(match[1]);
    });
    socket.once('close', () => {
      closedBytes += socket.bytesWritten ?? 0;
      sockets.delete(socket);
    });
  };
  Object.defineProperty(stats, 'bytesSent', {
    enumerable: true,
    get: () => {
      let live = 0;
      for (const s of sockets) live += s.bytesWritten ?? 0;
      return closedBytes + live;
    },
  });
  return async (protocol: string): Promise<HttpAgent> => {
    const mod = protocol === 'http:' ? await import('node:http') : await import('node:https');
    const agent = new mod.Agent({ keepAlive: true, maxSockets: 16 });
    type Connect = (options: unknown, callback?: (error: Error | null, socket?: Socket) => void) => Socket | undefined;
    const patched = agent as unknown as { createConnection: Connect };
    const original = patched.createConnection.bind(agent) as Connect;
    patched.createConnection = (options, callback) => {
      const socket = original(options, (error, s) => {
        track(s);
        callback?.(error, s);
      });
      track(socket ?? undefined);
      return socket;
    };
    return agent;
  };
}

function describe(error: unknown, lastStatus: number, url: string, timeoutMs: number): Failure {
  const e = error as (Error & { code?: unknown; data?: unknown }) | undefined;
  const message = e?.message ?? String(error ?? 'unknown error');
  const port = safePort(url);
  const grpcHint = port === '4317' ? '; port 4317 is OTLP/gRPC, agent-trace speaks OTLP/HTTP (usually port 4318)' : '';
  const status = typeof e?.code === 'number' ? e.code : /retryable status/.test(message) && lastStatus >= 400 ? lastStatus : undefined;
  if (status !== undefined) {
    const body = typeof e?.data === 'string' && e.data.trim() ? `: ${oneLine(e.data).slice(0, 160)}` : '';
    if (status === 401 || status === 403) {
      return {
        retryable: false,
        status,
        reason: `the collector rejected the credentials (HTTP ${status}${body})`,
        hint: 'check the Authorization/API-key header (--header, OTEL_EXPORTER_OTLP_HEADERS or otlp.headers in the config file)',
      };
    }
    if (status === 404 || status === 405) {
      return {
        retryable: false,
        status,
        reason: `no OTLP traces endpoint at this URL (HTTP ${status})`,
        hint: `check the endpoint path: it usually ends in /v1/traces (Langfuse: /api/public/otel/v1/traces)${grpcHint}`,
      };
    }
    if (status === 413) {
      return { retryable: false, status, reason: 'the request was too large for the collector (HTTP 413)', hint: 'raise the collector\'s request size limit' };
    }
    if (status === 415 || status === 400) {
      return {
        retryable: false,
        status,
        reason: `the collector could not read the request (HTTP ${status}${body})`,
        hint: 'check --protocol (http/protobuf or http/json) matches what the collector accepts',
      };
    }
    if (status === 408 || status === 429 || status >= 500) {
      return {
        retryable: true,
        status,
        reason: `the collector kept failing (HTTP ${status}${body})`,
        hint: 'check the collector\'s health and logs, then run `agent-trace export` again',
      };
    }
    return { retryable: false, status, reason: `the collector answered HTTP ${status}${body}`, hint: 'check the endpoint and headers' };
  }
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (/timed out/i.test(message) || code === 'ETIMEDOUT') {
    return {
      retryable: true,
      reason: `no answer within ${timeoutMs} ms`,
      hint: 'check the collector is reachable, or raise --timeout (OTEL_EXPORTER_OTLP_TIMEOUT)',
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      retryable: true,
      reason: 'connection refused',
      hint: `start the collector or fix the endpoint (--endpoint, OTEL_EXPORTER_OTLP_ENDPOINT or otlp.endpoint in the config file)${grpcHint}`,
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { retryable: true, reason: `unknown host (${code})`, hint: 'check the host name in the endpoint' };
  }
  if (code && NETWORK_CODES.has(code)) {
    return {
      retryable: true,
      reason: `the connection failed (${code})`,
      hint: `check the collector and the network, then run \`agent-trace export\` again${grpcHint}`,
    };
  }
  if (/retryable status/.test(message)) {
    return { retryable: true, reason: 'the collector kept asking to retry', hint: 'check the collector\'s health, then run `agent-trace export` again' };
  }
  if (/certificate|self[- ]signed|SSL|TLS/i.test(message)) {
    return { retryable: false, reason: oneLine(message), hint: 'check the TLS certificate (OTEL_EXPORTER_OTLP_CERTIFICATE) or use the right scheme (http/https)' };
  }
  return { retryable: true, reason: oneLine(message).slice(0, 200), hint: 'check the endpoint and the collector, then run `agent-trace export` again' };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function safePort(url: string): string | undefined {
  try {
    return new URL(url).port;
  } catch {
    return undefined;
  }
}

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
  readonly stats: WireStats = { bytesSent: 0, acknowledged: 0, lastStatus: 0 };
  private readonly inner: SpanExporter;
  private readonly sockets = new Set<Socket>();
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly retryBudgetMs: number;
  private readonly onRetry: OtlpExporterOptions['onRetry'];
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(options: OtlpExporterOptions) {
    this.url = options.url;
    this.protocol = options.protocol ?? 'http/protobuf';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = Math.max(0, options.retries ?? 3);
    this.backoffMs = Math.max(0, options.backoffMs ?? 500);
    this.maxBackoffMs = options.maxBackoffMs ?? 8_000;
    this.retryBudgetMs = options.retryBudgetMs ?? 15_000;
    this.onRetry = options.onRetry;
    const config = {
      url: options.url,
      headers: { ...(options.headers ?? {}) },
      timeoutMillis: this.timeoutMs,
      compression: (options.compression ?? 'none') as never,
      concurrencyLimit: 64,
      httpAgentOptions: countingAgentFactory(this.stats, this.sockets),
    };
    const Official = officialExporter(this.protocol);
    this.inner = new Official(config);
  }

  get endpoint(): string {
    return displayEndpoint(this.url);
  }

  private once(spans: ReadableSpan[]): Promise<ExportResult> {
    return new Promise((resolve) => {
      try {
        this.inner.export(spans, resolve);
      } catch (error) {
        resolve({ code: 1, error: error as Error });
      }
    });
  }

  /** Sends one request's worth of spans; resolves once the collector acknowledged them. */
  async send(spans: ReadableSpan[]): Promise<void> {
    if (spans.length === 0) return;
    if (this.closed) throw new OtlpExportError(`cannot export to ${this.endpoint}: the exporter was shut down`, this.endpoint, false);
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const result = await this.once(spans);
      if (result.code === SUCCESS) {
        this.stats.acknowledged++;
        return;
      }
      const failure = describe(result.error, this.stats.lastStatus, this.url, this.timeoutMs);
      const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
      const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
      const outOfTime = Date.now() + delayMs - started > this.retryBudgetMs;
      if (!failure.retryable || attempt > this.retries || outOfTime || this.closed) {
        const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
        throw new OtlpExportError(
          `cannot export to ${this.endpoint}: ${failure.reason}${tries}; ${failure.hint}`,
          this.endpoint,
          failure.retryable,
          failure.status,
          attempt,
        );
      }
      try {
        this.onRetry?.({ attempt: attempt + 1, delayMs, reason: failure.reason });
      } catch {
        // progress output must not break the export
      }
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }

  /** OpenTelemetry `SpanExporter.export`: for BatchSpanProcessor and any OTel SDK pipeline. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const p = this.send(spans).then(
      () => resultCallback({ code: SUCCESS }),
      (error: unknown) => resultCallback({ code: 1, error: error as Error }),
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
    await this.inner.shutdown().catch(() => undefined);
    for (const s of this.sockets) s.destroy();
  }
}
