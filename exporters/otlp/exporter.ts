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
 * - one retry policy, this one: the SDK's own retry loop (up to 5 more requests per call within the timeout,
 *   invisible to the caller) is taken out, so every attempt is one HTTP request and counted as such;
 * - a collector that cannot be reached at all (connection refused, unknown host, unreachable network) gets
 *   `connectRetries` quick retries (250 ms, then 500 ms) and fails within about a second;
 * - a collector that answers badly (timeouts, dropped connections, HTTP 408, 429 and 5xx) gets `retries`
 *   retries with exponential backoff and jitter (honouring Retry-After); other 4xx (bad credentials, wrong
 *   path, payload too large) fail at once, since repeating cannot help;
 * - every request is bounded by `retryBudgetMs` in all (attempts and waits together): a retry starts only
 *   while the budget lasts, and its timeout is cut to what is left of it;
 * - wire statistics (bytes written, requests, the last HTTP status seen) for the export summary.
 *
 * It also is an OpenTelemetry `SpanExporter`, so any OTel SDK pipeline can use it (with a BatchSpanProcessor).
 */

import type { OtlpCompression, OtlpProtocol } from './settings.js';

export type { OtlpCompression, OtlpProtocol };

export interface OtlpExporterOptions {
  /** The full traces URL, e.g. `http://localhost:4318/v1/traces`. */
  url: string;
  protocol?: OtlpProtocol;
  headers?: Record<string, string>;
  /** Per attempt (one HTTP request). Default 10 000 ms. */
  timeoutMs?: number;
  compression?: OtlpCompression;
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

/** How long one request may take in all, attempts and waits together, unless `retryBudgetMs` says otherwise. */
export const DEFAULT_RETRY_BUDGET_MS = 15_000;

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
/** No connection could be made: nothing is listening, the host does not resolve, or no route leads there. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);

/** What the SDK's HTTP transport answers for one request (`ExportResponse` of @opentelemetry/otlp-exporter-base). */
type TransportResponse =
  | { status: 'success'; data?: Uint8Array }
  | { status: 'failure'; error: Error }
  | { status: 'retryable'; retryInMillis?: number; error?: Error };

interface Transport {
  send(data: Uint8Array, timeoutMillis: number): Promise<TransportResponse>;
  shutdown(): void;
}

/** One attempt: the timeout it was given, and what the transport answered. */
interface Attempt {
  timeoutMs: number;
  response?: TransportResponse;
}

/**
 * Takes the SDK's retry loop out of an official exporter. `OTLPTraceExporter` sends through
 * `_delegate._transport`, a RetryingTransport that wraps the HTTP transport and repeats a request up to five
 * times within the timeout (1 s, 1.5 s, 2.25 s … apart) before the caller hears anything: a dead collector
 * took ~8 s per "attempt". This puts a thin transport in its place that sends once, with the timeout of the
 * current attempt, and hands the raw answer (HTTP status class, Retry-After, network error) to `send()`.
 * The delegate calls `transport.send` synchronously from `export()`, so `hook.next` set just before
 * `export()` is the attempt it belongs to. Returns undefined when the exporter's shape is not the expected
 * one (another SDK version): the SDK's retries then stay, and messages do not count attempts.
 */
function takeOverRetries(exporter: SpanExporter): { next?: Attempt } | undefined {
  const delegate = (exporter as unknown as { _delegate?: { _transport?: unknown } })._delegate;
  const retrying = delegate?._transport as { send?: unknown; _transport?: Partial<Transport> } | undefined;
  const http = retrying?._transport;
  if (!delegate || typeof retrying?.send !== 'function' || typeof http?.send !== 'function' || typeof http.shutdown !== 'function') return undefined;
  const inner = http as Transport;
  const hook: { next?: Attempt } = {};
  const transport: Transport = {
    send(data, timeoutMillis) {
      const attempt = hook.next;
      hook.next = undefined;
      return inner.send(data, attempt?.timeoutMs ?? timeoutMillis).then((response) => {
        if (attempt) attempt.response = response;
        return response;
      });
    },
    shutdown: () => inner.shutdown(),
  };
  delegate._transport = transport;
  return hook;
}

interface Failure {
  /** `connect`: no connection could be made (quick retries); `retry`: the collector answered badly (backoff); `final`: no retry can help. */
  kind: 'connect' | 'retry' | 'final';
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

const ENDPOINT_FIX = '--endpoint, OTEL_EXPORTER_OTLP_ENDPOINT or otlp.endpoint in the config file';

/** `statusOnly`: the SDK answered "retryable" for an HTTP status (429/502/503/504) it does not pass on. */
function describe(error: unknown, statusOnly: boolean, lastStatus: number, url: string, timeoutMs: number): Failure {
  const e = error as (Error & { code?: unknown; data?: unknown }) | undefined;
  const message = e?.message ?? String(error ?? 'unknown error');
  const port = safePort(url);
  const grpcHint = port === '4317' ? '; port 4317 is OTLP/gRPC, agent-trace speaks OTLP/HTTP (usually port 4318)' : '';
  // The SDK answers 429/502/503/504 as "retryable" without the status: the wire saw it.
  const sdkRetryable = statusOnly || /retryable status/.test(message);
  const status = typeof e?.code === 'number' ? e.code : sdkRetryable && lastStatus >= 400 ? lastStatus : undefined;
  if (status !== undefined) {
    const body = typeof e?.data === 'string' && e.data.trim() ? `: ${oneLine(e.data).slice(0, 160)}` : '';
    if (status === 401 || status === 403) {
      return {
        kind: 'final',
        status,
        reason: `the collector rejected the credentials (HTTP ${status}${body})`,
        hint: 'check the Authorization/API-key header (--header, OTEL_EXPORTER_OTLP_HEADERS or otlp.headers in the config file)',
      };
    }
    if (status === 404 || status === 405) {
      return {
        kind: 'final',
        status,
        reason: `no OTLP traces endpoint at this URL (HTTP ${status})`,
        hint: `check the endpoint path: it usually ends in /v1/traces (Langfuse: /api/public/otel/v1/traces)${grpcHint}`,
      };
    }
    if (status === 413) {
      return { kind: 'final', status, reason: 'the request was too large for the collector (HTTP 413)', hint: 'raise the collector\'s request size limit' };
    }
    if (status === 415 || status === 400) {
      return {
        kind: 'final',
        status,
        reason: `the collector could not read the request (HTTP ${status}${body})`,
        hint: 'check --protocol (http/protobuf or http/json) matches what the collector accepts',
      };
    }
    if (status === 408 || status === 429 || status >= 500) {
      return {
        kind: 'retry',
        status,
        reason: `the collector kept failing (HTTP ${status}${body})`,
        hint: 'check the collector\'s health and logs, then run `agent-trace export` again',
      };
    }
    return { kind: 'final', status, reason: `the collector answered HTTP ${status}${body}`, hint: 'check the endpoint and headers' };
  }
  if (sdkRetryable) {
    return { kind: 'retry', reason: 'the collector kept asking to retry', hint: 'check the collector\'s health, then run `agent-trace export` again' };
  }
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (/timed out/i.test(message) || code === 'ETIMEDOUT') {
    return {
      kind: 'retry',
      reason: `no answer within ${timeoutMs} ms`,
      hint: 'check the collector is reachable, or raise --timeout (OTEL_EXPORTER_OTLP_TIMEOUT)',
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      kind: 'connect',
      reason: 'connection refused',
      hint: `start the collector, or fix the endpoint (${ENDPOINT_FIX})${grpcHint}`,
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return {
      kind: 'connect',
      reason: `unknown host "${safeHost(url)}" (${code})`,
      hint: `check the host name in the endpoint (${ENDPOINT_FIX}) and your network/DNS`,
    };
  }
  if (code && CONNECT_CODES.has(code)) {
    return {
      kind: 'connect',
      reason: `no route to the collector (${code})`,
      hint: `check the network and the endpoint (${ENDPOINT_FIX})`,
    };
  }
  if (code && NETWORK_CODES.has(code)) {
    return {
      kind: 'retry',
      reason: `the connection failed (${code})`,
      hint: `check the collector and the network, then run \`agent-trace export\` again${grpcHint}`,
    };
  }
  if (/certificate|self[- ]signed|SSL|TLS/i.test(message)) {
    return { kind: 'final', reason: oneLine(message), hint: 'check the TLS certificate (OTEL_EXPORTER_OTLP_CERTIFICATE) or use the right scheme (http/https)' };
  }
  return { kind: 'retry', reason: oneLine(message).slice(0, 200), hint: 'check the endpoint and the collector, then run `agent-trace export` again' };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
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
  /** Set when the SDK's retry loop was taken out (see takeOverRetries): each attempt is then one request. */
  private readonly attempts: { next?: Attempt } | undefined;
  private readonly sockets = new Set<Socket>();
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
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = Math.max(0, options.retries ?? 3);
    this.connectRetries = Math.min(this.retries, Math.max(0, options.connectRetries ?? 2));
    this.backoffMs = Math.max(0, options.backoffMs ?? 500);
    this.maxBackoffMs = options.maxBackoffMs ?? 8_000;
    this.retryBudgetMs = options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
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
    this.attempts = takeOverRetries(this.inner);
  }

  get endpoint(): string {
    return displayEndpoint(this.url);
  }

  private once(spans: ReadableSpan[], attempt: Attempt): Promise<ExportResult> {
    return new Promise((resolve) => {
      if (this.attempts) this.attempts.next = attempt;
      try {
        this.inner.export(spans, resolve);
      } catch (error) {
        resolve({ code: 1, error: error as Error });
      } finally {
        if (this.attempts) this.attempts.next = undefined;
      }
    });
  }

  /**
   * Sends one request's worth of spans; resolves once the collector acknowledged them. Rejects with an
   * OtlpExportError when no retry can help, the retries are used up, or the budget is spent.
   */
  async send(spans: ReadableSpan[]): Promise<void> {
    if (spans.length === 0) return;
    if (this.closed) throw new OtlpExportError(`cannot export to ${this.endpoint}: the exporter was shut down`, this.endpoint, false);
    const started = Date.now();
    let timeoutMs = this.timeoutMs;
    let connectFailures = 0;
    let otherFailures = 0;
    for (let attempt = 1; ; attempt++) {
      const current: Attempt = { timeoutMs };
      const result = await this.once(spans, current);
      if (result.code === SUCCESS) {
        this.stats.acknowledged++;
        return;
      }
      const response = current.response;
      const statusOnly = response?.status === 'retryable' && !response.error;
      const failure = describe(result.error, statusOnly, this.stats.lastStatus, this.url, timeoutMs);
      let delayMs: number;
      let allowed: boolean;
      if (failure.kind === 'connect') {
        connectFailures++;
        allowed = connectFailures <= this.connectRetries;
        delayMs = jitter(Math.min(this.maxBackoffMs, (this.backoffMs / 2) * 2 ** (connectFailures - 1)));
      } else {
        otherFailures++;
        allowed = failure.kind === 'retry' && otherFailures <= this.retries;
        delayMs = jitter(Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (otherFailures - 1)));
      }
      const retryAfter = response?.status === 'retryable' ? response.retryInMillis : undefined;
      let reason = failure.reason;
      if (timeoutMs < this.timeoutMs && reason.startsWith('no answer within')) reason += ` (what was left of the ${this.retryBudgetMs / 1000} s retry budget)`;
      if (retryAfter !== undefined) {
        delayMs = Math.max(0, retryAfter);
        if (retryAfter >= 1000) reason += ` (asked to retry after ${Math.round(retryAfter / 1000)} s)`;
      }
      // The budget covers attempts and waits together: a retry starts only if it still has a fair chance
      // (its timeout, or a second, whichever is less) and is given no more than what is left.
      const left = this.retryBudgetMs - (Date.now() - started) - delayMs;
      if (!allowed || left < Math.min(this.timeoutMs, 1000) || this.closed) {
        throw new OtlpExportError(
          `cannot export to ${this.endpoint}: ${reason}${this.triesText(attempt, started)}; ${failure.hint}`,
          this.endpoint,
          failure.kind !== 'final',
          failure.status,
          attempt,
        );
      }
      timeoutMs = Math.min(this.timeoutMs, left);
      try {
        this.onRetry?.({ attempt: attempt + 1, delayMs, reason, elapsedMs: Date.now() - started });
      } catch {
        // progress output must not break the export
      }
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }

  /** ` (3 attempts over 0.8 s)`: each attempt is one request, unless the SDK's own retries could not be taken out. */
  private triesText(attempts: number, started: number): string {
    const elapsed = Date.now() - started;
    const seconds = (elapsed / 1000).toFixed(1);
    if (this.attempts) return attempts > 1 ? ` (${attempts} attempts in ${seconds} s)` : '';
    return elapsed >= 1000 ? ` (gave up after ${seconds} s)` : '';
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

/** ±20 %, so concurrent requests (and concurrent exports) do not retry in lockstep. */
function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}
