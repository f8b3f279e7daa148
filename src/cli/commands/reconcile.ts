import { readFileSync, unlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { AgentTraceConfig } from '../../config.js';
import { writeFileAtomicSync } from '../../store/atomic-write.js';
import { ensureDir } from '../../store/fs-util.js';
import { isMissing, logError, logErrorLimited } from '../../store/log.js';
import { liveWorker, pendingSpool, spoolAgents, spoolRoot, WORKER_PID_FILE } from '../../store/spool.js';
import type { SessionStore } from '../../store/session-store.js';
import { cliContext } from '../context.js';
import type { GlobalOptions } from '../options.js';

/**
 * `agent-trace reconcile [--worker]` (hidden): brings the store up to date. With `--worker` it is the detached
 * process the hook recorder starts on a boundary: it drains the spool as hooks fill it, catches up transcripts,
 * rewrites trace.json, starts the configured OTLP export, and exits once nothing has arrived for a moment.
 * Detached from the agent (its own session), so the agent can neither wait for it nor cancel it.
 */

const IDLE_MS = 3_000;
const POLL_MS = 100;
const MAX_LIFE_MS = 6 * 60 * 60_000;

function writePid(dir: string): void {
  const path = join(spoolRoot(dir), WORKER_PID_FILE);
  ensureDir(spoolRoot(dir));
  writeFileAtomicSync(path, `${process.pid}\n`, { durable: false });
}

function removePid(dir: string): void {
  const path = join(spoolRoot(dir), WORKER_PID_FILE);
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
  } catch (error) {
    // Missing: gone. Left behind, it names a dead pid, which liveWorker reads as no worker.
    if (!isMissing(error)) logErrorLimited(dir, `reconcile worker: removing ${WORKER_PID_FILE}`, error);
  }
}

function pending(dir: string): boolean {
  for (const agent of spoolAgents(dir)) {
    const p = pendingSpool(dir, agent);
    if (p.ready.length || p.orphans.length) return true;
  }
  return false;
}

export function exportAfter(store: SessionStore, config: AgentTraceConfig, sessions: readonly string[]): void {
  const otlp = config.otlp;
  if (!sessions.length || !otlp?.endpoint || otlp.auto === false) return;
  void import('../../../exporters/otlp/background.js')
    .then(({ spawnBackgroundExport }) => {
      for (const sessionId of sessions) spawnBackgroundExport({ dir: store.dir, sessionId });
    })
    .catch((error: unknown) => logError(store.dir, 'reconcile: export', error));
}

/** Background work yields the CPU to the agent (and to whatever the user runs next): a nice value of 10. */
function lowerPriority(dir: string): void {
  try {
    setPriority(WORKER_NICE);
  } catch (error) {
    logErrorLimited(dir, 'reconcile worker: lowering its priority', error);
  }
}

const WORKER_NICE = 10;

async function runWorker(store: SessionStore, config: AgentTraceConfig): Promise<void> {
  const dir = store.dir;
  if (liveWorker(dir) !== undefined) return;
  lowerPriority(dir);
  writePid(dir);
  const cleanup = () => removePid(dir);
  process.on('exit', cleanup);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => process.exit(0));
  const born = Date.now();
  let lastWork = Date.now();
  try {
    for (;;) {
      if (pending(dir)) {
        const result = store.reconcile({ sessions: [], patient: true });
        exportAfter(store, config, result.exportWanted);
        lastWork = Date.now();
        continue;
      }
      if (Date.now() - lastWork >= IDLE_MS || Date.now() - born > MAX_LIFE_MS) {
        // Leave, then look once more: a hook that wrote after our last look and saw our pid file would
        // otherwise start no worker (it writes before it looks, so one of us sees its file).
        removePid(dir);
        if (!pending(dir) || liveWorker(dir) !== undefined) return;
        writePid(dir);
        continue;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } catch (error) {
    logError(dir, 'reconcile worker', error);
  } finally {
    cleanup();
  }
}

export async function runReconcile(options: GlobalOptions & { worker?: boolean; json?: boolean }): Promise<void> {
  const { store, config } = cliContext(options);
  if (options.worker) {
    await runWorker(store, config);
    return;
  }
  const result = store.reconcile();
  exportAfter(store, config, result.exportWanted);
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`reconciled: ${result.drained} hook payload${result.drained === 1 ? '' : 's'} ingested, ${result.changed.length} session${result.changed.length === 1 ? '' : 's'} updated\n`);
}
