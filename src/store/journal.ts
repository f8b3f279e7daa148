import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import type { AgentEvent } from '../events/types.js';
import { FILE_MODE } from './fs-util.js';
import { forEachJsonLine } from './jsonl.js';

/**
 * The journal: one JSON event per line, append-only, the source of truth of a session. Every line is written
 * by a single O_APPEND write, so parallel hook processes can add to one session without a lock.
 */
export function encodeEvents(events: readonly AgentEvent[]): string {
  let out = '';
  for (const e of events) out += `${JSON.stringify(e)}\n`;
  return out;
}

const NEWLINE = 10;

/**
 * Appends whole lines. A write cut short (ENOSPC, a killed process) leaves a partial last line; appending
 * onto it would merge the next event into that broken line and lose it, so a journal that does not end in a
 * newline gets one first (in the same write). Returns the bytes written.
 */
export function appendJournalLines(journalPath: string, data: Buffer): number {
  const fd = openSync(journalPath, 'a+', FILE_MODE);
  try {
    const size = fstatSync(fd).size;
    let buffer = data;
    if (size > 0) {
      const last = Buffer.alloc(1);
      if (readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== NEWLINE) buffer = Buffer.concat([Buffer.from('\n'), data]);
    }
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    return buffer.length;
  } finally {
    closeSync(fd);
  }
}

export function appendEvents(journalPath: string, events: readonly AgentEvent[]): number {
  if (events.length === 0) return 0;
  return appendJournalLines(journalPath, Buffer.from(encodeEvents(events)));
}

export function journalSize(journalPath: string): number {
  try {
    return statSync(journalPath).size;
  } catch {
    return 0;
  }
}

/**
 * The journal's length in complete lines, given that `known` bytes are known to end a line: a torn tail (a
 * partial last line) is not part of it. Reads only the bytes after `known`, so checking a trace against a
 * journal with a torn tail costs no rebuild.
 */
export function completeLength(journalPath: string, known = 0): number {
  let fd: number;
  try {
    fd = openSync(journalPath, 'r');
  } catch {
    return 0;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= known) return size;
    // Scan backwards from the end for the last newline, a chunk at a time, not below `known`.
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let end = size;
    while (end > known) {
      const start = Math.max(known, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, n).lastIndexOf(NEWLINE);
      if (nl >= 0) return start + nl + 1;
      end = start;
    }
    return known;
  } finally {
    closeSync(fd);
  }
}

export interface JournalRead {
  events: AgentEvent[];
  /** Byte offset just after the last complete line read. */
  end: number;
  /** Complete lines that were not valid JSON (a torn tail is not counted: it may not be complete yet). */
  skipped: number;
}

/**
 * Reads complete lines from `from` on, a chunk at a time (memory is the events, not the file); a line still
 * being written is left for the next read.
 */
export function readJournal(journalPath: string, from = 0): JournalRead {
  const events: AgentEvent[] = [];
  const result = forEachJournalEvent(journalPath, (e) => void events.push(e), from);
  return { events, end: result.end, skipped: result.skipped };
}

/** Calls `fn` for each event of the journal from `from` on, reading it in chunks. */
export function forEachJournalEvent(journalPath: string, fn: (event: AgentEvent) => void, from = 0): Omit<JournalRead, 'events'> {
  let fd: number;
  try {
    fd = openSync(journalPath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { end: from, skipped: 0 };
    throw error;
  }
  try {
    return forEachJsonLine(fd, from, fstatSync(fd).size, (value) => fn(value as AgentEvent));
  } finally {
    closeSync(fd);
  }
}
