import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FILE_MODE } from '../../src/store/fs-util.js';

/**
 * The export watermark of a session: which spans each collector has acknowledged.
 *
 * `<session folder>/export-state.jsonl`, append-only, one line per acknowledged request:
 *   {"v":1,"endpoint":"http://host:4318/v1/traces","time":1712345678901,"spans":["<spanId>", …]}
 * A line is appended (and fsynced) only after the collector acknowledged the request, so a crash at any
 * instant loses at most the record of a request in flight — never a span. A torn last line (a crash during
 * the append) is ignored, and the next append starts on a fresh line. Span ids are deterministic (derived from
 * the session id and stable keys), so the set stays valid when trace.json is rebuilt from the journal.
 *
 * Watermarks are per endpoint (scheme, host and path; no credentials or query): exporting the same session
 * to a second backend sends everything there too, while the same backend never gets a span twice.
 * Appends happen under the session's `export.lock`; readers need no lock.
 */

export const WATERMARK_FILE = 'export-state.jsonl';
export const EXPORT_LOCK = 'export.lock';

export interface Watermark {
  /** Span ids this endpoint acknowledged. */
  sent: Set<string>;
  /** Whether the file ends mid-line (a torn append) — the next append must start a new line. */
  torn: boolean;
}

interface WatermarkLine {
  v?: number;
  endpoint?: string;
  spans?: unknown;
}

export function watermarkPath(folder: string): string {
  return join(folder, WATERMARK_FILE);
}

/**
 * The file's text, or undefined when there is none yet. Any other failure (no permission, an I/O error) is
 * thrown: taken for "nothing sent", it would send every span again.
 */
function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function readWatermark(folder: string, endpoint: string): Watermark {
  const text = readIfExists(watermarkPath(folder));
  if (text === undefined) return { sent: new Set(), torn: false };
  const sent = new Set<string>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (!line.includes(endpoint)) continue;
    let parsed: WatermarkLine;
    try {
      parsed = JSON.parse(line) as WatermarkLine;
    } catch {
      continue;
    }
    if (parsed.endpoint !== endpoint || !Array.isArray(parsed.spans)) continue;
    for (const id of parsed.spans) if (typeof id === 'string') sent.add(id);
  }
  return { sent, torn: text.length > 0 && !text.endsWith('\n') };
}

/** Endpoints this session was ever exported to (for `--dry-run` output). */
export function watermarkEndpoints(folder: string): string[] {
  const text = readIfExists(watermarkPath(folder));
  if (text === undefined) return [];
  const out = new Set<string>();
  for (const match of text.matchAll(/"endpoint":("(?:[^"\\]|\\.)*")/g)) {
    try {
      out.add(JSON.parse(match[1]!) as string);
    } catch {
      // torn
    }
  }
  return [...out];
}

/**
 * Records acknowledged spans: one append (one `write`), fsynced unless `fsync` is false — a bulk export
 * fsyncs once at its end with `syncWatermark`. A record lost to an OS crash before its fsync only means its
 * spans are sent again (same ids), never that a span is lost. Call under the session's export lock.
 */
export function appendWatermark(folder: string, endpoint: string, spanIds: readonly string[], state?: Watermark, fsync = true): void {
  if (spanIds.length === 0) return;
  const line = JSON.stringify({ v: 1, endpoint, time: Date.now(), spans: spanIds });
  const prefix = state?.torn ? '\n' : '';
  const fd = openSync(watermarkPath(folder), 'a', FILE_MODE);
  try {
    const buffer = Buffer.from(`${prefix}${line}\n`);
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (state) {
    state.torn = false;
    for (const id of spanIds) state.sent.add(id);
  }
}

/** Flushes the watermark to stable storage (after a bulk export's unsynced appends). */
export function syncWatermark(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(watermarkPath(folder), 'r');
    fsyncSync(fd);
  } catch {
    // nothing written, or a filesystem without fsync: the appends are in place either way
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
