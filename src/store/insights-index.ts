import { closeSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { headerFacts, sessionFacts, type SessionFacts } from '../model/session-facts.js';
import { makeSnippet, queryTerms, spanTexts, type SearchField, type SearchText } from '../model/search-text.js';
import type { PriceTable } from '../model/pricing.js';
import type { TraceDocument, TraceSpan } from '../model/trace.js';
import { addSession, emptyRow, finishRow, inRange, projectOf, type UsageRow } from '../model/usage-stats.js';
import { ensureDir, FILE_MODE } from './fs-util.js';
import { JOURNAL_FILE, sessionsDir, TRACE_FILE } from './paths.js';
import type { SessionStore } from './session-store.js';
import { sqlite } from './sqlite.js';
import { SessionTooLargeError, spanTexts as traceSpanTexts, TraceFileError } from './trace-file.js';

/** Bumped whenever the tables or the facts change shape: an index of another version is rebuilt. */
const SCHEMA_VERSION = '1';
export const INDEX_FILE = 'insights.sqlite';

/** Structured filters shared by search, the Insights page and the filtered session list. */
export interface SessionFilters {
  project?: string;
  branch?: string;
  agent?: string;
  model?: string;
  status?: string;
  /** Only sessions with a failed tool call or an error/crash status. */
  errors?: boolean;
  tool?: string;
  /** Inclusive lower bound on the session's start, epoch ms. */
  since?: number;
  /** Exclusive upper bound on the session's start, epoch ms. */
  until?: number;
}

export interface SearchQuery extends SessionFilters {
  /** Words to find (each as a prefix, all of them in one text); empty lists the filtered sessions. */
  q?: string;
  limit?: number;
}

export interface SearchHit {
  sessionId: string;
  spanId: string;
  field: SearchField;
  time: number;
  /** The matching part of the text; matches are between \u0001 and \u0002. */
  snippet: string;
}

export interface SearchResult {
  q: string;
  /** Matching sessions (with their hit counts when there is a query), newest first. */
  sessions: Array<{ facts: SessionFacts; hits: number }>;
  /** The best hits, best first (at most `limit`). */
  hits: SearchHit[];
  /** All hits, beyond the ones listed. */
  totalHits: number;
  /** Usage of the matching sessions, each counted once. */
  totals: UsageRow;
}

export class SearchSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchSyntaxError';
  }
}

function fileKey(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** SQLITE_CORRUPT or SQLITE_NOTADB: the index file is damaged. */
function isCorrupt(error: unknown): boolean {
  const code = (error as { errcode?: number }).errcode;
  return code !== undefined && [11, 26].includes(code & 0xff);
}

/** Whether a session passes the structured filters. */
export function matchesFilters(f: SessionFacts, filters: SessionFilters): boolean {
  if (!inRange(f, filters.since, filters.until)) return false;
  if (filters.project && projectOf(f) !== filters.project) return false;
  if (filters.branch && (f.gitBranch ?? '(no branch)') !== filters.branch) return false;
  if (filters.agent && f.agent !== filters.agent) return false;
  if (filters.status && f.status !== filters.status) return false;
  if (filters.model && !(filters.model in f.byModel) && !f.models.includes(filters.model)) return false;
  if (filters.tool && !(filters.tool in f.byTool)) return false;
  if (filters.errors && !(f.summary.toolErrors > 0 || f.status === 'error' || f.status === 'crashed')) return false;
  return true;
}

/**
 * A query for FTS5 from what a person types: every word must appear (as a word or a word's start), words in
 * quotes must appear together. Everything is quoted, so no input is FTS5 syntax.
 */
export function ftsQuery(q: string): string {
  const parts: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(q); m; m = re.exec(q)) {
    const phrase = (m[1] ?? m[2] ?? '').replace(/"/g, '""').trim();
    if (!phrase) continue;
    parts.push(m[1] !== undefined ? `"${phrase}"` : `"${phrase}"*`);
  }
  return parts.join(' ');
}

/**
 * A fingerprint of a span's texts, to tell which spans changed since they were indexed: two 32-bit FNV-1a
 * hashes with different seeds (a change detector, not a security boundary; cheaper than a digest per span).
 */
export function hashOf(texts: SearchText[]): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    a = Math.imul(a ^ 0xff, 0x01000193);
    b = Math.imul(b ^ 0xff, 0x5bd1e995);
  };
  for (const t of texts) {
    mix(t.field);
    mix(String(t.time));
    mix(t.text);
  }
  return `${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}.${texts.length}`;
}

