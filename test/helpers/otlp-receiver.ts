import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A real OTLP/HTTP trace receiver for tests and the bench: a node:http server on 127.0.0.1 that decodes
 * `application/x-protobuf` bodies with the official OTLP protobuf definitions (the generated root of
 * `@opentelemetry/otlp-transformer@0.216.0`, installed as the `otlp-transformer-decoders` alias: the last
 * release that ships decoders) and `application/json` bodies (OTLP/JSON), gzip or not.
 *
 * It can be told how to treat the next requests: accept (`'ok'`), answer an HTTP status (`503`, `401` …),
 * `'refuse'` (reset the connection as soon as a request arrives), `'drop'` (read the whole request, then drop
 * the connection without an answer) or `'timeout'` (read it and never answer). Only accepted requests — those
 * answered 2xx — count as arrived: `spans` holds exactly what a collector would have stored.
 */

const require = createRequire(import.meta.url);

interface Decoder {
  decode(data: Uint8Array): ProtoRequest;
}
interface ProtoAnyValue {
  value?: string;
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: unknown;
  doubleValue?: number | null;
  arrayValue?: { values?: ProtoAnyValue[] | null } | null;
  kvlistValue?: { values?: ProtoKeyValue[] | null } | null;
  bytesValue?: Uint8Array | null;
}
interface ProtoKeyValue {
  key: string;
  value?: ProtoAnyValue | null;
}
interface ProtoEvent {
  timeUnixNano: unknown;
  name: string;
  attributes?: ProtoKeyValue[] | null;
}
interface ProtoLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  attributes?: ProtoKeyValue[] | null;
}
interface ProtoSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array | null;
  name: string;
  kind?: number | null;
  startTimeUnixNano: unknown;
  endTimeUnixNano: unknown;
  attributes?: ProtoKeyValue[] | null;
  events?: ProtoEvent[] | null;
  links?: ProtoLink[] | null;
  status?: { code?: number | null; message?: string | null } | null;
}
interface ProtoRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: ProtoKeyValue[] | null } | null;
    scopeSpans?: Array<{ scope?: { name?: string | null; version?: string | null } | null; spans?: ProtoSpan[] | null }> | null;
  }> | null;
}

const root = require('otlp-transformer-decoders/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Decoder } } } } };
};
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export type Behavior = 'ok' | 'refuse' | 'drop' | 'timeout' | number;

export interface ReceivedEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Record<string, unknown>;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  events: ReceivedEvent[];
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>;
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
  encoding: 'protobuf' | 'json';
}

export interface ReceivedRequest {
  path: string;
  contentType: string;
  contentEncoding: string;
  bytes: number;
  behavior: Behavior;
  headers: IncomingMessage['headers'];
  spans: number;
}

function hex(bytes: Uint8Array | string | null | undefined): string {
  if (!bytes) return '';
  if (typeof bytes === 'string') return bytes;
  return Buffer.isBuffer(bytes) ? bytes.toString('hex') : Buffer.from(bytes).toString('hex');
}

/** Defines `attributes` and `events` as cached getters: decoded on first read (the bench never reads them). */
function lazy<T extends object>(target: T, fields: { [K in string]: () => unknown }): T {
  for (const [key, compute] of Object.entries(fields)) {
    let value: unknown;
    let done = false;
    Object.defineProperty(target, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (!done) {
          value = compute();
          done = true;
        }
        return value;
      },
    });
  }
  return target;
}

function toBig(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'object' && 'low' in value && 'high' in value) {
    const long = value as { low: number; high: number };
    return (BigInt(long.high >>> 0) << 32n) + BigInt(long.low >>> 0);
  }
  return BigInt(String(value));
}

function protoValue(v: ProtoAnyValue | null | undefined): unknown {
  if (!v) return undefined;
  const which = v.value;
  switch (which) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return Number(String(v.intValue));
    case 'doubleValue':
      return v.doubleValue;
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(protoValue);
    case 'kvlistValue':
      return protoAttributes(v.kvlistValue?.values);
    case 'bytesValue':
      return v.bytesValue ? Buffer.from(v.bytesValue).toString('base64') : undefined;
    default:
      return undefined;
  }
}

function protoAttributes(list: ProtoKeyValue[] | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = protoValue(kv.value);
  return out;
}

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: Array<{ key: string; value?: JsonAnyValue }> };
  bytesValue?: string;
}

