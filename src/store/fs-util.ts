import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Traces hold code, prompts and paths: folders are private to the user. */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdir loops forever on paths such as `/proc/x`
 * (ENOENT for the child, EEXIST for the parent), which would hang a hook given such a data dir.
 */
export function ensureDir(path: string): void {
  try {
    mkdirSync(path, { mode: DIR_MODE });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw error;
  }
  ensureDir(dirname(path));
  try {
    mkdirSync(path, { mode: DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** One `write` with O_APPEND: concurrent appenders never interleave within a record on a local filesystem. */
export function appendSync(path: string, data: string | Buffer, fsync = false): void {
  const fd = openSync(path, 'a', FILE_MODE);
  try {
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A file's size and modification time as a key that changes when the file does ('-' when it is missing). */
export function fileStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}