/**
 * The derived index behind `stats`, search and the Insights page: per session its facts (summary, per-model
 * and per-tool numbers), and the text of its prompts, answers, tool inputs and outputs, paths and errors in a
 * SQLite FTS5 table. It lives in `<dir>/insights.sqlite`, follows the store (a session is re-read only when
 * its journal or trace.json changed, and only its changed spans are re-indexed), and is never a source of
 * truth: deleted, corrupt or of another version, it is rebuilt from the sessions.
 */
export class InsightsIndex {
  readonly path: string;
  private db: DatabaseSync;
  private readonly prices: PriceTable | undefined;
  private cache = new Map<string, { key: string; folder: string; facts: SessionFacts }>();
  /** Span fingerprints of the sessions indexed most recently (live sessions are re-indexed often). */
  private readonly spanHashes = new Map<string, Map<string, string>>();
  private loaded = false;
  private stmts!: {
    upsertSession: StatementSync;
    deleteSession: StatementSync;
    spanHashes: StatementSync;
    upsertSpan: StatementSync;
    deleteSpan: StatementSync;
    deleteSpansOf: StatementSync;
    insertText: StatementSync;
    deleteTextsOfSpan: StatementSync;
    deleteTextsOf: StatementSync;
  };

  constructor(
    private readonly store: SessionStore,
    options: { path?: string; prices?: PriceTable } = {},
  ) {
    this.path = options.path ?? join(store.dir, INDEX_FILE);
    this.prices = options.prices;
    this.db = this.open();
  }

  private open(): DatabaseSync {
    try {
      ensureDir(this.store.dir);
      // the index holds prompts and tool output: 0600 like the traces (SQLite gives its -wal and -shm files
      // the database file's permissions)
      closeSync(openSync(this.path, 'a', FILE_MODE));
    } catch {
      // opened in memory below
    }
    const { DatabaseSync } = sqlite();
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(this.path, { timeout: 5_000 });
      const version = this.versionOf(db);
      if (version !== SCHEMA_VERSION) {
        if (version !== undefined) throw new Error('index of another version');
        this.createSchema(db);
      }
    } catch {
      // lost, corrupt or outdated: it is only derived data, so start over
      try {
        db?.close();
      } catch {
        // already closed
      }
      try {
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${this.path}${suffix}`, { force: true });
        closeSync(openSync(this.path, 'a', FILE_MODE));
        db = new DatabaseSync(this.path, { timeout: 5_000 });
        this.createSchema(db);
      } catch {
        // a read-only data directory: index in memory for this command
        db = new DatabaseSync(':memory:');
        this.createSchema(db);
      }
    }
    this.prepare(db);
    return db;
  }

  private versionOf(db: DatabaseSync): string | undefined {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (!table) return undefined;
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value?: string } | undefined;
    return row?.value ?? '?';
  }

  private createSchema(db: DatabaseSync): void {
    db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, folder TEXT NOT NULL, key TEXT NOT NULL, facts TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS spans (session_id TEXT NOT NULL, span_id TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (session_id, span_id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS texts (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, span_id TEXT NOT NULL, field TEXT NOT NULL, time INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS texts_by_span ON texts (session_id, span_id);
      CREATE VIRTUAL TABLE IF NOT EXISTS texts_fts USING fts5(body, content = 'texts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
      CREATE TRIGGER IF NOT EXISTS texts_ai AFTER INSERT ON texts BEGIN
        INSERT INTO texts_fts (rowid, body) VALUES (new.id, new.body);
      END;
      CREATE TRIGGER IF NOT EXISTS texts_ad AFTER DELETE ON texts BEGIN
        INSERT INTO texts_fts (texts_fts, rowid, body) VALUES ('delete', old.id, old.body);
      END;
      INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '${SCHEMA_VERSION}');
    `);
  }