function jsonValue(v: JsonAnyValue | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (v.arrayValue?.values ?? []).map(jsonValue);
  if ('kvlistValue' in v) return jsonAttributes(v.kvlistValue?.values);
  if ('bytesValue' in v) return v.bytesValue;
  return undefined;
}

function jsonAttributes(list: Array<{ key: string; value?: JsonAnyValue }> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = jsonValue(kv.value);
  return out;
}

/** Decodes an OTLP/HTTP protobuf body with the official definitions. */
export function decodeProtobuf(body: Uint8Array): ReceivedSpan[] {
  const request = ExportTraceServiceRequest.decode(body);
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = protoAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', ...(ss.scope?.version ? { version: ss.scope.version } : {}) };
      for (const s of ss.spans ?? []) {
        const parent = hex(s.parentSpanId);
        const span = {
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: parent ? parent : null,
          name: s.name,
          kind: s.kind ?? 0,
          startTimeUnixNano: toBig(s.startTimeUnixNano),
          endTimeUnixNano: toBig(s.endTimeUnixNano),
          status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
          resource,
          scope,
          encoding: 'protobuf',
        } as ReceivedSpan;
        spans.push(
          lazy(span, {
            attributes: () => protoAttributes(s.attributes),
            events: () => (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: toBig(e.timeUnixNano), attributes: protoAttributes(e.attributes) })),
            links: () => (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: protoAttributes(l.attributes) })),
          }),
        );
      }
    }
  }
  return spans;
}

interface JsonRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value?: JsonAnyValue }> };
    scopeSpans?: Array<{
      scope?: { name?: string; version?: string };
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
        attributes?: Array<{ key: string; value?: JsonAnyValue }>;
        events?: Array<{ name: string; timeUnixNano: string | number; attributes?: Array<{ key: string; value?: JsonAnyValue }> }>;
        links?: Array<{ traceId: string; spanId: string; attributes?: Array<{ key: string; value?: JsonAnyValue }> }>;
        status?: { code?: number; message?: string };
      }>;
    }>;
  }>;
}

/** Decodes an OTLP/HTTP JSON body. */
export function decodeJson(body: Uint8Array): ReceivedSpan[] {
  const request = JSON.parse(Buffer.from(body).toString('utf8')) as JsonRequest;
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', ...(ss.scope?.version ? { version: ss.scope.version } : {}) };
      for (const s of ss.spans ?? []) {
        const span = {
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ? s.parentSpanId : null,
          name: s.name,
          kind: s.kind ?? 0,
          startTimeUnixNano: toBig(s.startTimeUnixNano),
          endTimeUnixNano: toBig(s.endTimeUnixNano),
          status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
          resource,
          scope,
          encoding: 'json',
        } as ReceivedSpan;
        spans.push(
          lazy(span, {
            attributes: () => jsonAttributes(s.attributes),
            events: () => (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: toBig(e.timeUnixNano), attributes: jsonAttributes(e.attributes) })),
            links: () => (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: jsonAttributes(l.attributes) })),
          }),
        );
      }
    }
  }
  return spans;
}

export interface OtlpReceiverOptions {
  /**
   * `true` (default): decode each request before answering it. `'defer'`: answer at once and decode when
   * `spans` is read (like a collector that queues before processing; the bench's replay). `false`: keep
   * nothing (the bench's raw-POST baseline).
   */
  decode?: boolean | 'defer';
  /** How long a `'timeout'` request is held before the socket is destroyed (default 60 s). */
  holdMs?: number;
  /** Delay before each accepted request is answered (a slow collector). */
  latencyMs?: number;
}

export class OtlpReceiver {
  private readonly decoded: ReceivedSpan[] = [];
  private readonly deferred: Array<{ body: Buffer; json: boolean; record: ReceivedRequest }> = [];
  readonly requests: ReceivedRequest[] = [];
  /** Spans counted without decoding (when `decode: false`): accepted requests' sizes only. */
  acceptedBytes = 0;
  /** Delay before accepted requests are answered; may be changed at any time. */
  latencyMs: number;
  private readonly queue: Behavior[] = [];
  private fallback: Behavior = 'ok';
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();

  constructor(
    private readonly server: Server,
    private readonly options: OtlpReceiverOptions,
  ) {
    this.latencyMs = options.latencyMs ?? 0;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => this.handle(req, res));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Base URL (what `OTEL_EXPORTER_OTLP_ENDPOINT` takes). */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Full traces URL. */
  get url(): string {
    return `${this.baseUrl}/v1/traces`;
  }

