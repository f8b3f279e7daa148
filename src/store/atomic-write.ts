import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { basename, dirname, join } from 'node:path';
import { FILE_MODE } from './fs-util.js';

/**
 * Atomic replacement of a file: write a temp file in the same folder, fsync it, rename it over the target.
 * A reader at any instant sees the old file or the new one, never a torn one.
 *
 * Written here rather than taken from write-file-atomic because the trace needs three things that library
 * does not offer: the final rename happens synchronously on the main thread right after a caller-supplied
 * check (so a crash write can never be overtaken by a stale async write already in flight), large documents
 * are streamed in pieces so the host's event loop is never blocked, and temp names carry the writer's pid so
 * the sweep can tell a dead writer's leftovers from a live writer's work in progress.
 */

let counter = 0;

function tempName(target: string): string {
  counter = (counter + 1) % 1_000_000;
  return join(dirname(target), `${basename(target)}.${process.pid}.${counter}.tmp`);
}

function writeAll(fd: number, data: string | Buffer): void {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/** Writes the pieces with writev, without first copying them into one buffer (the crash path is timed). */
function writeChunks(fd: number, chunks: Iterable<Buffer>): void {
  let batch: Buffer[] = [];
  const flush = () => {
    let pending = batch;
    while (pending.length) {
      let written = writevSync(fd, pending);
      // A short write: drop what went out and retry with the rest.
      let i = 0;
      while (i < pending.length && written >= pending[i]!.length) written -= pending[i++]!.length;
      pending = pending.slice(i);
      if (written > 0 && pending.length) pending[0] = pending[0]!.subarray(written);
    }
    batch = [];
  };
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    batch.push(chunk);
    if (batch.length === 1024) flush();
  }
  flush();
}

export type Content = string | Buffer | Iterable<Buffer>;

/**
 * `durable: false` skips the fsync, for derived files a reader checks and rebuilds (summary.json): readers
 * still never see a torn file, and after a power loss a bad one is detected and rebuilt, while the writer's
 * event loop is not held by a disk flush.
 */
export function writeFileAtomicSync(target: string, data: Content, options: { durable?: boolean } = {}): void {
  const tmp = tempName(target);
  const fd = openSync(tmp, 'w', FILE_MODE);
  try {
    if (typeof data === 'string' || Buffer.isBuffer(data)) writeAll(fd, data);
    else writeChunks(fd, data);
    if (options.durable !== false) fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, target);
  } catch (error) {
    safeUnlinkSync(tmp);
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    throw error;
  }
}

export interface AsyncWriteOptions {
  /** Checked right before the rename; returning false abandons the write (the target is left as it is). */
  commit?: () => boolean;
  /** Awaited after the temp file is complete and before `commit()` is asked (a seam for tests). */
  beforeCommit?: () => Promise<void> | void;
  /** Longest stretch, in ms, spent serializing before yielding to the event loop. */
  sliceMs?: number;
}

/**
 * Streams `parts` into a temp file, yielding to the event loop between slices, then fsyncs and — if
 * `commit()` still agrees — renames synchronously. Resolves true when the target was replaced.
 */
export async function writeFileAtomicAsync(
  target: string,
  parts: Iterable<Buffer>,
  options: AsyncWriteOptions = {},
): Promise<boolean> {
  const sliceMs = options.sliceMs ?? 0.5;
  const tmp = tempName(target);
  const handle = await open(tmp, 'w', FILE_MODE);
  let closed = false;
  try {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let sliceStart = performance.now();
    for (const part of parts) {
      batch.push(part);
      batchBytes += part.length;
      if (batchBytes >= 1 << 18) {
        await handle.write(Buffer.concat(batch, batchBytes));
        batch = [];
        batchBytes = 0;
        sliceStart = performance.now();
      } else if (performance.now() - sliceStart > sliceMs) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
    if (batchBytes) await handle.write(Buffer.concat(batch, batchBytes));
    await handle.sync();
    await handle.close();
    closed = true;
    await options.beforeCommit?.();
    if (options.commit && !options.commit()) {
      await unlink(tmp).catch(() => undefined);
      return false;
    }
    renameSync(tmp, target);
    return true;
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

function safeUnlinkSync(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const TEMP = /^(.+)\.(\d+)\.\d+\.tmp$/;

/**
 * Removes temp files left by writers that died mid-write. A temp whose writer is alive is left alone unless
 * it is older than `maxAgeMs` (its pid may have been reused).
 */
export function sweepTempFiles(folder: string, maxAgeMs = 10 * 60_000): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return 0;
  }
  const now = Date.now();
  for (const name of names) {
    const match = TEMP.exec(name);
    if (!match) continue;
    const path = join(folder, name);
    let stale = !isAlive(Number(match[2]));
    if (!stale) {
      try {
        stale = now - statSync(path).mtimeMs > maxAgeMs;
      } catch {
        continue;
      }
    }
    if (stale) {
      safeUnlinkSync(path);
      removed++;
    }
  }
  return removed;
}