  private prepare(db: DatabaseSync): void {
    this.stmts = {
      upsertSession: db.prepare('INSERT OR REPLACE INTO sessions (id, folder, key, facts) VALUES (?, ?, ?, ?)'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
      spanHashes: db.prepare('SELECT span_id, hash FROM spans WHERE session_id = ?'),
      upsertSpan: db.prepare('INSERT OR REPLACE INTO spans (session_id, span_id, hash) VALUES (?, ?, ?)'),
      deleteSpan: db.prepare('DELETE FROM spans WHERE session_id = ? AND span_id = ?'),
      deleteSpansOf: db.prepare('DELETE FROM spans WHERE session_id = ?'),
      insertText: db.prepare('INSERT INTO texts (session_id, span_id, field, time, body) VALUES (?, ?, ?, ?, ?)'),
      deleteTextsOfSpan: db.prepare('DELETE FROM texts WHERE session_id = ? AND span_id = ?'),
      deleteTextsOf: db.prepare('DELETE FROM texts WHERE session_id = ?'),
    };
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // closed
    }
  }

  private loadCache(): void {
    if (this.loaded) return;
    this.cache.clear();
    for (const row of this.db.prepare('SELECT id, folder, key, facts FROM sessions').all() as Array<{ id: string; folder: string; key: string; facts: string }>) {
      try {
        this.cache.set(row.id, { key: row.key, folder: row.folder, facts: JSON.parse(row.facts) as SessionFacts });
      } catch {
        // re-read on this refresh
      }
    }
    this.loaded = true;
  }

  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Brings the index up to date with the store: reads only sessions whose journal or trace.json changed
   * (two stat calls per session otherwise), drops sessions that are gone. One unreadable session is skipped
   * and tried again next time; it never stops the others.
   */
  refresh(): { indexed: string[]; removed: string[]; failed: string[] } {
    try {
      return this.refreshOnce();
    } catch (error) {
      if (!isCorrupt(error)) throw error;
      // the file went bad under us: it is derived data, start over
      this.reset();
      return this.refreshOnce();
    }
  }

