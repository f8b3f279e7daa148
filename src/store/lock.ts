import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as ProperLockfile from 'proper-lockfile';
import { LOCK_FILE } from './paths.js';

/**
 * Locks guard the few read-modify-write steps (materializing trace.json, transcript offsets, export
 * watermarks). proper-lockfile makes a lock directory atomically and refreshes its mtime while held, so a lock
 * left by a killed process goes stale after `staleMs` instead of blocking forever.
 */
export interface LockOptions {
  /** How long to keep trying before giving up. */
  waitMs?: number;
  staleMs?: number;
  /** Lock name inside the session folder (`lock` by default). */
  name?: string;
}

export type Release = () => void;

const STALE_MS = 10_000;

let loaded: typeof ProperLockfile | undefined;
/** Loaded on first use: the hook's hot path and the in-process tracer never pay for it (nor for signal-exit). */
function lockfile(): typeof ProperLockfile {
  loaded ??= createRequire(import.meta.url)('proper-lockfile') as typeof ProperLockfile;
  return loaded;
}

export async function withLock<T>(folder: string, fn: () => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const release = await acquire(folder, options);
  try {
    return await fn();
  } finally {
    release();
  }
}

export async function acquire(folder: string, options: LockOptions = {}): Promise<Release> {
  const waitMs = options.waitMs ?? 5_000;
  const path = join(folder, options.name ?? LOCK_FILE);
  // The resource is the lock's own path, not the folder: proper-lockfile keeps its held locks in a map keyed
  // by resource, so two named locks of one folder held at once (the transcript lock, then the trace lock)
  // would share one entry — releasing one orphans the other's refresh timer, which later throws.
  const release = await lockfile().lock(path, {
    lockfilePath: path,
    realpath: false,
    stale: options.staleMs ?? STALE_MS,
    retries: { retries: Math.max(1, Math.ceil(waitMs / 25)), factor: 1, minTimeout: 5, maxTimeout: 25, randomize: true },
    onCompromised: () => {
      // Compromised means another process took a stale lock over; our work is idempotent, so carry on.
    },
  });
  return () => {
    release().catch(() => undefined);
  };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The synchronous form, for paths that cannot await (the crash path, short CLI steps). */
export function acquireSync(folder: string, options: LockOptions = {}): Release | undefined {
  const deadline = Date.now() + (options.waitMs ?? 2_000);
  for (;;) {
    try {
      const path = join(folder, options.name ?? LOCK_FILE);
      // Keyed by the lock's own path (see `acquire`).
      const release = lockfile().lockSync(path, {
        lockfilePath: path,
        realpath: false,
        stale: options.staleMs ?? STALE_MS,
        onCompromised: () => undefined,
      } as ProperLockfile.LockOptions);
      return () => {
        try {
          release();
        } catch {
          // already released or taken over
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() >= deadline) return undefined;
      Atomics.wait(sleeper, 0, 0, 5 + Math.random() * 10);
    }
  }
}
