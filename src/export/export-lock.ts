import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type * as ProperLockfile from 'proper-lockfile';
import { EXPORT_LOCK } from './watermark.js';

/**
 * The session's export lock, `<session folder>/export.lock`: held while an export reads the watermark,
 * sends, and records acknowledgements, so two exports of one session never send the same span.
 *
 * Same mechanics as src/store/lock.ts (proper-lockfile: an atomic mkdir whose mtime is refreshed while held,
 * stale after 10 s when its holder died), but keyed by the lock path itself. proper-lockfile keeps its
 * in-process table keyed by the *locked file*, and `store/lock.ts` locks the session folder for every lock
 * name; holding `export.lock` on a folder while `SessionStore.load()` takes and releases the session's `lock`
 * on the same folder would drop our entry from that table (no more refreshes, and a release that fails,
 * leaving the lock directory behind until it goes stale).
 */

const STALE_MS = 10_000;

let loaded: typeof ProperLockfile | undefined;
/** Loaded on first use, as in store/lock.ts: a tracer that never exports never loads it (nor signal-exit). */
function lockfile(): typeof ProperLockfile {
  loaded ??= createRequire(import.meta.url)('proper-lockfile') as typeof ProperLockfile;
  return loaded;
}

export type Release = () => void;

export function exportLockPath(folder: string): string {
  return join(folder, EXPORT_LOCK);
}

/** Acquires the export lock, waiting up to `waitMs` (0: fail at once with code ELOCKED). */
export async function acquireExportLock(folder: string, waitMs: number): Promise<Release> {
  const path = resolve(exportLockPath(folder));
  const release = await lockfile().lock(path, {
    lockfilePath: path,
    realpath: false,
    stale: STALE_MS,
    retries: waitMs > 0 ? { retries: Math.max(1, Math.ceil(waitMs / 25)), factor: 1, minTimeout: 5, maxTimeout: 25, randomize: true } : 0,
    onCompromised: () => {
      // Another process took over a lock it judged stale; acknowledged spans are recorded as they come, so
      // the worst case is the re-send of requests in flight, which keep their span ids.
    },
  });
  return () => {
    release().catch(() => undefined);
  };
}
