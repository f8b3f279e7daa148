import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { TraceDocument, TraceSpan } from '../model/trace.js';

/**
 * Reading trace.json without ever holding the whole document in one string: the header and the root span
 * from the head of the file, the spans one at a time. A document past `MAX_WHOLE_TRACE_BYTES` is never parsed
 * whole (V8 cannot make a string over 512 MiB; long before that, one session would eat the memory of a
 * command about many).
 */

/** A trace document without its spans. */
export type TraceHeader = Omit<TraceDocument, 'spans'>;

/** The largest trace.json a caller may parse whole (`load`); bigger ones are streamed or refused by name. */
export const MAX_WHOLE_TRACE_BYTES = 256 * 1024 * 1024;
/** The header and root span are read from at most this many bytes of the file's head. */
const MAX_HEAD_BYTES = 32 * 1024 * 1024;
const CHUNK = 1024 * 1024;

export const SPANS_KEY = ',"spans":[';

export class TraceFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'TraceFileError';
  }
}

export class SessionTooLargeError extends Error {
  constructor(
    readonly sessionId: string,
    readonly bytes: number,
    what = 'to load whole',
  ) {
    super(`session ${sessionId}: its trace is ${Math.round(bytes / 1024 / 1024)} MiB, too large ${what}`);
    this.name = 'SessionTooLargeError';
  }
}

/** What is wrong with a value that should be a trace header (undefined when nothing is). */
export function headerProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.schemaVersion !== 1) return `schemaVersion is ${JSON.stringify(v.schemaVersion) ?? 'missing'}, not 1`;
  if (typeof v.sessionId !== 'string') return 'no sessionId';
  if (typeof v.status !== 'string') return 'no status';
  if (typeof v.startTime !== 'number') return 'no startTime';
  if (typeof v.agent !== 'object' || v.agent === null) return 'no agent';
  const s = v.summary as Record<string, unknown> | undefined;
  if (typeof s !== 'object' || s === null || typeof s.tokens !== 'object' || s.tokens === null) return 'no summary';
  if (!Array.isArray(v.models)) return 'no models';
  return undefined;
}

/** What is wrong with a parsed trace document (undefined when nothing is). */
export function documentProblem(value: unknown): string | undefined {
  const problem = headerProblem(value);
  if (problem) return problem;
  return Array.isArray((value as { spans?: unknown }).spans) ? undefined : 'no spans array';
}

export interface TraceHead {
  header: TraceHeader;
  root: TraceSpan | undefined;
  /** Size of the file read. */
  bytes: number;
}

/**
 * The header and root span of a trace.json, reading only the head of the file. In JSON text a bare
 * `,"spans":[` or `,{"spanId":` cannot occur inside a string (quotes there are escaped), so the first
 * occurrences are the structure. Throws TraceFileError naming the file when it is not a trace document.
 */
export function readTraceHead(path: string): TraceHead {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunks: Buffer[] = [];
    let read = 0;
    let text = '';
    let at = -1;
    let rootEnd = -1;
    // Most heads fit in a few KiB: start small, then read more at a time.
    let want = 16 * 1024;
    while (read < Math.min(size, MAX_HEAD_BYTES)) {
      const chunk = Buffer.allocUnsafe(Math.min(want, size - read));
      want = Math.min(CHUNK, want * 4);
      const n = readSync(fd, chunk, 0, chunk.length, read);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      read += n;
      // Decoding may split a multi-byte character at the chunk's end; that only delays a match.
      text = Buffer.concat(chunks).toString('utf8');
      at = text.indexOf(SPANS_KEY);
      if (at >= 0) {
        const start = at + SPANS_KEY.length;
        rootEnd = text.indexOf(',{"spanId":', start);
        if (rootEnd < 0 && read === size) rootEnd = text.lastIndexOf(']');
        if (rootEnd >= 0) break;
      }
    }
    if (at < 0) {
      // A small document of another layout (pretty-printed, fields reordered): parse it whole.
      if (size <= MAX_HEAD_BYTES && read === size) {
        const doc = parseOrThrow(path, text);
        const problem = documentProblem(doc);
        if (problem) throw new TraceFileError(path, `not a trace document (${problem})`);
        const { spans, ...header } = doc as TraceDocument;
        return { header, root: spans[0], bytes: size };
      }
      throw new TraceFileError(path, 'not a trace document (no spans array near its start)');
    }
    const header = parseOrThrow(path, `${text.slice(0, at)}}`) as TraceHeader;
    const problem = headerProblem(header);
    if (problem) throw new TraceFileError(path, `not a trace document (${problem})`);
    const start = at + SPANS_KEY.length;
    let root: TraceSpan | undefined;
    if (rootEnd > start) {
      try {
        root = JSON.parse(text.slice(start, rootEnd)) as TraceSpan;
      } catch {
        root = undefined;
      }
    }
    return { header, root, bytes: size };
  } finally {
    closeSync(fd);
  }
}

