import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DEFAULT_PRICES, PRICES_AS_OF, type PriceTable } from '../../src/model/pricing.js';
import type { SessionStore } from '../../src/store/session-store.js';
import type { ViewerInfo } from './info.js';
import { insightsRoutes } from './insights-routes.js';
import { LiveHub, SseStream } from './live-hub.js';
import { isAllowedHost, isLoopbackHost, isValidSessionId, isValidSpanId, SECURITY_HEADERS, urlHost } from './security.js';
import { SessionTooLargeError } from '../../src/store/trace-file.js';
import { SessionIndex, type LiveSession } from './sessions.js';

export interface ViewerOptions {
  store: SessionStore;
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /** Port to bind; 0 picks a free one. */
  port?: number;
  /** Required to bind an address other than loopback. */
  allowRemote?: boolean;
  /** Folder with the built front end (index.html, app.js, styles.css); found next to the code by default. */
  webRoot?: string;
  /** Price overrides from the config file (shown in the Summary tab). */
  prices?: PriceTable;
  /** How often watched sessions are checked for changes, in ms. */
  pollMs?: number;
  version?: string;
}

export class ViewerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ViewerError';
  }
}

/** The built front end: `dist/viewer` next to the bundled CLI, or the repository's `dist/viewer` from sources. */
export function findWebRoot(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'viewer'), join(dir, 'dist', 'viewer')]) {
      if (existsSync(join(candidate, 'index.html')) && existsSync(join(candidate, 'app.js'))) return candidate;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

const PAGE_LIMIT = 5_000;
const LIST_PAGE_LIMIT = 1_000;

function parseSince(value: unknown): { epoch: number; version: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec(value);
  return m ? { epoch: Number(m[1]), version: Number(m[2]) } : undefined;
}

function notFound(reply: FastifyReply, what = 'not found'): FastifyReply {
  return reply.code(404).type('application/json; charset=utf-8').send({ error: what });
}

/**
 * The viewer's HTTP app: the front end and a read-only JSON API over the store. Every response carries the
 * security headers; every request must name this server in its Host header.
 */
export async function buildViewerApp(options: ViewerOptions): Promise<{ app: FastifyInstance; bound: { host: string; port: number }; index: SessionIndex; hub: LiveHub }> {
  const bound = { host: options.host ?? '127.0.0.1', port: options.port ?? 7600 };
  const store = options.store;
  const index = new SessionIndex(store);
  const hub = new LiveHub(index, options.pollMs ?? 250);
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 4096 },
    return503OnClosing: true,
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!isAllowedHost(request.headers.host, bound)) {
      await reply.code(403).type('text/plain; charset=utf-8').send('agent-trace viewer: Host header not allowed (this server only answers to its own address)\n');
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setNotFoundHandler((request, reply) => notFound(reply));
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const code = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    void reply.code(code).type('application/json; charset=utf-8').send({ error: code === 500 ? 'internal error' : 'bad request' });
  });

  const webRoot = options.webRoot ?? findWebRoot();
  if (webRoot) {
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      dotfiles: 'deny',
      cacheControl: true,
      maxAge: 0,
    });
  } else {
    app.get('/', async (request, reply) =>
      reply.code(500).type('text/plain; charset=utf-8').send('agent-trace viewer: the front end is not built; run `npm run build`\n'),
    );
  }

  const session = (request: FastifyRequest, reply: FastifyReply): LiveSession | undefined => {
    const id = (request.params as { id?: unknown }).id;
    if (!isValidSessionId(id)) {
      void reply.code(400).type('application/json; charset=utf-8').send({ error: 'invalid session id' });
      return undefined;
    }
    if (!index.has(id)) {
      void notFound(reply, 'unknown session');
      return undefined;
    }
    let live: LiveSession;
    try {
      live = index.session(id);
    } catch (error) {
      // One session too large (or unreadable right now) is refused by name; every other one is served.
      if (error instanceof SessionTooLargeError) void reply.code(413).type('application/json; charset=utf-8').send({ error: error.message });
      else void reply.code(503).type('application/json; charset=utf-8').send({ error: `session ${id} cannot be read right now; try again` });
      return undefined;
    }
    if (!live.header) {
      void notFound(reply, 'unknown session');
      return undefined;
    }
    return live;
  };

  app.get('/api/info', async (): Promise<ViewerInfo & { name: string }> => ({
    name: 'agent-trace',
    version: options.version ?? process.env.AGENT_TRACE_VERSION ?? '0.1.0',
    dir: store.dir,
    pricesAsOf: PRICES_AS_OF,
    prices: { ...DEFAULT_PRICES, ...options.prices },
    priceOverrides: Object.keys(options.prices ?? {}),
  }));

  // The list: without `limit` the whole array (as the front end has always read it); with `offset`/`limit` a
  // page `{version, total, offset, sessions}`, newest first.
  app.get('/api/sessions', async (request, reply) => {
    index.scan();
    const q = request.query as { offset?: string; limit?: string };
    const paged = q.limit !== undefined || q.offset !== undefined;
    const offset = paged ? Math.max(0, Math.floor(Number(q.offset ?? 0)) || 0) : 0;
    const limit = paged ? Math.min(LIST_PAGE_LIMIT, Math.max(1, Math.floor(Number(q.limit ?? 200)) || 200)) : 0;
    const etag = paged ? `"l${index.version}.${offset}.${limit}"` : `"l${index.version}"`;
    reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(paged ? index.page(offset, limit) : index.listJson);
  });

  app.get('/api/sessions/:id', async (request, reply) => {
    const live = session(request, reply);
    if (!live) return reply;
    return reply
      .type('application/json; charset=utf-8')
      .send(`{"epoch":${live.epoch},"version":${live.version},"total":${live.spanCount},"header":${live.headerJson},"problems":${JSON.stringify(live.problems)}}`);
  });

  // The whole document, streamed in pieces: a 100 MB session never sits in one string on the server.
  app.get('/api/sessions/:id/trace', async (request, reply) => {
    const live = session(request, reply);
    if (!live) return reply;
    reply.header('x-trace-epoch', String(live.epoch));
    reply.header('x-trace-version', String(live.version));
    reply.header('x-trace-spans', String(live.spanCount));
    return reply.type('application/json; charset=utf-8').send(Readable.from(live.documentParts(), { objectMode: false }));
  });

  app.get('/api/sessions/:id/spans', async (request, reply) => {
    const live = session(request, reply);
    if (!live) return reply;
    const q = request.query as { offset?: string; limit?: string };
    const offset = Math.max(0, Math.floor(Number(q.offset ?? 0)) || 0);
    const limit = Math.min(PAGE_LIMIT, Math.max(1, Math.floor(Number(q.limit ?? 1000)) || 1000));
    return reply.type('application/json; charset=utf-8').send(live.page(offset, limit));
  });

  app.get('/api/sessions/:id/spans/:spanId', async (request, reply) => {
    const live = session(request, reply);
    if (!live) return reply;
    const spanId = (request.params as { spanId?: unknown }).spanId;
    if (!isValidSpanId(spanId)) return reply.code(400).type('application/json; charset=utf-8').send({ error: 'invalid span id' });
    const json = live.spanJson(spanId);
    if (json === undefined) return notFound(reply, 'unknown span');
    return reply.type('application/json; charset=utf-8').send(json);
  });

  const openStream = (request: FastifyRequest, reply: FastifyReply): SseStream => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const stream = new SseStream(res);
    request.raw.on('close', () => hub.remove(stream));
    return stream;
  };

  await app.register(insightsRoutes, { store, prices: options.prices });

  app.get('/api/live', async (request, reply) => {
    const known = Number((request.query as { version?: string }).version);
    const stream = openStream(request, reply);
    hub.addList(stream, Number.isFinite(known) ? known : undefined);
  });

  app.get('/api/sessions/:id/live', async (request, reply) => {
    const live = session(request, reply);
    if (!live) return reply;
    const since = parseSince(request.headers['last-event-id']) ?? parseSince((request.query as { since?: string }).since);
    const stream = openStream(request, reply);
    hub.addSession(live.id, stream, since);
  });

  app.addHook('preClose', async () => hub.close());
  return { app, bound, index, hub };
}

export interface RunningViewer {
  app: FastifyInstance;
  host: string;
  port: number;
  /** `http://HOST:PORT/` */
  url: string;
  remote: boolean;
  close(): Promise<void>;
}

/** Builds the app and listens. Binding a non-loopback address needs `allowRemote`. */
export async function startViewer(options: ViewerOptions): Promise<RunningViewer> {
  const host = options.host ?? '127.0.0.1';
  const remote = !isLoopbackHost(host);
  if (remote && !options.allowRemote) {
    throw new ViewerError(`refusing to bind ${host}: traces hold code, prompts and paths; pass --allow-remote to expose the viewer beyond this machine`);
  }
  const { app, bound } = await buildViewerApp({ ...options, host });
  try {
    await app.listen({ host, port: options.port ?? 7600 });
  } catch (error) {
    await app.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ViewerError(`port ${options.port} is already in use; pass --port 0 to pick a free one`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ViewerError(`cannot bind ${host}: no such local address`);
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  bound.port = address.port;
  return {
    app,
    host,
    port: address.port,
    url: `http://${urlHost(host)}:${address.port}/`,
    remote,
    close: () => app.close(),
  };
}
