import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceSpan } from '../model/trace.js';
import type { TraceBuilder } from '../model/trace-builder.js';
import { writeFileAtomicSync } from './atomic-write.js';
import type { TraceHeader } from './trace-file.js';

/**
 * The per-session summary, `summary.json` beside trace.json: the trace's header (everything but the spans),
 * the first prompt and the journal length both were built from. Store-wide reads (list, show by prefix,
 * prune, export planning, the viewer's list) read this small file instead of the trace, so their cost grows
 * with the number of sessions, not with the bytes stored.
 *
 * It is derived data, written right after trace.json by every writer of trace.json, and never a second
 * source of truth: a reader that finds it missing or stale rebuilds it from the journal.
 */
export const SUMMARY_FILE = 'summary.json';
export const SUMMARY_VERSION = 1;
const MAX_PROMPT = 600;
/** An activity time more than this far ahead of the moment it was written is not believed. */
const FUTURE_SLACK_MS = 24 * 3600_000;

export interface SessionSummary {
  v: typeof SUMMARY_VERSION;
  sessionId: string;
  /** The journal length (in complete lines) this summary and trace.json reflect. */
  journalBytes: number;
  header: TraceHeader;
  /** The root span's input (the first prompt), cut to 600 characters. */
  firstPrompt: string | null;
  /** When the session was last active: its end, else start + duration; a future date is clamped (see `futureDated`). */
  lastActivity: number;
  /** An event was dated more than a day ahead of when it was written: `lastActivity` is the write time instead. */
  futureDated?: true;
  journal: { skippedLines: number };
  traceBytes?: number;
  /** How many spans trace.json holds (absent when only the head of a foreign trace.json was read). */
  spans?: number;
}

/** What is wrong with a session's files, in words: unreadable journal lines; an event dated in the future. */
export function summaryProblems(summary: Pick<SessionSummary, 'journal' | 'futureDated'>): string[] {
  const out = skippedLinesProblem(summary.journal?.skippedLines ?? 0);
  if (summary.futureDated) out.push('an event is dated in the future; its time is not trusted');
  return out;
}

export function skippedLinesProblem(skipped: number): string[] {
  return skipped ? [`${skipped} unreadable journal line${skipped === 1 ? '' : 's'} skipped`] : [];
}

export function summaryPath(folder: string): string {
  return join(folder, SUMMARY_FILE);
}

export function readSummaryFile(folder: string): SessionSummary | undefined {
  let text: string;
  try {
    text = readFileSync(summaryPath(folder), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as SessionSummary;
    if (s?.v !== SUMMARY_VERSION || typeof s.journalBytes !== 'number' || typeof s.sessionId !== 'string' || typeof s.header !== 'object') return undefined;
    return s;
  } catch {
    return undefined;
  }
}

export function writeSummaryFile(folder: string, summary: SessionSummary): void {
  writeFileAtomicSync(summaryPath(folder), JSON.stringify(summary), { durable: false });
}

export function makeSummary(
  header: TraceHeader,
  root: TraceSpan | undefined,
  journalBytes: number,
  extra: { skippedLines?: number; traceBytes?: number; spans?: number; now?: number } = {},
): SessionSummary {
  const prompt = typeof root?.input === 'string' ? root.input : null;
  const now = extra.now ?? Date.now();
  let lastActivity = header.endTime ?? header.startTime + Math.max(0, header.summary?.durationMs ?? 0);
  let futureDated = false;
  if (lastActivity > now + FUTURE_SLACK_MS) {
    lastActivity = now;
    futureDated = true;
  }
  return {
    v: SUMMARY_VERSION,
    sessionId: header.sessionId,
    journalBytes,
    header,
    firstPrompt: prompt && prompt.length > MAX_PROMPT ? `${prompt.slice(0, MAX_PROMPT)}…` : prompt,
    lastActivity,
    ...(futureDated ? { futureDated: true as const } : {}),
    journal: { skippedLines: extra.skippedLines ?? 0 },
    ...(extra.traceBytes !== undefined ? { traceBytes: extra.traceBytes } : {}),
    ...(extra.spans !== undefined ? { spans: extra.spans } : {}),
  };
}

const SPANS_KEY = ',"spans":[';

/**
 * Passes a serialized document's pieces through unchanged while keeping its head: the first piece is the
 * header up to `,"spans":[`, the second the root span (TraceBuilder.serializeChunks' layout). A writer streams
 * the trace to disk through this and then writes the summary from what it kept, without a second pass.
 */
export class HeadTap {
  header: TraceHeader | undefined;
  root: TraceSpan | undefined;
  bytes = 0;
  /** Pieces seen: the header, one per span, the closing bracket. */
  pieces = 0;

  /** The spans written (when the whole document went through). */
  get spans(): number {
    return Math.max(0, this.pieces - 2);
  }

  *tap(chunks: Iterable<Buffer>): Generator<Buffer> {
    let index = 0;
    for (const chunk of chunks) {
      if (index === 0) {
        const text = chunk.toString('utf8');
        if (text.endsWith(SPANS_KEY)) this.header = JSON.parse(`${text.slice(0, -SPANS_KEY.length)}}`) as TraceHeader;
      } else if (index === 1 && this.header && chunk.length > 2) {
        const text = chunk.toString('utf8');
        try {
          this.root = JSON.parse(text.startsWith(',') ? text.slice(1) : text) as TraceSpan;
        } catch {
          this.root = undefined;
        }
      }
      index++;
      this.pieces = index;
      this.bytes += chunk.length;
      yield chunk;
    }
  }
}

/** The head of a builder's document as a summary, without serializing its other spans. */
export function summaryOfBuilder(builder: TraceBuilder, journalBytes: number, skippedLines: number): SessionSummary | undefined {
  const tap = new HeadTap();
  let n = 0;
  for (const _ of tap.tap(builder.serializeChunks())) if (++n >= 2) break;
  return tap.header ? makeSummary(tap.header, tap.root, journalBytes, { skippedLines }) : undefined;
}

