import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import type { TraceBuilder } from '../../src/model/trace-builder.js';
import { readJournal } from '../../src/store/journal.js';
import { JOURNAL_FILE, sessionsDir, TRACE_FILE } from '../../src/store/paths.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { summaryPath, type SessionSummary } from '../../src/store/summary.js';
import { readTraceHead, SessionTooLargeError, spanTexts, type TraceHeader } from '../../src/store/trace-file.js';

export type { TraceHeader };

/**
 * The largest trace the viewer keeps in memory (as one string per span). A bigger session is refused by name
 * (413); every other session is served as usual.
 */
export const MAX_VIEWER_TRACE_BYTES = 384 * 1024 * 1024;

/** One span of a live session: its JSON text as served, and the session version it last changed in. */
interface SpanRecord {
  readonly id: string;
  readonly json: string;
  readonly version: number;
  /** The builder's cached bytes this JSON came from (same object = unchanged span). */
  readonly source?: Buffer;
}

const SPANS_KEY = ',"spans":[';
const SPAN_ID = /^\{"spanId":"((?:[^"\\]|\\.)*)"/;

let epochCounter = Math.floor(Math.random() * 1e9);

function fileKey(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/**
 * One session as the viewer serves it. It keeps a `TraceBuilder` and applies only the journal bytes added
 * since the last look, so a big running session stays cheap; every span carries the version it last changed
 * in, so a client that has version N receives only the spans changed after N. A journal that shrank (the
 * session was re-imported or replaced) starts a new epoch: clients reload it whole.
 */
export class LiveSession {
  readonly id: string;
  epoch = ++epochCounter;
  version = 0;
  headerJson = '{}';
  header: TraceHeader | undefined;
  lastUsed = Date.now();
  private builder: TraceBuilder | undefined;
  private offset = 0;
  private fileKey = '';
  private records: SpanRecord[] = [];
  private byId = new Map<string, SpanRecord>();
  /** Unreadable journal lines met while replaying it. */
  private skipped = 0;

  constructor(
    private readonly store: SessionStore,
    id: string,
  ) {
    this.id = id;
  }

  get spanCount(): number {
    return this.records.length;
  }

  /** Brings the session up to date with the disk; true when anything changed. */
  refresh(): boolean {
    this.lastUsed = Date.now();
    const journal = this.store.journalPath(this.id);
    const size = fileSize(journal);
    if (size < 0) return this.refreshFromFile();
    if (size < this.offset) {
      // the journal was replaced: start over
      this.builder = undefined;
      this.offset = 0;
      this.reset();
    }
    if (!this.builder && this.version === 0 && this.loadFreshTrace(size)) return true;
    if (size === this.offset && this.version > 0) return false;
    if (!this.builder) {
      // first change after a load from trace.json: replay the whole journal once, then go incremental
      this.builder = this.store.newBuilder(this.id);
      this.offset = 0;
      this.skipped = 0;
    }
    if (size - this.offset > MAX_VIEWER_TRACE_BYTES) throw new SessionTooLargeError(this.id, size, 'for the viewer');
    const { events, end, skipped } = readJournal(journal, this.offset);
    this.offset = end;
    this.skipped += skipped;
    if (events.length === 0 && this.version > 0) return false;
    for (const e of events) this.builder.apply(e);
    return this.absorb(this.builder.serializeChunks());
  }

  /**
   * The first look at a session whose trace.json is up to date with its journal reads that file instead of
   * replaying the journal (a 10,000-span session: a few milliseconds instead of a few hundred). The journal is
   * replayed only when the session changes.
   */
  private loadFreshTrace(journalSize: number): boolean {
    const path = join(this.store.folder(this.id), TRACE_FILE);
    let header: TraceHeader;
    try {
      const head = readTraceHead(path);
      if (head.bytes > MAX_VIEWER_TRACE_BYTES) throw new SessionTooLargeError(this.id, head.bytes, 'for the viewer');
      header = head.header;
    } catch (error) {
      if (error instanceof SessionTooLargeError) throw error;
      return false; // missing, or not a trace document: the journal is replayed instead
    }
    if (!this.store.isFresh(this.id, header)) return false;
    const summary = this.store.summary(this.id);
    this.skipped = summary?.journal.skippedLines ?? 0;
    if (!this.readSpans(path)) return false;
    this.headerJson = JSON.stringify(header);
    this.header = header;
    this.offset = this.store.materializedBytes(this.id) ?? journalSize;
    return true;
  }

  /** Takes the spans of a trace.json one at a time (never the file as one string). False when it is not well formed. */
  private readSpans(path: string): boolean {
    const next = this.version + 1;
    const records: SpanRecord[] = [];
    const seen = new Set<string>();
    const byId = new Map<string, SpanRecord>();
    try {
      for (const json of spanTexts(path)) {
        const match = SPAN_ID.exec(json.slice(0, 96));
        if (!match) return false;
        const id = JSON.parse(`"${match[1]}"`) as string;
        if (seen.has(id)) continue;
        seen.add(id);
        const prev = this.byId.get(id);
        const record = prev && prev.json === json ? prev : { id, json, version: next };
        byId.set(id, record);
        records.push(record);
      }
    } catch {
      return false;
    }
    this.byId = byId;
    this.records = records;
    this.version = next;
    return true;
  }

  /** A session with a trace.json but no journal (written by another tool): re-read when the file changes. */
  private refreshFromFile(): boolean {
    const path = join(this.store.folder(this.id), TRACE_FILE);
    const key = fileKey(path);
    if (key === this.fileKey && this.version > 0) return false;
    let header: TraceHeader;
    try {
      const head = readTraceHead(path);
      if (head.bytes > MAX_VIEWER_TRACE_BYTES) throw new SessionTooLargeError(this.id, head.bytes, 'for the viewer');
      header = head.header;
    } catch (error) {
      if (error instanceof SessionTooLargeError) throw error;
      return false;
    }
    if (!this.readSpans(path)) return false;
    this.fileKey = key;
    this.headerJson = JSON.stringify(header);
    this.header = header;
    return true;
  }

  private reset(): void {
    this.epoch = ++epochCounter;
    this.version = 0;
    this.records = [];
    this.byId = new Map();
  }

  /**
   * Takes a serialized document as pieces (the header, then one piece per span, separators alone or leading)
   * and keeps the JSON text of each span. A span whose piece is the very same Buffer as last time (the
   * builder caches the bytes of unchanged spans) is not even decoded. Pieces in any other shape fall back to
   * parsing the whole document.
   */
  private absorb(parts: Iterable<string | Buffer>): boolean {
    const next = this.version + 1;
    let changed = false;
    let first = true;
    const records: SpanRecord[] = [];
    const seen = new Set<string>();
    const all: Array<string | Buffer> = [];
    for (const part of parts) {
      all.push(part);
      if (first) {
        first = false;
        const text = typeof part === 'string' ? part : part.toString('utf8');
        if (!text.endsWith(SPANS_KEY)) return this.absorbSlowly(all, parts, next);
        const headerJson = `${text.slice(0, -SPANS_KEY.length)}}`;
        if (headerJson !== this.headerJson) {
          this.headerJson = headerJson;
          this.header = JSON.parse(headerJson) as TraceHeader;
          changed = true;
        }
        continue;
      }
      if (part.length <= 2) {
        const t = typeof part === 'string' ? part : part.toString('latin1');
        if (t === ',' || t === ']}' || t === ']' || t === '}') continue;
      }
      let piece = part;
      const lead = typeof piece === 'string' ? piece.charCodeAt(0) : piece[0];
      if (lead === 44 /* , */) piece = typeof piece === 'string' ? piece.slice(1) : piece.subarray(1);
      const head = typeof piece === 'string' ? piece.slice(0, 96) : piece.toString('utf8', 0, Math.min(96, piece.length));
      const match = SPAN_ID.exec(head);
      if (!match) return this.absorbSlowly(all, parts, next);
      const id = JSON.parse(`"${match[1]}"`) as string;
      if (seen.has(id)) continue;
      seen.add(id);
      const prev = this.byId.get(id);
      if (prev && typeof piece !== 'string' && prev.source === piece) {
        records.push(prev);
        continue;
      }
      const json = typeof piece === 'string' ? piece : piece.toString('utf8');
      if (prev && prev.json === json) {
        const same = typeof piece === 'string' ? prev : { ...prev, source: piece };
        this.byId.set(id, same);
        records.push(same);
        continue;
      }
      const record: SpanRecord = { id, json, version: next, ...(typeof piece === 'string' ? {} : { source: piece }) };
      this.byId.set(id, record);
      records.push(record);
      changed = true;
    }
    return this.commit(records, seen, changed, next);
  }

  private commit(records: SpanRecord[], seen: Set<string>, changed: boolean, next: number): boolean {
    if (records.length !== this.records.length) changed = true;
    if (this.byId.size !== seen.size) {
      for (const id of [...this.byId.keys()]) if (!seen.has(id)) this.byId.delete(id);
      changed = true;
    }
    this.records = records;
    if (changed) this.version = next;
    return changed;
  }

  /** The general path: parse the whole document and re-serialize each span. */
  private absorbSlowly(head: Array<string | Buffer>, rest: Iterable<string | Buffer>, next: number): boolean {
    const pieces = [...head, ...rest];
    const text = pieces.map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join('');
    const { spans, ...header } = JSON.parse(text) as TraceDocument;
    let changed = false;
    const headerJson = JSON.stringify(header);
    if (headerJson !== this.headerJson) {
      this.headerJson = headerJson;
      this.header = header;
      changed = true;
    }
    const records: SpanRecord[] = [];
    const seen = new Set<string>();
    for (const span of spans) {
      const id = String(span.spanId);
      if (seen.has(id)) continue;
      seen.add(id);
      const json = JSON.stringify(span);
      const prev = this.byId.get(id);
      if (prev && prev.json === json) {
        records.push(prev);
        continue;
      }
      const record: SpanRecord = { id, json, version: next };
      this.byId.set(id, record);
      records.push(record);
      changed = true;
    }
    return this.commit(records, seen, changed, next);
  }

  /** The JSON text of one span. */
  spanJson(id: string): string | undefined {
    return this.byId.get(id)?.json;
  }

  /** The first prompt (the root span's input). */
  firstPrompt(): string | null {
    const input = this.root()?.input;
    return typeof input === 'string' ? input : null;
  }

  /** What is wrong with the session's files, in words (shown in the viewer's header). */
  get problems(): string[] {
    return this.skipped ? [`${this.skipped} unreadable journal line${this.skipped === 1 ? '' : 's'} skipped`] : [];
  }

  /** The root span (its input is the first prompt). */
  root(): TraceSpan | undefined {
    const first = this.records[0];
    return first ? (JSON.parse(first.json) as TraceSpan) : undefined;
  }

  /** The whole document as JSON text, in pieces of about 64 KB (a consistent snapshot). */
  *documentParts(): Generator<string> {
    const records = this.records;
    let chunk = `${this.headerJson.slice(0, -1)}${SPANS_KEY}`;
    for (let i = 0; i < records.length; i++) {
      chunk += i ? `,${records[i]!.json}` : records[i]!.json;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}]}`;
  }

  /** A page of spans in document order. */
  page(offset: number, limit: number): string {
    const slice = this.records.slice(offset, offset + limit);
    return `{"epoch":${this.epoch},"version":${this.version},"total":${this.records.length},"offset":${offset},"spans":[${slice.map((r) => r.json).join(',')}]}`;
  }

  /** What a client at `since` lacks: the header and every span changed after `since`. */
  delta(since: number): string {
    const changed: string[] = [];
    for (const r of this.records) if (r.version > since) changed.push(r.json);
    return `{"epoch":${this.epoch},"version":${this.version},"total":${this.records.length},"header":${this.headerJson},"spans":[${changed.join(',')}]}`;
  }
}

/**
 * The elements of the JSON array that starts at `open` (a '['), as text, by scanning strings and nesting:
 * exact whatever the elements hold. Undefined when the text is not a well-formed array there.
 */
export function splitArray(text: string, open: number): string[] | undefined {
  if (text.charCodeAt(open) !== 91 /* [ */) return undefined;
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let i = open + 1;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // skip the string
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return undefined;
        let backslashes = 0;
        for (let k = q - 1; text.charCodeAt(k) === 92; k--) backslashes++;
        i = q + 1;
        if (backslashes % 2 === 0) break;
      }
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (depth === 0) return c === 93 ? out : undefined;
      depth--;
      if (depth === 0) out.push(text.slice(start, i + 1));
    }
    i++;
  }
  return undefined;
}

/** A row of the session list. */
export interface SessionListEntry {
  sessionId: string;
  title: string | null;
  agent: TraceHeader['agent'];
  status: TraceHeader['status'];
  startTime: number;
  endTime: number | null;
  lastActivity: number;
  cwd: string | null;
  gitBranch: string | null;
  models: string[];
  firstPrompt: string | null;
  summary: Omit<TraceHeader['summary'], 'filesTouched'> & { filesTouched: number };
  /** What is wrong with the session's files (unreadable journal lines, a future date), in words. */
  problems?: string[];
}

const MAX_PROMPT_IN_LIST = 600;
const LIVENESS_MS = 30_000;
/** How often finished sessions are checked for changes (running ones and new folders: every scan). */
const FULL_SWEEP_MS = 2_000;

function listEntry(header: TraceHeader, prompt: string | null, lastActivity: number, problems: string[]): SessionListEntry {
  const { filesTouched, ...summary } = header.summary;
  return {
    sessionId: header.sessionId,
    title: header.title ?? null,
    agent: header.agent,
    status: header.status,
    startTime: header.startTime,
    endTime: header.endTime ?? null,
    lastActivity,
    cwd: header.cwd ?? null,
    gitBranch: header.gitBranch ?? null,
    models: header.models ?? [],
    firstPrompt: prompt && prompt.length > MAX_PROMPT_IN_LIST ? `${prompt.slice(0, MAX_PROMPT_IN_LIST)}…` : prompt,
    summary: { ...summary, filesTouched: filesTouched?.length ?? 0 },
    ...(problems.length ? { problems } : {}),
  };
}

/** What a reader should know about a session's files, in words. */
function problemsOf(summary: SessionSummary): string[] {
  const out: string[] = [];
  const skipped = summary.journal?.skippedLines ?? 0;
  if (skipped) out.push(`${skipped} unreadable journal line${skipped === 1 ? '' : 's'} skipped`);
  if (summary.futureDated) out.push('an event is dated in the future; its time is not trusted');
  return out;
}

/** A session's list row, and its JSON text (kept so a list of thousands is joined, not re-encoded). */
interface IndexedEntry {
  key: string;
  entry: SessionListEntry;
  json: string;
}

/**
 * The sessions of a store as the viewer lists them, kept up to date cheaply: each session folder is resolved
 * to its id once (a folder not readable yet — created before its first event — is tried again on every scan),
 * and a session's row is re-read only when its journal or summary.json changed, from the summary (never its
 * spans). Sessions that change while the viewer watches (running ones) are followed incrementally by a
 * `LiveSession`.
 */
export class SessionIndex {
  version = 0;
  private folders = new Map<string, string>(); // folder name -> session id
  private ids = new Map<string, string>(); // session id -> folder name
  private entries = new Map<string, IndexedEntry>();
  private sorted: IndexedEntry[] = [];
  private json: string | undefined = '[]';
  private readonly live = new Map<string, LiveSession>();
  private readonly livenessChecked = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly maxLive = 12,
  ) {}

  has(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.scanFolders();
    return this.ids.has(id);
  }

  /** Every row, newest first, as one JSON array (built on demand from the rows' cached JSON). */
  get listJson(): string {
    this.json ??= `[${this.sorted.map((e) => e.json).join(',')}]`;
    return this.json;
  }

  get total(): number {
    return this.sorted.length;
  }

  /** A page of rows, newest first: `{version, total, offset, sessions}`. */
  page(offset: number, limit: number): string {
    const rows = this.sorted.slice(offset, offset + limit).map((e) => e.json);
    return `{"version":${this.version},"total":${this.sorted.length},"offset":${offset},"sessions":[${rows.join(',')}]}`;
  }

  /** The live view of a session (created on first use; the least recently used ones are dropped). */
  session(id: string, pinned: ReadonlySet<string> = new Set()): LiveSession {
    let live = this.live.get(id);
    if (!live) {
      live = new LiveSession(this.store, id);
      this.live.set(id, live);
      if (this.live.size > this.maxLive) {
        const idle = [...this.live.values()].filter((s) => s !== live && !pinned.has(s.id)).sort((a, b) => a.lastUsed - b.lastUsed);
        for (const s of idle.slice(0, this.live.size - this.maxLive)) this.live.delete(s.id);
      }
    }
    try {
      live.refresh();
    } catch (error) {
      // Not kept: the next request tries again (the folder may have been caught half-written).
      this.live.delete(id);
      throw error;
    }
    return live;
  }

  /**
   * Resolves new folders to session ids and forgets removed ones. Known folders cost nothing; a folder whose
   * id cannot be read yet is not remembered, so the next scan tries it again.
   */
  private scanFolders(): void {
    let names: string[];
    try {
      names = readdirSync(sessionsDir(this.store.dir));
    } catch {
      names = [];
    }
    const present = new Set(names);
    for (const [name, id] of this.folders) {
      if (present.has(name)) continue;
      this.folders.delete(name);
      if (this.ids.get(id) === name) this.ids.delete(id);
    }
    for (const name of names) {
      if (this.folders.has(name)) continue;
      let id: string | undefined;
      try {
        id = this.store.sessionIdOfFolder(join(sessionsDir(this.store.dir), name));
      } catch {
        id = undefined;
      }
      if (id === undefined || basename(this.store.folder(id)) !== name) continue;
      this.folders.set(name, id);
      this.ids.set(id, name);
    }
  }

  /**
   * A running session whose agent went away never says so itself: the store's reconcile step notices (the
   * agent process is gone, or the session sat idle too long), catches up its transcript and records the
   * interruption in the journal, which the next look picks up like any other change. Checked at most every
   * `LIVENESS_MS` per session.
   */
  checkLiveness(id: string, status: string | undefined): void {
    if (status !== 'running') return;
    const now = Date.now();
    if (now - (this.livenessChecked.get(id) ?? 0) < LIVENESS_MS) return;
    this.livenessChecked.set(id, now);
    // a session that wrote a moment ago is alive
    if (now - this.store.lastActivity(id) < LIVENESS_MS) return;
    try {
      this.store.reconcile({ sessions: [id] });
    } catch {
      // unreadable right now; the next check tries again
    }
  }

  /**
   * Re-reads what changed on disk; true when the list changed. New and removed folders are seen on every
   * scan, and running sessions are checked every time; finished ones (which rarely change: a re-import) are
   * checked at most every `FULL_SWEEP_MS`, so a scan of thousands of sessions stays a few milliseconds and a
   * new session never waits behind them.
   */
  scan(): boolean {
    return this.store.batch(() => this.scanOnce());
  }

  private scanOnce(): boolean {
    // What hooks spooled since the last look becomes journal lines (which this scan then sees change).
    try {
      this.store.reconcile({ sessions: [] });
    } catch {
      // the next scan tries again
    }
    this.scanFolders();
    let changed = false;
    const first = this.version === 0;
    const now = Date.now();
    const sweep = first || now - this.lastSweep >= FULL_SWEEP_MS;
    if (sweep) this.lastSweep = now;
    for (const id of [...this.entries.keys()]) {
      if (!this.ids.has(id)) {
        this.entries.delete(id);
        this.live.delete(id);
        changed = true;
      }
    }
    for (const [id, name] of this.ids) {
      const cached = this.entries.get(id);
      if (!sweep && cached && cached.entry.status !== 'running') continue;
      const folder = join(sessionsDir(this.store.dir), name);
      const journalKey = fileKey(join(folder, JOURNAL_FILE));
      const key = `${journalKey}|${fileKey(summaryPath(folder))}`;
      if (cached && cached.key === key) {
        this.checkLiveness(id, cached.entry.status);
        continue;
      }
      const lastActivity = Number(journalKey.split(':')[1]) || 0;
      let entry: SessionListEntry | undefined;
      try {
        // A session that changed while we watched is running: follow it incrementally.
        if (this.live.has(id) || (cached && !first && cached.entry.status === 'running')) {
          const live = this.session(id);
          if (live.header) entry = listEntry(live.header, live.firstPrompt(), lastActivity || live.header.startTime, live.problems);
        } else {
          const summary = this.store.summary(id);
          if (summary) entry = listEntry(summary.header, summary.firstPrompt, lastActivity || summary.lastActivity, problemsOf(summary));
        }
      } catch {
        entry = undefined;
      }
      if (!entry) continue;
      this.entries.set(id, { key, entry, json: JSON.stringify(entry) });
      changed = true;
    }
    if (changed || first) {
      this.sorted = [...this.entries.values()].sort((a, b) => b.entry.startTime - a.entry.startTime || a.entry.sessionId.localeCompare(b.entry.sessionId));
      this.json = undefined;
      this.version++;
    }
    return changed;
  }
}
