import { renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { appendSync, ensureDir, errorMessage } from './fs-util.js';
import { LOG_FILE } from './paths.js';

const MAX_LOG_BYTES = 1024 * 1024;

/**
 * The error log, `<dir>/agent-trace.log`: where the hook and the tracer report problems, since they must
 * never report them to the agent. Bounded: past 1 MiB it is rotated to `agent-trace.log.1` (one generation).
 */
export function logError(dir: string, context: string, error: unknown): void {
  try {
    ensureDir(dir);
    const path = join(dir, LOG_FILE);
    try {
      if (statSync(path).size > MAX_LOG_BYTES) renameSync(path, `${path}.1`);
    } catch {
      // no log yet
    }
    const stack = error instanceof Error && error.stack ? ` ${error.stack.split('\n').slice(1, 3).join(' |').trim()}` : '';
    const line = `${new Date().toISOString()} pid=${process.pid} ${context}: ${errorMessage(error).slice(0, 2000)}${stack}\n`;
    appendSync(path, line);
  } catch {
    // The log is the last resort; there is nowhere left to report to.
  }
}

const REPEAT_MS = 60_000;
const lastLogged = new Map<string, number>();

/**
 * `logError` for failures that can repeat on every read or drain (a full disk, a read-only folder): at most one
 * line per distinct context and message per minute in this process, so a viewer polling a broken session does
 * not fill the log.
 */
export function logErrorLimited(dir: string, context: string, error: unknown): void {
  // A system error is keyed by its code: its message names temp files that differ on every try.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const key = `${dir}\0${context}\0${typeof code === 'string' ? code : errorMessage(error)}`;
  const now = Date.now();
  const last = lastLogged.get(key);
  if (last !== undefined && now - last < REPEAT_MS) return;
  if (lastLogged.size >= 1_000) lastLogged.clear();
  lastLogged.set(key, now);
  logError(dir, context, error);
}

/** A missing file: the expected outcome of removing or reading what may already be gone, not worth a log line. */
export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
