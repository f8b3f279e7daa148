import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';

/** Traces hold code, prompts and paths: folders are private to the user. */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: DIR_MODE });
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
