import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../src/package-root.js';
import { logError } from '../../src/store/log.js';

/**
 * Background export: the Claude Code hook (after each finished turn, when the config names an endpoint) and
 * the in-process tracer's crash/exit path call `spawnBackgroundExport`, which starts
 * `node <bin> export <session> --dir <dir>` as a detached process with its output ignored and returns at
 * once — the agent never waits for the network. The child logs failures to `<dir>/agent-trace.log`; since
 * the watermark only advances on acknowledgement, whatever failed is sent by the next export.
 *
 * This module is on the hook's path: it must stay light (node built-ins and the log only).
 */

export const BACKGROUND_ENV = 'AGENT_TRACE_EXPORT_BACKGROUND';
export const WAITING_FILE = 'export.waiting';

export interface BackgroundExportOptions {
  dir: string;
  sessionId: string;
  /** Environment of the child (default: this process's); the tracer adds its OTLP settings as OTEL_* here. */
  env?: NodeJS.ProcessEnv;
  /** The agent-trace bin to run (default: found next to the running code). */
  bin?: string;
  /** Called when the export process ends, if this process is still there to see it (supervisors, tests). */
  onExit?: (code: number | null) => void;
}

/** The CLI to start: the package's `dist/bin/agent-trace.js`, or the running bin itself. */
export function findBin(): string | undefined {
  const bin = packagePath('dist', 'bin', 'agent-trace.js');
  if (existsSync(bin)) return bin;
  return process.argv[1]?.endsWith('agent-trace.js') ? process.argv[1] : undefined;
}

/** Starts the export and returns at once; true when a process was started. Never throws. */
export function spawnBackgroundExport(options: BackgroundExportOptions): boolean {
  try {
    const bin = options.bin ?? findBin();
    if (!bin) {
      logError(options.dir, `background export (session ${options.sessionId})`, new Error('cannot find dist/bin/agent-trace.js to run'));
      return false;
    }
    const child = spawn(process.execPath, [bin, 'export', options.sessionId, '--dir', options.dir], {
      detached: true,
      stdio: 'ignore',
      windowsHide: true,
      cwd: existsSync(options.dir) ? options.dir : undefined,
      env: { ...(options.env ?? process.env), [BACKGROUND_ENV]: '1' },
    });
    child.on('error', (error) => logError(options.dir, `background export (session ${options.sessionId})`, error));
    if (options.onExit) child.once('exit', options.onExit);
    child.unref();
    return true;
  } catch (error) {
    logError(options.dir, `background export (session ${options.sessionId})`, error);
    return false;
  }
}

/**
 * Coalescing of background exports: at most one waits for a session's export lock at a time. A background
 * export that finds a live waiter leaves — the waiter reads the trace only once it holds the lock, which is
 * after this export's trigger, so it sends everything this one would have.
 * Returns a release function, or undefined when another waiter is already there.
 */
export function claimWaiter(folder: string): (() => void) | undefined {
  const path = join(folder, WAITING_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          // gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return () => undefined;
      if (waiterAlive(path)) return undefined;
      try {
        unlinkSync(path);
      } catch {
        // someone else cleared it
      }
    }
  }
  return undefined;
}

function waiterAlive(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    if (Date.now() - statSync(path).mtimeMs > 10 * 60_000) return false;
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
