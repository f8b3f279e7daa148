import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionTooLargeError } from '../../src/store/trace-file.js';
import { isValidSessionId } from './security.js';
import { notFound } from './security-hooks.js';
import type { LiveSession } from './live-session.js';
import type { LiveSessions } from './live-sessions.js';
import { REQUEST_SWEEP_MS, type SessionIndex } from './session-list.js';

/** Route schemas: the ids as security.ts's isValidSessionId / isValidSpanId accept them. */
export const sessionIdSchema = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const;
export const spanIdSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
/** Paging numbers stay lenient, as they always were: a bad or out-of-range value falls back or is clamped. */
export const pagingNumberSchema = { type: 'string', maxLength: 32 } as const;

export const sessionParamsSchema = { type: 'object', required: ['id'], properties: { id: sessionIdSchema } } as const;

export interface SessionParams {
  id: string;
}

/** The session a `/api/sessions/:id…` request names, or undefined once the reply (400/404/413/503) is sent. */
export function sessionOf(
  index: SessionIndex,
  sessions: LiveSessions,
  request: FastifyRequest<{ Params: SessionParams }>,
  reply: FastifyReply,
  options: { catchUp?: boolean } = {},
): LiveSession | undefined {
  const id = request.params.id;
  if (!isValidSessionId(id)) {
    void reply.code(400).type('application/json; charset=utf-8').send({ error: 'invalid session id' });
    return undefined;
  }
  // A session whose first hooks are still in the spool (an agent that just started or just exited) is known
  // once the spool is read: read it before answering that there is no such session.
  if (!index.has(id)) index.scan({ sweepMs: REQUEST_SWEEP_MS });
  if (!index.has(id)) {
    void notFound(reply, 'unknown session');
    return undefined;
  }
  // Exact the instant the agent exits, as `show` is.
  if (options.catchUp) index.catchUp(id);
  let live: LiveSession;
  try {
    live = sessions.get(id);
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
}