  private reset(): void {
    this.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${this.path}${suffix}`, { force: true });
    this.cache.clear();
    this.spanHashes.clear();
    this.loaded = false;
    this.dataVersion = -1;
    this.db = this.open();
  }

  private refreshOnce(): { indexed: string[]; removed: string[]; failed: string[] } {
    this.loadCache();
    // another process may have indexed sessions since we looked: cheap to re-read the keys
    this.reloadChangedRows();
    let folders: string[];
    try {
      folders = readdirSync(sessionsDir(this.store.dir));
    } catch {
      folders = [];
    }
    const byFolder = new Map<string, string>();
    for (const [id, entry] of this.cache) byFolder.set(entry.folder, id);
    const present = new Set(folders);
    const removed: string[] = [];
    for (const [id, entry] of this.cache) {
      if (!present.has(entry.folder)) removed.push(id);
    }
    for (const folder of folders) {
      if (byFolder.has(folder)) continue;
      let id: string | undefined;
      try {
        id = this.store.sessionIdOfFolder(join(sessionsDir(this.store.dir), folder));
      } catch {
        id = undefined;
      }
      if (id !== undefined) byFolder.set(folder, id);
    }
    const indexed: string[] = [];
    const failed: string[] = [];
    for (const folder of folders) {
      const id = byFolder.get(folder);
      if (id === undefined) continue;
      const dir = join(sessionsDir(this.store.dir), folder);
      const key = `${fileKey(join(dir, JOURNAL_FILE))}|${fileKey(join(dir, TRACE_FILE))}`;
      if (this.cache.get(id)?.key === key) continue;
      let doc: TraceDocument | undefined;
      try {
        doc = this.store.load(id);
      } catch (error) {
        doc = undefined;
        if (error instanceof SessionTooLargeError && this.indexStreamed(id, folder, dir)) {
          indexed.push(id);
          continue;
        }
      }
      if (!doc) {
        // too large to hold whole, or unreadable: its summary still counts in the totals when it can be read
        const header = safe(() => this.store.summary(id)?.header);
        if (header) this.indexFacts(headerFacts(header), `${fileKey(join(dir, JOURNAL_FILE))}|${fileKey(join(dir, TRACE_FILE))}`, folder);
        else failed.push(id);
        continue;
      }
      // load() may have rewritten trace.json: key the entry by what is on disk now
      const after = `${fileKey(join(dir, JOURNAL_FILE))}|${fileKey(join(dir, TRACE_FILE))}`;
      this.indexDocument(doc, after, folder);
      indexed.push(id);
    }
    if (removed.length) this.transaction(() => removed.forEach((id) => this.removeSession(id)));
    return { indexed, removed, failed };
  }

  private dataVersion = -1;
  /** Rows changed by another process (SQLite's data_version moves when someone else commits). */
  private reloadChangedRows(): void {
    const v = (this.db.prepare('PRAGMA data_version').get() as { data_version: number }).data_version;
    if (this.dataVersion !== -1 && v !== this.dataVersion) {
      this.loaded = false;
      this.spanHashes.clear();
    }
    this.dataVersion = v;
    this.loadCache();
  }

  private removeSession(id: string): void {
    this.spanHashes.delete(id);
    this.stmts.deleteTextsOf.run(id);
    this.stmts.deleteSpansOf.run(id);
    this.stmts.deleteSession.run(id);
    this.cache.delete(id);
  }

  /**
   * Indexes one session's current trace: its facts, and the texts of the spans that changed since it was
   * last indexed (a running session re-indexes only its new and changed spans).
   */
  indexDocument(doc: TraceDocument, key = '', folder = basename(this.store.folder(doc.sessionId))): void {
    this.indexSpans(doc.sessionId, doc.spans, sessionFacts(doc, this.prices), key, folder);
  }

  /**
   * A session too large to load whole: its texts from trace.json read span by span, its facts from its header
   * (totals, not per-span breakdowns). False when its trace cannot be read that way either.
   */
  private indexStreamed(id: string, folder: string, dir: string): boolean {
    const header = safe(() => this.store.summary(id)?.header);
    if (!header) return false;
    const path = this.store.tracePath(id);
    const spans = (function* () {
      for (const text of traceSpanTexts(path)) yield JSON.parse(text) as TraceSpan;
    })();
    try {
      this.indexSpans(id, spans, headerFacts(header), `${fileKey(join(dir, JOURNAL_FILE))}|${fileKey(join(dir, TRACE_FILE))}`, folder);
      return true;
    } catch (error) {
      if (error instanceof TraceFileError || error instanceof SyntaxError) return false;
      throw error;
    }
  }

  private indexSpans(id: string, spans: Iterable<TraceSpan>, facts: SessionFacts, key: string, folder: string): void {
    let known = this.spanHashes.get(id);
    this.spanHashes.delete(id);
    try {
      this.transaction(() => {
        if (!known) {
          known = new Map();
          for (const row of this.stmts.spanHashes.all(id) as Array<{ span_id: string; hash: string }>) known.set(row.span_id, row.hash);
        }
        const next = new Map<string, string>();
        for (const span of spans) {
          const texts = spanTexts(span);
          const hash = texts.length ? hashOf(texts) : '';
          next.set(span.spanId, hash);
          const before = known.get(span.spanId);
          if (before === hash) continue;
          this.writeSpan(id, span, texts, hash, before !== undefined);
        }
        for (const gone of known.keys()) {
          if (next.has(gone)) continue;
          this.stmts.deleteTextsOfSpan.run(id, gone);
          this.stmts.deleteSpan.run(id, gone);
        }
        this.stmts.upsertSession.run(id, folder, key, JSON.stringify(facts));
        known = next;
      });
    } catch (error) {
      known = undefined;
      throw error;
    }
    this.cache.set(id, { key, folder, facts });
    if (known && known.size >= 200) {
      // keep the fingerprints of big sessions, the ones that change while watched
      this.spanHashes.set(id, known);
      if (this.spanHashes.size > 16) this.spanHashes.delete(this.spanHashes.keys().next().value!);
    }
  }

  private indexFacts(facts: SessionFacts, key: string, folder: string): void {
    this.transaction(() => this.stmts.upsertSession.run(facts.sessionId, folder, key, JSON.stringify(facts)));
    this.cache.set(facts.sessionId, { key, folder, facts });
  }

  /**
   * Re-indexes a batch of spans of a session (what a live session adds between two looks), without its other
   * spans. The session's facts are updated by the next `indexDocument`/`refresh`.
   */
  updateSpans(sessionId: string, spans: readonly TraceSpan[]): void {
    this.spanHashes.delete(sessionId);
    this.transaction(() => {
      for (const span of spans) {
        const texts = spanTexts(span);
        this.writeSpan(sessionId, span, texts, texts.length ? hashOf(texts) : '', true);
      }
    });
  }

  private writeSpan(sessionId: string, span: TraceSpan, texts: SearchText[], hash: string, replace: boolean): void {
    if (replace) this.stmts.deleteTextsOfSpan.run(sessionId, span.spanId);
    for (const t of texts) this.stmts.insertText.run(sessionId, t.spanId, t.field, t.time, t.text);
    this.stmts.upsertSpan.run(sessionId, span.spanId, hash);
  }

  /** Every indexed session's facts (call `refresh` first to include the latest changes). */
  facts(): SessionFacts[] {
    this.loadCache();
    return [...this.cache.values()].map((e) => e.facts);
  }

  /** Full-text search over every session, within the structured filters, with totals of what matched. */
  search(query: SearchQuery): SearchResult {
    this.loadCache();
    const q = (query.q ?? '').trim();
    const limit = Math.max(1, Math.min(1_000, query.limit ?? 100));
    const candidates = this.facts().filter((f) => matchesFilters(f, query));
    const totals = emptyRow('total');
    if (!q) {
      candidates.sort((a, b) => b.startTime - a.startTime);
      for (const f of candidates) addSession(totals, f);
      return { q, sessions: candidates.map((facts) => ({ facts, hits: 0 })), hits: [], totalHits: 0, totals: finishRow(totals) };
    }
    const match = ftsQuery(q);
    if (!match) throw new SearchSyntaxError('nothing to search for');
    const filtered = candidates.length < this.cache.size;
    const scope = filtered ? 'AND t.session_id IN (SELECT value FROM json_each(?))' : '';
    const ids = JSON.stringify(candidates.map((f) => f.sessionId));
    const args = (...rest: Array<string | number>) => (filtered ? [match, ids, ...rest] : [match, ...rest]);
    let counts: Array<{ session_id: string; n: number }>;
    let rows: Array<{ session_id: string; span_id: string; field: string; time: number; snippet: string }>;
    try {
      counts = this.db
        .prepare(`SELECT t.session_id, count(*) AS n FROM texts_fts JOIN texts t ON t.id = texts_fts.rowid WHERE texts_fts MATCH ? ${scope} GROUP BY t.session_id`)
        .all(...args()) as typeof counts;
      // rank every match, then cut snippets of the best ones only
      const best = this.db
        .prepare(`SELECT texts_fts.rowid AS id FROM texts_fts JOIN texts t ON t.id = texts_fts.rowid WHERE texts_fts MATCH ? ${scope} ORDER BY rank, t.time DESC LIMIT ?`)
        .all(...args(limit)) as Array<{ id: number }>;
      const one = this.db.prepare('SELECT session_id, span_id, field, time, body FROM texts WHERE id = ?');
      const terms = queryTerms(q);
      rows = [];
      for (const { id } of best) {
        const row = one.get(id) as ((typeof rows)[number] & { body: string }) | undefined;
        if (row) rows.push({ session_id: row.session_id, span_id: row.span_id, field: row.field, time: row.time, snippet: makeSnippet(row.body, terms) });
      }
    } catch (error) {
      throw new SearchSyntaxError(`cannot search for ${JSON.stringify(q)}: ${(error as Error).message}`);
    }
    const byId = new Map(candidates.map((f) => [f.sessionId, f]));
    const sessions: SearchResult['sessions'] = [];
    let totalHits = 0;
    for (const c of counts) {
      const facts = byId.get(c.session_id);
      if (!facts) continue;
      sessions.push({ facts, hits: c.n });
      totalHits += c.n;
      addSession(totals, facts);
    }
    sessions.sort((a, b) => b.facts.startTime - a.facts.startTime);
    const hits = rows.map((r) => ({ sessionId: r.session_id, spanId: r.span_id, field: r.field as SearchField, time: r.time, snippet: r.snippet }));
    return { q, sessions, hits, totalHits, totals: finishRow(totals) };
  }
}
