import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

/**
 * One OTLP/HTTP request, nothing more: POST the body, wait for the answer within the timeout, and say what
 * happened — the HTTP status (with Retry-After and the start of the body), or the network error. Every
 * request has its own outcome, so concurrent requests can never be blamed for each other's answers.
 * Retrying is the caller's business (retry.ts); this module never repeats a request.
 */

export type HttpOutcome =
  | { ok: true; status: number; bytes: number }
  | { ok: false; status: number; body: string; retryAfterMs?: number; bytes: number }
  | { ok: false; error: NodeJS.ErrnoException; timedOut: boolean; bytes: number };

/** TLS files (PEM), as the OTel variables name them: `OTEL_EXPORTER_OTLP_CERTIFICATE`, `…_CLIENT_KEY`, `…_CLIENT_CERTIFICATE`. */
export interface TlsFiles {
  certificate?: string;
  clientKey?: string;
  clientCertificate?: string;
}

export interface TransportOptions {
  url: string;
  headers: Record<string, string>;
  tls?: TlsFiles;
}

/** How much of an error answer is kept for the message (collectors explain a 400 in the body). */
const BODY_KEPT = 2048;

export class HttpTransport {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(private readonly options: TransportOptions) {
    this.url = new URL(options.url);
    const secure = this.url.protocol === 'https:';
    // Keep-alive: an export is many requests to one collector; the sockets close on shutdown().
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 16, ...tlsOptions(options.tls) }) : new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.request = secure ? https.request : http.request;
  }

  /** POSTs `body` once. Never rejects: a failure is an outcome. */
  post(body: Uint8Array, headers: Record<string, string>, timeoutMs: number): Promise<HttpOutcome> {
    const allHeaders = { ...this.options.headers, ...headers, 'content-length': String(body.byteLength) };
    const bytes = body.byteLength + headBytes(this.url, allHeaders);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: HttpOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = this.request(this.url, { method: 'POST', agent: this.agent, headers: allHeaders }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < BODY_KEPT) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on('error', (error) => finish({ ok: false, error, timedOut: false, bytes }));
        res.on('end', () => {
          if (status >= 200 && status < 300) return finish({ ok: true, status, bytes });
          const text = isText(res.headers['content-type']) ? Buffer.concat(chunks).toString('utf8', 0, BODY_KEPT) : '';
          const retryAfter = res.headers['retry-after'];
          finish({ ok: false, status, body: text, retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter), bytes });
        });
      });
      const timer = setTimeout(() => {
        const error: NodeJS.ErrnoException = new Error(`no answer within ${timeoutMs} ms`);
        error.code = 'ETIMEDOUT';
        finish({ ok: false, error, timedOut: true, bytes });
        req.destroy(error);
      }, timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error, timedOut: false, bytes }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** An answer body worth quoting: text or JSON (a protobuf Status is binary). */
function isText(contentType: string | undefined): boolean {
  return !contentType || /^(text\/|application\/json)/i.test(contentType);
}

/** The request line and headers as written on the wire, for the bytes-sent statistic. */
function headBytes(url: URL, headers: Record<string, string>): number {
  let n = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n\r\n`.length;
  for (const [k, v] of Object.entries(headers)) n += k.length + Buffer.byteLength(v) + 4;
  return n;
}

function tlsOptions(tls: TlsFiles | undefined): https.AgentOptions {
  const options: https.AgentOptions = {};
  if (tls?.certificate) options.ca = readFileSync(tls.certificate);
  if (tls?.clientKey) options.key = readFileSync(tls.clientKey);
  if (tls?.clientCertificate) options.cert = readFileSync(tls.clientCertificate);
  return options;
}
