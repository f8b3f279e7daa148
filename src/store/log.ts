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
