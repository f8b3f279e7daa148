import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { AgentEvent } from '../events/types.js';
import { appendSync } from './fs-util.js';

/**
 * The journal: one JSON event per line, append-only, the source of truth of a session. Every line is written
 * by a single O_APPEND write, so parallel hook processes can add to one session without a lock.
 */
export function encodeEvents(events: readonly AgentEvent[]): string {
  let out = '';
  for (const e of events) out += `${JSON.stringify(e)}\n`;
  return out;
}

export function appendEvents(journalPath: string, events: readonly AgentEvent[]): number {
  if (events.length === 0) return 0;
  const data = Buffer.from(encodeEvents(events));
  appendSync(journalPath, data);
  return data.length;
}

export function journalSize(journalPath: string): number {
  try {
    return statSync(journalPath).size;
  } catch {
    return 0;
  }
}

export interface JournalRead {
  events: AgentEvent[];
  /** Byte offset just after the last complete line read. */
  end: number;
  /** Lines that were not valid JSON (a torn tail is not counted: it is simply not complete yet). */
  skipped: number;
}

/** Reads complete lines from `from` on; a line still being written is left for the next read. */
export function readJournal(journalPath: string, from = 0): JournalRead {
  let fd: number;
  try {
    fd = openSync(journalPath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], end: from, skipped: 0 };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= from) return { events: [], end: from, skipped: 0 };
    const buffer = Buffer.allocUnsafe(size - from);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, from + read);
      if (n === 0) break;
      read += n;
    }
    return parseLines(buffer.subarray(0, read), from);
  } finally {
    closeSync(fd);
  }
}

function parseLines(buffer: Buffer, base: number): JournalRead {
  const events: AgentEvent[] = [];
  let skipped = 0;
  let start = 0;
  for (;;) {
    const nl = buffer.indexOf(10, start);
    if (nl < 0) break;
    if (nl > start) {
      try {
        events.push(JSON.parse(buffer.toString('utf8', start, nl)) as AgentEvent);
      } catch {
        skipped++;
      }
    }
    start = nl + 1;
  }
  return { events, end: base + start, skipped };
}
