import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DIR_MODE, FILE_MODE } from './fs-util.js';
import { LOCK_FILE } from './paths.js';
import { isPidAlive, ownStartTime } from './process-info.js';

/**
 * Locks guard the few read-modify-write steps (materializing trace.json, transcript offsets, draining the spool,
 * export watermarks). A lock is a directory made atomically (`mkdir`) holding an `owner` file with the holder's
 * pid and process start time. A waiter that finds the holder dead (the pid gone, or reused by another process)
 * takes the lock over at once — no waiting for a timeout — so a killed process never leaves anything locked.
 * Nothing the agent runs ever waits on one: hooks only write to the spool.
 */
export interface LockOptions {
  /** How long to keep trying while a live process holds it (0: one try). */
  waitMs?: number;
  /** Lock name inside the folder (`lock` by default). */
  name?: string;
}

export type Release = () => void;

const OWNER = 'owner';
/** A lock directory with no owner file yet is a holder between mkdir and write; past this age it died there. */
const OWNERLESS_GRACE_MS = 2_000;
const host = hostname();

interface Owner {
  pid: number;
  start?: string;
  host?: string;
}

function readOwner(path: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(join(path, OWNER), 'utf8')) as Owner;
    return typeof o.pid === 'number' ? o : undefined;
  } catch {
    return undefined;
  }
}

function ownerText(): string {
  const start = ownStartTime();
  return JSON.stringify({ pid: process.pid, ...(start ? { start } : {}), host });
}

/** Whether the lock at `path` is held by a process that is gone (or was never completed, long ago). */
function holderIsDead(path: string): boolean {
  const owner = readOwner(path);
  if (!owner) {
    try {
      return Date.now() - statSync(path).mtimeMs > OWNERLESS_GRACE_MS;
    } catch {
      return false; // released meanwhile: just try again
    }
  }
  if (owner.host && owner.host !== host) return false; // another machine's process: cannot tell
  return !isPidAlive(owner.pid, owner.start);
}

/**
 * Moves a dead holder's lock aside (rename is atomic: of two processes taking over, one wins) and removes it.
 * If what was moved turns out to be a live lock taken meanwhile, it is put back.
 */
function takeOver(path: string): void {
  const aside = `${path}.dead-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  const moved = readOwner(aside);
  if (moved && isPidAlive(moved.pid, moved.start) && moved.pid !== process.pid) {
    try {
      renameSync(aside, path);
      return;
    } catch {
      // someone holds a new one already; the moved one's holder will find it gone when it releases
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

function tryLock(path: string, afterTakeOver = false): Release | undefined {
  try {
    mkdirSync(path, { mode: DIR_MODE });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw error;
    if (afterTakeOver || !holderIsDead(path)) return undefined;
    // A dead holder's lock is ours at once.
    takeOver(path);
    return tryLock(path, true);
  }
  try {
    writeFileSync(join(path, OWNER), ownerText(), { mode: FILE_MODE });
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    throw error;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // Only our own lock is removed (it may have been taken over if we were thought dead).
    const owner = readOwner(path);
    if (owner && owner.pid !== process.pid) return;
    rmSync(path, { recursive: true, force: true });
  };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The synchronous form (the crash path, the reconcile step). Undefined when a live holder kept it past `waitMs`. */
export function acquireSync(folder: string, options: LockOptions = {}): Release | undefined {
  const path = join(folder, options.name ?? LOCK_FILE);
  const deadline = Date.now() + (options.waitMs ?? 2_000);
  for (;;) {
    const release = tryLock(path);
    if (release) return release;
    if (Date.now() >= deadline) return undefined;
    Atomics.wait(sleeper, 0, 0, 5 + Math.random() * 10);
  }
}

export class LockBusyError extends Error {
  readonly code = 'ELOCKED';
  constructor(path: string) {
    super(`${path} is held by a live process`);
    this.name = 'LockBusyError';
  }
}

/** The asynchronous form: waits without blocking the event loop. Throws LockBusyError after `waitMs`. */
export async function acquire(folder: string, options: LockOptions = {}): Promise<Release> {
  const path = join(folder, options.name ?? LOCK_FILE);
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  for (;;) {
    const release = tryLock(path);
    if (release) return release;
    if (Date.now() >= deadline) throw new LockBusyError(path);
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 15));
  }
}

export async function withLock<T>(folder: string, fn: () => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const release = await acquire(folder, options);
  try {
    return await fn();
  } finally {
    release();
  }
}
