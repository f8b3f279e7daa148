import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { PriceTable } from '../../src/model/pricing.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { insightsRoutes } from './insights-routes.js';
import { LiveHub } from './live-hub.js';
import { liveRoutes } from './live-routes.js';
import { securityHooks } from './security-hooks.js';
import { isLoopbackHost, urlHost } from './security.js';
import { LivenessChecks } from './liveness-checks.js';
import { LiveSessions } from './live-sessions.js';
import { SessionIndex } from './session-list.js';
import { sessionsRoutes } from './sessions-routes.js';
import { findWebRoot, staticFiles } from './static-files.js';

export { findWebRoot };

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

/**
 * The viewer's HTTP app: the front end and a read-only JSON API over the store. Every response carries the
 * security headers; every request must name this server in its Host header (see security-hooks.ts).
 */
export async function buildViewerApp(options: ViewerOptions): Promise<{ app: FastifyInstance; bound: { host: string; port: number }; index: SessionIndex; hub: LiveHub }> {
  const bound = { host: options.host ?? '127.0.0.1', port: options.port ?? 7600 };
  const store = options.store;
  const sessions = new LiveSessions(store);
  const liveness = new LivenessChecks(store);
  const index = new SessionIndex(store, sessions, liveness);
  const hub = new LiveHub(index, sessions, liveness, options.pollMs ?? 250);
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 4096 },
    return503OnClosing: true,
  });

  await app.register(securityHooks, { bound });
  await app.register(staticFiles, { webRoot: options.webRoot ?? findWebRoot() });
  await app.register(sessionsRoutes, { store, index, sessions, prices: options.prices, version: options.version });
  await app.register(insightsRoutes, { store, prices: options.prices });
  await app.register(liveRoutes, { index, sessions, hub });
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
