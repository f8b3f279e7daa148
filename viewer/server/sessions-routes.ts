import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { PRICE_SOURCE_LABEL, PRICES_AS_OF, type PriceTable } from '../../src/model/pricing.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { version } from '../../src/version.js';
import type { ViewerInfo } from './info.js';
import { notFound } from './security-hooks.js';
import { isValidSpanId } from './security.js';
import { pagingNumberSchema, sessionIdSchema, sessionOf, sessionParamsSchema, spanIdSchema, type SessionParams } from './session-params.js';
import type { LiveSessions } from './live-sessions.js';
import { REQUEST_SWEEP_MS, type SessionIndex } from './session-list.js';

export interface SessionsRoutesOptions {
  store: SessionStore;
  index: SessionIndex;
  sessions: LiveSessions;
  prices?: PriceTable;
  version?: string;
}

const PAGE_LIMIT = 5_000;
const LIST_PAGE_LIMIT = 1_000;

interface PagingQuery {
  offset?: string;
  limit?: string;
}
const pagingQuerySchema = { type: 'object', properties: { offset: pagingNumberSchema, limit: pagingNumberSchema } } as const;

/** `/api/info` and the read-only sessions API: the list, one session's header, its document, its spans. */
export const sessionsRoutes: FastifyPluginAsync<SessionsRoutesOptions> = async (app: FastifyInstance, options) => {
  const { store, index, sessions } = options;

  app.get('/api/info', async (): Promise<ViewerInfo & { name: string }> => ({
    name: 'agent-trace',
    version: options.version ?? version,
    dir: store.dir,
    pricesAsOf: PRICES_AS_OF,
    priceSource: PRICE_SOURCE_LABEL,
    prices: { ...options.prices },
    priceOverrides: Object.keys(options.prices ?? {}),
  }));

  // The list: without `limit` the whole array (as the front end has always read it); with `offset`/`limit` a
  // page `{version, total, offset, sessions}`, newest first.
  app.get<{ Querystring: PagingQuery }>('/api/sessions', { schema: { querystring: pagingQuerySchema } }, async (request, reply) => {
    index.scan({ sweepMs: REQUEST_SWEEP_MS });
    const q = request.query;
    const paged = q.limit !== undefined || q.offset !== undefined;
    const offset = paged ? Math.max(0, Math.floor(Number(q.offset ?? 0)) || 0) : 0;
    const limit = paged ? Math.min(LIST_PAGE_LIMIT, Math.max(1, Math.floor(Number(q.limit ?? 200)) || 200)) : 0;
    const etag = paged ? `"l${index.version}.${offset}.${limit}"` : `"l${index.version}"`;
    reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(paged ? index.page(offset, limit) : index.listJson);
  });

  app.get<{ Params: SessionParams }>('/api/sessions/:id', { schema: { params: sessionParamsSchema } }, async (request, reply) => {
    const live = sessionOf(index, sessions, request, reply, { catchUp: true });
    if (!live) return reply;
    return reply
      .type('application/json; charset=utf-8')
      .send(`{"epoch":${live.epoch},"version":${live.version},"total":${live.spanCount},"header":${live.headerJson},"problems":${JSON.stringify(live.problems)}}`);
  });

  // The whole document, streamed in pieces: a 100 MB session never sits in one string on the server.
  app.get<{ Params: SessionParams }>('/api/sessions/:id/trace', { schema: { params: sessionParamsSchema } }, async (request, reply) => {
    const live = sessionOf(index, sessions, request, reply);
    if (!live) return reply;
    reply.header('x-trace-epoch', String(live.epoch));
    reply.header('x-trace-version', String(live.version));
    reply.header('x-trace-spans', String(live.spanCount));
    return reply.type('application/json; charset=utf-8').send(Readable.from(live.documentParts(), { objectMode: false }));
  });

  app.get<{ Params: SessionParams; Querystring: PagingQuery }>(
    '/api/sessions/:id/spans',
    { schema: { params: sessionParamsSchema, querystring: pagingQuerySchema } },
    async (request, reply) => {
      const live = sessionOf(index, sessions, request, reply);
      if (!live) return reply;
      const q = request.query;
      const offset = Math.max(0, Math.floor(Number(q.offset ?? 0)) || 0);
      const limit = Math.min(PAGE_LIMIT, Math.max(1, Math.floor(Number(q.limit ?? 1000)) || 1000));
      return reply.type('application/json; charset=utf-8').send(live.page(offset, limit));
    },
  );

  app.get<{ Params: SessionParams & { spanId: string } }>(
    '/api/sessions/:id/spans/:spanId',
    { schema: { params: { type: 'object', required: ['id', 'spanId'], properties: { id: sessionIdSchema, spanId: spanIdSchema } } } },
    async (request, reply) => {
      const live = sessionOf(index, sessions, request, reply);
      if (!live) return reply;
      const spanId = request.params.spanId;
      if (!isValidSpanId(spanId)) return reply.code(400).type('application/json; charset=utf-8').send({ error: 'invalid span id' });
      const json = live.spanJson(spanId);
      if (json === undefined) return notFound(reply, 'unknown span');
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );
};
