import type { HttpOutcome } from './transport.js';

/**
 * The retry policy of the OTLP export, in one place: what a failed attempt means (classify), whether and when
 * to try again (RetryPolicy.next), and the one-line message when it gives up.
 *
 * - no connection could be made (refused, unknown host, no route): `connectRetries` quick retries (half the
 *   backoff: 250 ms, then 500 ms) — a dead endpoint fails within about a second;
 * - the collector answered badly (timeout, dropped connection, HTTP 408, 429, 5xx): `retries` retries with
 *   exponential backoff and ±20 % jitter, or after the collector's Retry-After;
 * - anything else (401/403, 404, 400/413/415, TLS errors): no retry, since repeating cannot help;
 * - one request takes at most `budgetMs` in all, attempts and waits together: a retry starts only if it still
 *   has a fair chance (its timeout, or a second, whichever is less), and its timeout is cut to what is left.
 */

export interface Failure {
  /** `connect`: no connection could be made; `retry`: the collector answered badly; `final`: no retry can help. */
  kind: 'connect' | 'retry' | 'final';
  status?: number;
  reason: string;
  hint: string;
  /** What the collector asked for (Retry-After), in ms. */
  retryAfterMs?: number;
}

const ENDPOINT_FIX = '--endpoint, OTEL_EXPORTER_OTLP_ENDPOINT or otlp.endpoint in the config file';

/** No connection could be made: nothing is listening, the host does not resolve, or no route leads there. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);
/** The connection broke after it was made: worth another try. */
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** What a failed attempt means, and what the person can do about it. */
export function classify(outcome: Exclude<HttpOutcome, { ok: true }>, url: string, timeoutMs: number): Failure {
  const grpcHint = safeUrl(url)?.port === '4317' ? '; port 4317 is OTLP/gRPC, agent-trace speaks OTLP/HTTP (usually port 4318)' : '';
  if ('status' in outcome) return classifyStatus(outcome.status, outcome.body, outcome.retryAfterMs, grpcHint);
  if (outcome.timedOut) {
    return { kind: 'retry', reason: `no answer within ${timeoutMs} ms`, hint: 'check the collector is reachable, or raise --timeout (OTEL_EXPORTER_OTLP_TIMEOUT)' };
  }
  const error = outcome.error;
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code === 'ECONNREFUSED') {
    return { kind: 'connect', reason: 'connection refused', hint: `start the collector, or fix the endpoint (${ENDPOINT_FIX})${grpcHint}` };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return {
      kind: 'connect',
      reason: `unknown host "${safeUrl(url)?.hostname ?? url}" (${code})`,
      hint: `check the host name in the endpoint (${ENDPOINT_FIX}) and your network/DNS`,
    };
  }
  if (code && CONNECT_CODES.has(code)) {
    return { kind: 'connect', reason: `no route to the collector (${code})`, hint: `check the network and the endpoint (${ENDPOINT_FIX})` };
  }
  if (code && NETWORK_CODES.has(code)) {
    return {
      kind: 'retry',
      reason: `the connection failed (${code})`,
      hint: `check the collector and the network, then run \`agent-trace export\` again${grpcHint}`,
    };
  }
  const message = oneLine(error.message || String(error));
  if ((code && /^(ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/.test(code)) || /certificate|self[- ]signed|SSL|TLS/i.test(message)) {
    return { kind: 'final', reason: message, hint: 'check the TLS certificate (OTEL_EXPORTER_OTLP_CERTIFICATE) or use the right scheme (http/https)' };
  }
  return { kind: 'retry', reason: message.slice(0, 200), hint: 'check the endpoint and the collector, then run `agent-trace export` again' };
}

function classifyStatus(status: number, text: string, retryAfterMs: number | undefined, grpcHint: string): Failure {
  const body = text.trim() ? `: ${oneLine(text).slice(0, 160)}` : '';
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
    return { kind: 'final', status, reason: 'the request was too large for the collector (HTTP 413)', hint: "raise the collector's request size limit" };
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
      retryAfterMs,
      reason: `the collector kept failing (HTTP ${status}${body})`,
      hint: "check the collector's health and logs, then run `agent-trace export` again",
    };
  }
  return { kind: 'final', status, reason: `the collector answered HTTP ${status}${body}`, hint: 'check the endpoint and headers' };
}

export interface RetryOptions {
  /** Per attempt. */
  timeoutMs: number;
  retries: number;
  connectRetries: number;
  backoffMs: number;
  maxBackoffMs: number;
  budgetMs: number;
}

export type RetryDecision = { retry: true; delayMs: number; timeoutMs: number; reason: string } | { retry: false; reason: string };

/** The state of one request's retries: `next(failure)` after each failed attempt says whether and when to go on. */
export class RetryPolicy {
  private connectFailures = 0;
  private otherFailures = 0;
  readonly started = Date.now();

  constructor(private readonly options: RetryOptions) {}

  next(failure: Failure, attemptTimeoutMs: number, closed: boolean): RetryDecision {
    const o = this.options;
    let delayMs: number;
    let allowed: boolean;
    if (failure.kind === 'connect') {
      this.connectFailures++;
      allowed = this.connectFailures <= o.connectRetries;
      delayMs = jitter(Math.min(o.maxBackoffMs, (o.backoffMs / 2) * 2 ** (this.connectFailures - 1)));
    } else {
      this.otherFailures++;
      allowed = failure.kind === 'retry' && this.otherFailures <= o.retries;
      delayMs = jitter(Math.min(o.maxBackoffMs, o.backoffMs * 2 ** (this.otherFailures - 1)));
    }
    let reason = failure.reason;
    if (attemptTimeoutMs < o.timeoutMs && reason.startsWith('no answer within')) reason += ` (what was left of the ${o.budgetMs / 1000} s retry budget)`;
    if (failure.retryAfterMs !== undefined) {
      delayMs = failure.retryAfterMs;
      if (failure.retryAfterMs >= 1000) reason += ` (asked to retry after ${Math.round(failure.retryAfterMs / 1000)} s)`;
    }
    const left = o.budgetMs - (Date.now() - this.started) - delayMs;
    if (!allowed || closed || left < Math.min(o.timeoutMs, 1000)) return { retry: false, reason };
    return { retry: true, delayMs, timeoutMs: Math.min(o.timeoutMs, left), reason };
  }

  /** ` (3 attempts in 0.8 s)` after more than one attempt. */
  triesText(attempts: number): string {
    return attempts > 1 ? ` (${attempts} attempts in ${((Date.now() - this.started) / 1000).toFixed(1)} s)` : '';
  }
}

/** ±20 %, so concurrent requests (and concurrent exports) do not retry in lockstep. */
function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
