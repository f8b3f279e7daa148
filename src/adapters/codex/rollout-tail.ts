import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { IncrementalRead } from '../types.js';
import { foldCodexRollout, type RolloutCheckpoint, type RolloutLine } from './rollout-fold.js';
import { readRolloutFile } from './rollout-file.js';
import { rec } from './util.js';

/**
 * Catch-up by offset for Codex rollouts, which Codex only ever appends to: a read goes on from the last checkpoint
 * of the previous one (a line end between turns), reading only the bytes after it. The file is read whole again
 * when it is not the same file any more (another inode), is shorter than the checkpoint, or the bytes just
 * before the checkpoint changed (rewritten), or when the new lines change how earlier ones read.
 */

/** What a catch-up keeps between reads: where it can go on from, and how to know the file is still that file. */
interface RolloutCursor {
  dev: number;
  ino: number;
  checkpoint: RolloutCheckpoint;
  /** The bytes just before the checkpoint (base64), compared before going on. */
  guard: string;
}

const GUARD_BYTES = 64;

/** Bytes read by the last call (for tests and the bench: proof that a catch-up reads only what was appended). */
export let lastRolloutBytesRead = 0;

export function readRolloutSince(path: string, sessionId: string, cursor: unknown): IncrementalRead | undefined {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    const previous = usableCursor(cursor, fd, st.dev, st.ino, st.size);
    if (previous) {
      const lines = linesFrom(fd, previous.checkpoint.offset, st.size);
      const fold = foldCodexRollout(lines, path, {}, previous.checkpoint);
      const own = fold?.sessions.find((s) => s.sessionId === sessionId);
      if (fold && own) {
        const next = fold.checkpoint ? cursorAt(fd, st.dev, st.ino, fold.checkpoint) : previous;
        return { events: own.events, keepFirst: previous.checkpoint.emitted, cursor: next };
      }
    }
    // The whole file: as `agent-trace import` reads it (subagent threads beside it included).
    const lines = linesFrom(fd, 0, st.size);
    const fold = readRolloutFile(path, lines);
    const own = fold.sessions.find((s) => s.sessionId === sessionId);
    if (!own) return undefined;
    return { events: own.events, keepFirst: 0, ...(fold.checkpoint ? { cursor: cursorAt(fd, st.dev, st.ino, fold.checkpoint) } : {}) };
  } finally {
    closeSync(fd);
  }
}

function usableCursor(cursor: unknown, fd: number, dev: number, ino: number, size: number): RolloutCursor | undefined {
  const c = rec(cursor) as RolloutCursor | undefined;
  if (!c || !rec(c.checkpoint) || typeof c.guard !== 'string') return undefined;
  if (c.dev !== dev || c.ino !== ino || size < c.checkpoint.offset) return undefined;
  return guardAt(fd, c.checkpoint.offset) === c.guard ? c : undefined;
}

function cursorAt(fd: number, dev: number, ino: number, checkpoint: RolloutCheckpoint): RolloutCursor {
  return { dev, ino, checkpoint, guard: guardAt(fd, checkpoint.offset) };
}

function guardAt(fd: number, offset: number): string {
  const start = Math.max(0, offset - GUARD_BYTES);
  const buf = Buffer.alloc(offset - start);
  const n = readSync(fd, buf, 0, buf.length, start);
  return buf.subarray(0, n).toString('base64');
}

/** The JSON-object lines of bytes [from, to), each with the byte offset just past its newline. */
function linesFrom(fd: number, from: number, to: number): RolloutLine[] {
  const buf = Buffer.alloc(Math.max(0, to - from));
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, from + got);
    if (n === 0) break;
    got += n;
  }
  lastRolloutBytesRead = got;
  const out: RolloutLine[] = [];
  let start = 0;
  while (start < got) {
    let nl = buf.indexOf(0x0a, start);
    const ended = nl !== -1 && nl < got;
    if (!ended) nl = got;
    const raw = buf.toString('utf8', start, nl).trim();
    if (raw.startsWith('{')) {
      try {
        const value = rec(JSON.parse(raw));
        if (value) out.push(ended ? { value, end: from + nl + 1 } : { value });
      } catch {
        // a line of garbage or a line cut short: skip it, keep the rest
      }
    }
    start = nl + 1;
  }
  return out;
}
