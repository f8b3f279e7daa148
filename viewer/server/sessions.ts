import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import type { TraceBuilder } from '../../src/model/trace-builder.js';
import { readJournal } from '../../src/store/journal.js';
import { sessionsDir, TRACE_FILE } from '../../src/store/paths.js';
import type { SessionStore } from '../../src/store/session-store.js';

/** A trace document without its spans. */
export type TraceHeader = Omit<TraceDocument, 'spans'>;

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
    }
    const { events, end } = readJournal(journal, this.offset);
    this.offset = end;
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
    let text: string;
    try {
      text = readFileSync(join(this.store.folder(this.id), TRACE_FILE), 'utf8');
    } catch {
      return false;
    }
    const at = text.indexOf(SPANS_KEY);
    if (at < 0) return false;
    let header: TraceHeader;
    try {
      header = JSON.parse(`${text.slice(0, at)}}`) as TraceHeader;
    } catch {
      return false;
    }
    if (this.store.materializedBytes(this.id) !== journalSize || !this.store.isFresh(this.id, header as TraceDocument)) return false;
    const spans = splitArray(text, at + SPANS_KEY.length - 1);
    if (!spans) return false;
    const next = this.version + 1;
    const records: SpanRecord[] = [];
    const seen = new Set<string>();
    for (const json of spans) {
      const match = SPAN_ID.exec(json.slice(0, 96));
      if (!match) return false;
      const id = JSON.parse(`"${match[1]}"`) as string;
      if (seen.has(id)) continue;
      seen.add(id);
      const record = { id, json, version: next };
      this.byId.set(id, record);
      records.push(record);
    }
    this.headerJson = JSON.stringify(header);
    this.header = header;
    this.offset = journalSize;
    return this.commit(records, seen, true, next);
  }

  /** A session with a trace.json but no journal (written by another tool): re-read when the file changes. */
  private refreshFromFile(): boolean {
    const path = join(this.store.folder(this.id), TRACE_FILE);
    const key = fileKey(path);
    if (key === this.fileKey && this.version > 0) return false;
    this.fileKey = key;
    const doc = this.store.readTraceFile(this.id);
    if (!doc) return false;
    const { spans, ...header } = doc;
    function* parts(): Generator<string> {
      const head = JSON.stringify(header);
      yield `${head.slice(0, -1)}${SPANS_KEY}`;
      for (let i = 0; i < spans.length; i++) yield `${i ? ',' : ''}${JSON.stringify(spans[i])}`;
      yield ']}';
    }
    return this.absorb(parts());
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
}

const MAX_PROMPT_IN_LIST = 600;
const LIVENESS_MS = 30_000;

function listEntry(header: TraceHeader, root: TraceSpan | undefined, lastActivity: number): SessionListEntry {
  const prompt = typeof root?.input === 'string' ? root.input : null;
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
  };
}

/**
 * Reads the header and the root span of a trace.json without parsing its other spans. In JSON text a bare
 * `,"spans":[` or `,{"spanId":` cannot occur inside a string (quotes there are escaped), so the first
 * occurrences are the structure.
 */
function readHeadOfTrace(text: string): { header: TraceHeader; root: TraceSpan | undefined } | undefined {
  const at = text.indexOf(SPANS_KEY);
  if (at < 0) return undefined;
  try {
    const header = JSON.parse(`${text.slice(0, at)}}`) as TraceHeader;
    const start = at + SPANS_KEY.length;
    let end = text.indexOf(',{"spanId":', start);
    if (end < 0) end = text.lastIndexOf(']');
    const root = end > start ? (JSON.parse(text.slice(start, end)) as TraceSpan) : undefined;
    return { header, root };
  } catch {
    return undefined;
  }
}

/**
 * The sessions of a store as the viewer lists them, kept up to date cheaply: folders are re-read only when the
 * set of folders changes, and a session is re-read only when its journal or trace.json changed. Sessions that
 * change while the viewer watches (running ones) are followed incrementally by a `LiveSession`.
 */
export class SessionIndex {
  version = 0;
  private folderNames = '';
  private ids = new Map<string, string>(); // session id -> folder
  private entries = new Map<string, { key: string; entry: SessionListEntry }>();
  private json = '[]';
  private readonly live = new Map<string, LiveSession>();
  private readonly livenessChecked = new Map<string, number>();

  constructor(
    private readonly store: SessionStore,
    private readonly maxLive = 12,
  ) {}

  has(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.scanFolders();
    return this.ids.has(id);
  }

  get listJson(): string {
    return this.json;
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
    live.refresh();
    return live;
  }

  private scanFolders(): void {
    let names: string[];
    try {
      names = readdirSync(sessionsDir(this.store.dir)).sort();
    } catch {
      names = [];
    }
    const joined = names.join('\n');
    if (joined === this.folderNames) return;
    this.folderNames = joined;
    const ids = new Map<string, string>();
    for (const id of this.store.sessionIds()) ids.set(id, basename(this.store.folder(id)));
    this.ids = ids;
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

  /** Re-reads what changed on disk; true when the list changed. */
  scan(): boolean {
    // What hooks spooled since the last look becomes journal lines (which this scan then sees change).
    try {
      this.store.reconcile({ sessions: [] });
    } catch {
      // the next scan tries again
    }
    this.scanFolders();
    let changed = false;
    const first = this.version === 0;
    for (const id of [...this.entries.keys()]) {
      if (!this.ids.has(id)) {
        this.entries.delete(id);
        this.live.delete(id);
        changed = true;
      }
    }
    for (const id of this.ids.keys()) {
      const folder = this.store.folder(id);
      const journalKey = fileKey(join(folder, 'events.jsonl'));
      const key = `${journalKey}|${fileKey(join(folder, TRACE_FILE))}`;
      const cached = this.entries.get(id);
      if (cached && cached.key === key) {
        this.checkLiveness(id, cached.entry.status);
        continue;
      }
      const lastActivity = Number(journalKey.split(':')[1]) || 0;
      let entry: SessionListEntry | undefined;
      try {
        // A session that changed while we watched is running: follow it incrementally.
        if (this.live.has(id) || (cached && !first)) {
          const live = this.session(id);
          if (live.header) entry = listEntry(live.header, live.root(), lastActivity);
        } else entry = this.readEntry(id, lastActivity);
      } catch {
        entry = undefined;
      }
      if (!entry) continue;
      this.entries.set(id, { key, entry });
      changed = true;
    }
    if (changed || first) {
      const list = [...this.entries.values()].map((e) => e.entry);
      list.sort((a, b) => b.startTime - a.startTime || a.sessionId.localeCompare(b.sessionId));
      this.json = JSON.stringify(list);
      this.version++;
    }
    return changed;
  }

  private readEntry(id: string, lastActivity: number): SessionListEntry | undefined {
    let text: string | undefined;
    try {
      text = readFileSync(join(this.store.folder(id), TRACE_FILE), 'utf8');
    } catch {
      text = undefined;
    }
    if (text) {
      const head = readHeadOfTrace(text);
      if (head && this.store.isFresh(id, head.header as TraceDocument)) return listEntry(head.header, head.root, lastActivity);
    }
    const doc = this.store.load(id);
    if (!doc) return undefined;
    const { spans, ...header } = doc;
    return listEntry(header, spans[0], lastActivity);
  }
}

