import { rmSync } from 'node:fs';
import { startViewer, ViewerError } from '../../../viewer/server/app.js';
import { openBrowser } from '../../../viewer/server/open-browser.js';
import type { SessionStore } from '../../store/session-store.js';
import { DEMO_SESSION_ID, writeDemoSession } from '../../demo/demo-session.js';
import { SessionNotFoundError } from '../../store/session-store.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from '../options.js';

export interface ViewOptions extends GlobalOptions {
  port?: string;
  host?: string;
  open?: boolean;
  allowRemote?: boolean;
  demoIfEmpty?: boolean;
}

/**
 * `agent-trace view [SESSION]`: serves the viewer until interrupted. Prints exactly one line on stdout,
 * `agent-trace viewer: http://HOST:PORT/`; everything else goes to stderr.
 */
/**
 * The demo stands in for an empty store only: once real sessions exist it is removed, so it never lingers
 * among them (nor reaches a collector through `export --all`). Returns the number of real sessions.
 */
function removeDemoOnceRealSessionsExist(store: SessionStore): number {
  const ids = store.sessionIds();
  const real = ids.filter((id) => id !== DEMO_SESSION_ID);
  if (real.length > 0 && ids.includes(DEMO_SESSION_ID)) {
    rmSync(store.folder(DEMO_SESSION_ID), { recursive: true, force: true });
    process.stderr.write(`agent-trace: removed the demo session now that ${store.dir} has sessions of its own\n`);
  }
  return real.length;
}

export async function runView(session: string | undefined, options: ViewOptions): Promise<void> {
  const { store, config } = cliContext(options);
  const portText = options.port ?? '7600';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535) throw new CliError(`--port must be a number from 0 to 65535, not "${portText}"`, 2);
  const host = options.host ?? '127.0.0.1';

  let sessionId: string | undefined;
  store.reconcile();
  const realSessions = removeDemoOnceRealSessionsExist(store);
  if (session) {
    try {
      sessionId = store.resolve(session);
    } catch (error) {
      if (error instanceof SessionNotFoundError) throw new CliError(error.message);
      throw error;
    }
  } else if (options.demoIfEmpty && realSessions === 0 && !store.hasSession(DEMO_SESSION_ID)) {
    try {
      sessionId = writeDemoSession(store);
      process.stderr.write(`agent-trace: no sessions in ${store.dir} yet; added a demo session ("${DEMO_SESSION_ID}") to show the viewer\n`);
    } catch (error) {
      process.stderr.write(`agent-trace: could not add the demo session: ${(error as Error).message}\n`);
    }
  }

  let viewer;
  try {
    viewer = await startViewer({ store, host, port: Number(portText), allowRemote: options.allowRemote, prices: config.prices });
  } catch (error) {
    if (error instanceof ViewerError) throw new CliError(error.message);
    throw error;
  }
  if (viewer.remote) {
    process.stderr.write(
      `agent-trace: WARNING: the viewer is listening on ${host}, reachable from other machines; it serves your traces (code, prompts, paths) without authentication\n`,
    );
  }
  process.stdout.write(`agent-trace viewer: ${viewer.url}\n`);
  const target = sessionId ? `${viewer.url}#/s/${encodeURIComponent(sessionId)}` : viewer.url;
  if (options.open !== false) openBrowser(target);
  else if (sessionId) process.stderr.write(`agent-trace: session ${sessionId}: ${target}\n`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void viewer.close().finally(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