function parseOrThrow(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TraceFileError(path, `not valid JSON (${(error as Error).message.slice(0, 120)})`);
  }
}

/**
 * The JSON text of each span of a trace.json, in file order, read in chunks: memory is one span at a time.
 * Strings and nesting are tracked byte by byte (UTF-8 continuation bytes never equal an ASCII delimiter).
 */
export function* spanTexts(path: string): Generator<string> {
  for (const entry of spanEntries(path)) yield entry.text;
}

/** A span's JSON text and the byte offset where it starts in the file (for `spanTextAt`). */
export interface SpanEntry {
  text: string;
  offset: number;
}

/** `spanTexts` with each span's offset in the file. */
export function* spanEntries(path: string): Generator<SpanEntry> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(CHUNK);
    let position = 0;
    let inSpans = false;
    let inString = false;
    let escaped = false;
    let depth = 0;
    let pieces: Buffer[] = [];
    let pieceStart = -1;
    let spanOffset = 0;
    // Until the spans array starts, keep a small window to find `,"spans":[` (it may straddle chunks).
    let window = '';
    while (position < size) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - position), position);
      if (n === 0) break;
      const buf = chunk.subarray(0, n);
      const chunkStart = position;
      position += n;
      let i = 0;
      if (!inSpans) {
        const text = window + buf.toString('latin1');
        const at = text.indexOf(SPANS_KEY);
        if (at < 0) {
          window = text.slice(-SPANS_KEY.length);
          continue;
        }
        inSpans = true;
        i = at + SPANS_KEY.length - window.length;
      }
      let quote = -1; // the next '"' at or after i, when known
      let slash = -1; // the next '\\' at or after i, when known
      for (; i < n; i++) {
        if (inString) {
          // Most bytes are string content: jump from quote to backslash with indexOf instead of byte by byte.
          if (escaped) {
            escaped = false;
            continue;
          }
          if (quote < i) quote = buf.indexOf(34, i);
          if (slash < i && slash !== -2) slash = buf.indexOf(92, i);
          if (slash === -1) slash = -2; // none left in this chunk
          if (slash >= 0 && (quote < 0 || slash < quote)) {
            i = slash; // the next iteration skips the escaped byte
            escaped = true;
            continue;
          }
          if (quote < 0) {
            i = n;
            break;
          }
          i = quote;
          inString = false;
          continue;
        }
        const c = buf[i]!;
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) {
          if (depth === 0) {
            pieceStart = i;
            spanOffset = chunkStart + i;
          }
          depth++;
        } else if (c === 125 || c === 93) {
          if (depth === 0) {
            if (c === 93) return; // end of the spans array
            continue;
          }
          depth--;
          if (depth === 0) {
            pieces.push(Buffer.from(buf.subarray(pieceStart, i + 1)));
            yield { text: Buffer.concat(pieces).toString('utf8'), offset: spanOffset };
            pieces = [];
            pieceStart = -1;
          }
        }
      }
      if (depth > 0) {
        pieces.push(Buffer.from(buf.subarray(pieceStart < 0 ? 0 : pieceStart)));
        pieceStart = 0;
      }
    }
    if (!inSpans || depth > 0) throw new TraceFileError(path, 'the spans array is not complete');
  } finally {
    closeSync(fd);
  }
}

/**
 * The JSON text of the one span that starts at `offset` (from `spanEntries`): read in small pieces until its
 * braces balance, so looking up one span of a huge file costs about that span's size.
 */
export function spanTextAt(path: string, offset: number): string {
  const fd = openSync(path, 'r');
  try {
    const pieces: Buffer[] = [];
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let position = offset;
    let depth = 0;
    let inString = false;
    let escaped = false;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) throw new TraceFileError(path, `the span at byte ${offset} is not complete`);
      if (position === offset && chunk[0] !== 123) throw new TraceFileError(path, `no span starts at byte ${offset}`);
      for (let i = 0; i < n; i++) {
        const c = chunk[i]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
        } else if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            pieces.push(Buffer.from(chunk.subarray(0, i + 1)));
            return Buffer.concat(pieces).toString('utf8');
          }
        }
      }
      pieces.push(Buffer.from(chunk.subarray(0, n)));
      position += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** A file's bytes in pieces of 1 MiB. */
export function* fileChunks(path: string): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    for (let position = 0; ; ) {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) return;
      position += n;
      yield chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

