import { statSync } from 'node:fs';
import type { SpanText, TraceBuilder } from '../model/trace-builder.js';
import { fileStamp } from './fs-util.js';
import { readJournal } from './journal.js';
import type { FollowerStore } from './store-api.js';
import { readTraceHead, SessionTooLargeError, spanTexts, type TraceHead } from './trace-file.js';

export type { SpanText };

/** What changed in a followed session since the last update. */
export interface SessionUpdate {
  /** The session was replaced (its journal shrank): whatever the reader kept of it is void. */
  reset: boolean;
  headerJson: string;
  /** Every span in document order; `json` is undefined for a span unchanged since the last update. */
  spans: readonly SpanText[];
}

export interface FollowerLimit {
  /** The largest trace (or journal growth) the follower takes; a bigger one throws SessionTooLargeError. */
  bytes: number;
  /** How the error says what it is too large for ("for the viewer"). */
  what: string;
}

/** `{"spanId":"…"` at the start of a span's JSON text, as the store writes it. */
const SPAN_ID = /^\{"spanId":"((?:[^"\\]|\\.)*)"/;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/**
 * Follows one session as it changes, for a reader that keeps it in memory (the viewer). The first look at a
 * session whose trace.json is current reads that file span by span (a 10,000-span session: a few milliseconds
 * instead of a few hundred); at its first change the journal is replayed once into a `TraceBuilder`, and from
 * then on only the journal bytes added since the last look are applied, and only the spans the builder changed
 * since the revision last handed out are serialized. A journal that shrank (the session was re-imported or
 * replaced) starts over with `reset`. A session with a trace.json and no journal (written by another tool) is
 * re-read when that file changes.
 */
export class SessionFollower {
  private builder: TraceBuilder | undefined;
  /** The builder revision of the last update handed out. */
  private seen = 0;
  /** Journal bytes the reader's state reflects. */
  private offset = 0;
  /** A trace.json without a journal: its stamp when last read. */
  private traceStamp = '';
  private delivered = false;
  /** Unreadable journal lines met while replaying it. */
  skippedLines = 0;

  constructor(
    private readonly store: FollowerStore,
    readonly sessionId: string,
    private readonly limit: FollowerLimit,
  ) {}

  /** Whether the session is followed through its journal (after its first change), not read from trace.json. */
  get followsJournal(): boolean {
    return this.builder !== undefined;
  }

  /** What changed since the last update; undefined when nothing did (or the session cannot be read yet). */
  update(): SessionUpdate | undefined {
    const id = this.sessionId;
    const journal = this.store.journalPath(id);
    const size = fileSize(journal);
    if (size < 0) return this.fromTraceWithoutJournal();
    let reset = false;
    if (size < this.offset) {
      // The journal was replaced: start over.
      this.builder = undefined;
      this.offset = 0;
      this.delivered = false;
      reset = true;
    }
    if (!this.builder && !this.delivered) {
      const fresh = this.fromCurrentTrace(size);
      if (fresh) return { ...fresh, reset };
    }
    if (size === this.offset && this.delivered) return undefined;
    if (!this.builder) {
      // The first change after a load from trace.json: replay the whole journal once, then go incremental.
      this.builder = this.store.newBuilder(id);
      this.seen = 0;
      this.offset = 0;
      this.skippedLines = 0;
    }
    if (size - this.offset > this.limit.bytes) throw new SessionTooLargeError(id, size, this.limit.what);
    const { events, end, skipped } = readJournal(journal, this.offset);
    this.offset = end;
    this.skippedLines += skipped;
    if (events.length === 0 && this.delivered) return undefined;
    for (const e of events) this.builder.apply(e);
    const changes = this.builder.changesSince(this.seen);
    this.seen = changes.revision;
    this.delivered = true;
    return { reset, headerJson: changes.headerJson, spans: changes.spans };
  }

  /** trace.json when it reflects the whole journal; undefined when it does not (or is not a trace). */
  private fromCurrentTrace(journalSize: number): Omit<SessionUpdate, 'reset'> | undefined {
    const path = this.store.tracePath(this.sessionId);
    const head = this.readHead(path);
    if (!head || !this.store.isFresh(this.sessionId, head.header)) return undefined;
    const skipped = this.store.summary(this.sessionId)?.journal.skippedLines ?? 0;
    const spans = readSpans(path);
    if (!spans) return undefined;
    this.skippedLines = skipped;
    this.offset = this.store.materializedBytes(this.sessionId) ?? journalSize;
    this.delivered = true;
    return { headerJson: JSON.stringify(head.header), spans };
  }

  private fromTraceWithoutJournal(): SessionUpdate | undefined {
    const path = this.store.tracePath(this.sessionId);
    const stamp = fileStamp(path);
    if (stamp === this.traceStamp && this.delivered) return undefined;
    const head = this.readHead(path);
    const spans = head && readSpans(path);
    if (!head || !spans) return undefined;
    this.traceStamp = stamp;
    this.delivered = true;
    return { reset: false, headerJson: JSON.stringify(head.header), spans };
  }

  /** The head of a trace.json; undefined when it is missing or not a trace; throws when it is too large. */
  private readHead(path: string): TraceHead | undefined {
    let head: TraceHead;
    try {
      head = readTraceHead(path);
    } catch {
      return undefined; // missing, or not a trace document: the journal is replayed instead
    }
    if (head.bytes > this.limit.bytes) throw new SessionTooLargeError(this.sessionId, head.bytes, this.limit.what);
    return head;
  }
}

/** The spans of a trace.json with their ids, one JSON text at a time; undefined when it is not well formed. */
function readSpans(path: string): SpanText[] | undefined {
  const spans: SpanText[] = [];
  try {
    for (const json of spanTexts(path)) {
      const match = SPAN_ID.exec(json.slice(0, 96));
      if (!match) return undefined;
      spans.push({ id: JSON.parse(`"${match[1]}"`) as string, json });
    }
  } catch {
    return undefined;
  }
  return spans;
}
