import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { LiveHub, SseStream } from './live-hub.js';
import { SECURITY_HEADERS } from './security.js';
import { sessionOf, sessionParamsSchema, type SessionParams } from './session-params.js';
import type { LiveSessions } from './live-sessions.js';
import type { SessionIndex } from './session-list.js';

export interface LiveRoutesOptions {
  index: SessionIndex;
  sessions: LiveSessions;
  hub: LiveHub;
}

function parseSince(value: unknown): { epoch: number; version: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec(value);
  return m ? { epoch: Number(m[1]), version: Number(m[2]) } : undefined;
}

/** Server-sent events: `/api/live` (the list changed) and `/api/sessions/:id/live` (a session's new spans). */
export const liveRoutes: FastifyPluginAsync<LiveRoutesOptions> = async (app: FastifyInstance, options) => {
  const { index, sessions, hub } = options;

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

  // `version` is lenient (anything not a number means "unknown"); `since` is `EPOCH.VERSION` or ignored.
  app.get<{ Querystring: { version?: string } }>(
    '/api/live',
    { schema: { querystring: { type: 'object', properties: { version: { type: 'string', maxLength: 32 } } } } },
    async (request, reply) => {
      const known = Number(request.query.version);
      const stream = openStream(request, reply);
      hub.addList(stream, Number.isFinite(known) ? known : undefined);
    },
  );

  app.get<{ Params: SessionParams; Querystring: { since?: string } }>(
    '/api/sessions/:id/live',
    { schema: { params: sessionParamsSchema, querystring: { type: 'object', properties: { since: { type: 'string', maxLength: 64 } } } } },
    async (request, reply) => {
      const live = sessionOf(index, sessions, request, reply);
      if (!live) return reply;
      const since = parseSince(request.headers['last-event-id']) ?? parseSince(request.query.since);
      const stream = openStream(request, reply);
      hub.addSession(live.id, stream, since);
    },
  );
};