  /** The next `count` requests get `behavior`; later ones the default. */
  failNext(count: number, behavior: Behavior): this {
    for (let i = 0; i < count; i++) this.queue.push(behavior);
    return this;
  }

  /** Behaviour of every request without a queued one. */
  setDefault(behavior: Behavior): this {
    this.fallback = behavior;
    return this;
  }

  /** Spans of every accepted request, in arrival order. */
  get spans(): ReceivedSpan[] {
    for (const d of this.deferred.splice(0)) {
      const spans = d.json ? decodeJson(d.body) : decodeProtobuf(d.body);
      d.record.spans = spans.length;
      for (const span of spans) this.decoded.push(span);
    }
    return this.decoded;
  }

  reset(): void {
    this.decoded.length = 0;
    this.deferred.length = 0;
    this.requests.length = 0;
    this.queue.length = 0;
    this.fallback = 'ok';
    this.acceptedBytes = 0;
    this.latencyMs = this.options.latencyMs ?? 0;
  }

  /** Span ids that arrived more than once. */
  duplicates(): string[] {
    const seen = new Set<string>();
    const dups = new Set<string>();
    for (const s of this.spans) {
      const key = `${s.traceId}/${s.spanId}`;
      if (seen.has(key)) dups.add(s.spanId);
      seen.add(key);
    }
    return [...dups];
  }

  async waitForSpans(count: number, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
    await this.waitFor(() => this.spans.length >= count, timeoutMs, () => `${this.spans.length}/${count} spans arrived`);
    return this.spans;
  }

  async waitFor(predicate: () => boolean, timeoutMs = 10_000, describe?: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`receiver: timed out waiting${describe ? ` (${describe()})` : ''}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const behavior = this.queue.length ? this.queue.shift()! : this.fallback;
    const record: ReceivedRequest = {
      path: req.url ?? '',
      contentType: String(req.headers['content-type'] ?? ''),
      contentEncoding: String(req.headers['content-encoding'] ?? ''),
      bytes: 0,
      behavior,
      headers: req.headers,
      spans: 0,
    };
    this.requests.push(record);
    if (behavior === 'refuse') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      let body: Buffer = Buffer.concat(chunks);
      record.bytes = body.length;
      if (behavior === 'drop') {
        req.socket.destroy();
        return;
      }
      if (behavior === 'timeout') {
        this.held.add(res);
        const timer = setTimeout(() => {
          this.held.delete(res);
          req.socket.destroy();
        }, this.options.holdMs ?? 60_000);
        timer.unref();
        res.on('close', () => clearTimeout(timer));
        return;
      }
      if (typeof behavior === 'number') {
        res.writeHead(behavior, { 'content-type': 'text/plain' });
        res.end(`receiver told to answer ${behavior}`);
        return;
      }
      if (req.method !== 'POST' || record.path.split('?')[0] !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const json = record.contentType.startsWith('application/json');
      const proto = record.contentType.startsWith('application/x-protobuf');
      if (!json && !proto) {
        res.writeHead(415).end();
        return;
      }
      try {
        if (record.contentEncoding === 'gzip') body = gunzipSync(body);
        this.acceptedBytes += body.length;
        if (this.options.decode === 'defer') this.deferred.push({ body, json, record });
        else if (this.options.decode !== false) {
          const spans = json ? decodeJson(body) : decodeProtobuf(body);
          record.spans = spans.length;
          for (const s of spans) this.decoded.push(s);
        }
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`cannot decode: ${(error as Error).message}`);
        return;
      }
      const answer = (): void => {
        if (json) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        } else {
          res.writeHead(200, { 'content-type': 'application/x-protobuf' });
          res.end();
        }
      };
      if (this.latencyMs > 0) setTimeout(answer, this.latencyMs);
      else answer();
    });
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const server = createServer({ keepAliveTimeout: 5_000 });
  const receiver = new OtlpReceiver(server, options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return receiver;
}

/**
 * One receiver for a whole test file, emptied before each test: `const receiver = useOtlpReceiver();` at the
 * top of the file. The returned object forwards to the receiver once it has started.
 */
export function useOtlpReceiver(): OtlpReceiver {
  let current: OtlpReceiver | undefined;
  beforeAll(async () => {
    current = await startOtlpReceiver();
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => current?.reset());
  return new Proxy({} as OtlpReceiver, {
    get(_target, property) {
      if (!current) throw new Error('the OTLP receiver is used before it started');
      const value = Reflect.get(current, property, current) as unknown;
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
