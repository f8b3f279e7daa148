import { readSync } from 'node:fs';

const READ_CHUNK = 8 * 1024 * 1024;
const NEWLINE = 10;

/**
 * Reads the complete lines of a JSONL file between byte `from` and byte `until` (an open descriptor), a chunk
 * at a time — memory is one chunk and what `fn` keeps, never the file — and hands each line's parsed value to
 * `fn`. A last line without its newline is not complete yet (a writer may still be adding to it): it is left
 * for the next read, which starts at the returned `end`. Lines that are not valid JSON are counted in
 * `skipped`; empty lines are passed over. The one reader of appended JSON lines: the journal and the agents'
 * transcripts that are read by offset.
 */
export function forEachJsonLine(fd: number, from: number, until: number, fn: (value: unknown) => void): { end: number; skipped: number } {
  let skipped = 0;
  let end = from;
  let carry: Buffer = Buffer.alloc(0);
  let position = from;
  while (position < until) {
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, until - position));
    const n = readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) break;
    position += n;
    const buffer = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    let start = 0;
    for (;;) {
      const nl = buffer.indexOf(NEWLINE, start);
      if (nl < 0) break;
      if (nl > start) {
        let value: unknown;
        let parsed = false;
        try {
          value = JSON.parse(buffer.toString('utf8', start, nl));
          parsed = true;
        } catch {
          skipped++;
        }
        if (parsed) fn(value);
      }
      start = nl + 1;
    }
    end = position - (buffer.length - start);
    carry = Buffer.from(buffer.subarray(start));
  }
  return { end, skipped };
}
