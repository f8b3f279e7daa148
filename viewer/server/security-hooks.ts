import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { isAllowedHost, SECURITY_HEADERS } from './security.js';

export interface SecurityHooksOptions {
  /** The address the server answers to; `port` is filled in once it listens. */
  bound: { host: string; port: number };
}

export function notFound(reply: FastifyReply, what = 'not found'): FastifyReply {
  return reply.code(404).type('application/json; charset=utf-8').send({ error: what });
}

/** What a rejected request is told: a bad id by name (as the routes always said), any other 4xx as `bad request`. */
function errorMessage(error: { statusCode?: number; validation?: Array<{ instancePath?: string }>; validationContext?: string }, code: number): string {
  if (code === 500) return 'internal error';
  if (error.validationContext === 'params') {
    const path = error.validation?.[0]?.instancePath;
    if (path === '/id') return 'invalid session id';
    if (path === '/spanId') return 'invalid span id';
  }
  return 'bad request';
}

/**
 * Every request must name this server in its Host header; every response carries the security headers (CSP and
 * friends), `/api/` answers are never cached; unknown paths and errors answer JSON. Applies to the whole app.
 */
const plugin: FastifyPluginAsync<SecurityHooksOptions> = async (app: FastifyInstance, options) => {
  const bound = options.bound;
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
  app.setErrorHandler((error: { statusCode?: number; validation?: Array<{ instancePath?: string }>; validationContext?: string }, request, reply) => {
    const code = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    void reply.code(code).type('application/json; charset=utf-8').send({ error: errorMessage(error, code) });
  });
};
// Not encapsulated: the hooks and handlers cover every route of the app (fastify's `skip-override`).
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
export const securityHooks = plugin;
