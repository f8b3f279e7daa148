import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '../events/types.js';
import { validateEvent } from '../events/validate.js';
import type { TraceDocument } from '../model/trace.js';
import { TraceBuilder, type TraceBuilderOptions } from '../model/trace-builder.js';
import { Redactor } from '../redact.js';
import { sweepTempFiles, writeFileAtomicSync } from './atomic-write.js';
import { ensureDir, errorMessage, fileStamp, readTextIfExists } from './fs-util.js';
import { appendEvents, completeLength, forEachJournalEvent, journalSize, readJournal } from './journal.js';
import { acquireSync } from './lock.js';
import { isMissing, logError, logErrorLimited } from './log.js';
import { reconcile, type ReconcileOptions, type ReconcileResult } from './reconcile.js';
import type { ReconcileSource } from './reconcile-source.js';
import { HeadTap, makeSummary, readSummaryFile, summaryOfBuilder, summaryPath, writeSummaryFile, type SessionSummary } from './summary.js';
import { documentProblem, fileChunks, MAX_WHOLE_TRACE_BYTES, readTraceHead, SessionTooLargeError } from './trace-file.js';
import {
  CRASH_MARKER,
  JOURNAL_FILE,
  MATERIALIZED_FILE,
  sessionFolder,
  sessionsDir,
  TRACE_FILE,
} from './paths.js';

export interface SessionStoreOptions extends TraceBuilderOptions {
  redactor?: Redactor;
  /** A running session whose agent process is unknown is interrupted after this many idle minutes. */
  inactivityMinutes?: number;
  /** The agents' parts of the reconcile step (spool ingestion, transcript catch-up); none for a library user. */
  sources?: readonly ReconcileSource[];
}

export interface CrashMarker {
  time: number;
  reason?: string;
  pid?: number;
}

export class SessionNotFoundError extends Error {
  constructor(query: string, readonly candidates: string[] = [], note = '') {
    super(
      candidates.length > 1
        ? `session "${query}" is ambiguous: it matches ${candidates.slice(0, 5).join(', ')}${candidates.length > 5 ? ' …' : ''}; give more of the id`
        : `no session matches "${query}"${note}; run \`agent-trace list\` to see the sessions`,
    );
    this.name = 'SessionNotFoundError';
  }
}

/**
 * The session store on disk: `<dir>/sessions/<folder>/` holding the journal (source of truth), the
 * materialized trace.json, the crash marker and small bookkeeping files. Readers always get a trace that
 * matches the journal: a trace.json that lags it (or that a stale write put over a crash) is rebuilt.
 */
export class SessionStore {
  readonly dir: string;
  readonly redactor: Redactor;
  private readonly builderOptions: TraceBuilderOptions;
  private readonly inactivityMinutes: number | undefined;
  private readonly sources: readonly ReconcileSource[];

  constructor(dir: string, options: SessionStoreOptions = {}) {
    this.dir = dir;
    this.sources = options.sources ?? [];
    this.redactor = options.redactor ?? new Redactor();
    this.builderOptions = { prices: options.prices };
    this.inactivityMinutes = options.inactivityMinutes;
  }

  /** summary.json reads kept for the length of one `batch` (a command's reconcile and listing read each once). */
  private memo: Map<string, SessionSummary | undefined> | undefined;

  /**
   * Runs `fn` with each summary.json read at most once (a command that reconciles, then lists). Safe: a
   * remembered summary is still checked against the journal's length before it is trusted, and this
   * process's own writes replace what it remembers.
   */
  batch<T>(fn: () => T): T {
    if (this.memo) return fn();
    this.memo = new Map();
    try {
      return fn();
    } finally {
      this.memo = undefined;
    }
  }

  private readSummary(folder: string): SessionSummary | undefined {
    if (!this.memo) return readSummaryFile(folder);
    if (this.memo.has(folder)) return this.memo.get(folder);
    const summary = readSummaryFile(folder);
    this.memo.set(folder, summary);
    return summary;
  }

  folder(sessionId: string): string {
    return sessionFolder(this.dir, sessionId);
  }

  journalPath(sessionId: string): string {
    return join(this.folder(sessionId), JOURNAL_FILE);
  }

  tracePath(sessionId: string): string {
    return join(this.folder(sessionId), TRACE_FILE);
  }

  ensureSession(sessionId: string): string {
    const folder = this.folder(sessionId);
    ensureDir(folder);
    return folder;
  }

  newBuilder(sessionId: string): TraceBuilder {
    return new TraceBuilder(sessionId, this.builderOptions);
  }

  /** An event as the store keeps it: validated (throws InvalidEventError on a bad one), then redacted. */
  prepare(raw: unknown): AgentEvent {
    return this.redactor.redactEvent(validateEvent(raw));
  }

  /** Validates, redacts and appends events; returns them as stored. Throws InvalidEventError on a bad event. */
  append(events: readonly unknown[]): AgentEvent[] {
    const bySession = new Map<string, AgentEvent[]>();
    for (const raw of events) {
      const event = this.prepare(raw);
      const list = bySession.get(event.sessionId);
      if (list) list.push(event);
      else bySession.set(event.sessionId, [event]);
    }
    const stored: AgentEvent[] = [];
    for (const [sessionId, list] of bySession) {
      this.ensureSession(sessionId);
      appendEvents(this.journalPath(sessionId), list);
      stored.push(...list);
    }
    return stored;
  }

  readEvents(sessionId: string): AgentEvent[] {
    return readJournal(this.journalPath(sessionId)).events;
  }

  rebuild(sessionId: string): { builder: TraceBuilder; journalBytes: number } {
    const { builder, journalBytes } = this.rebuildFull(sessionId);
    return { builder, journalBytes };
  }

  hasSession(sessionId: string): boolean {
    return existsSync(this.journalPath(sessionId));
  }

  readCrashMarker(sessionId: string): CrashMarker | undefined {
    const text = readTextIfExists(join(this.folder(sessionId), CRASH_MARKER));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as CrashMarker;
    } catch {
      return { time: 0 };
    }
  }

  clearCrashMarker(sessionId: string): void {
    try {
      unlinkSync(join(this.folder(sessionId), CRASH_MARKER));
    } catch (error) {
      if (!isMissing(error)) logErrorLimited(this.dir, `session ${sessionId}: removing ${CRASH_MARKER}`, error);
    }
  }

  /**
   * The trace.json on disk as it is, without checking it against the journal; undefined when it is missing
   * or not a trace document. Throws SessionTooLargeError rather than parse a document too large to hold whole.
   */
  readTraceFile(sessionId: string): TraceDocument | undefined {
    const path = this.tracePath(sessionId);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return undefined;
    }
    if (size > MAX_WHOLE_TRACE_BYTES) throw new SessionTooLargeError(sessionId, size);
    const text = readTextIfExists(path);
    if (text === undefined) return undefined;
    try {
      const doc = JSON.parse(text) as TraceDocument;
      return documentProblem(doc) ? undefined : doc;
    } catch {
      return undefined;
    }
  }

  /** The journal length trace.json reflects (from summary.json, or the older `materialized` file). */
  materializedBytes(sessionId: string): number | undefined {
    const folder = this.folder(sessionId);
    const summary = this.readSummary(folder);
    if (summary) return summary.journalBytes;
    const text = readTextIfExists(join(folder, MATERIALIZED_FILE));
    const n = text === undefined ? Number.NaN : Number(text);
    return Number.isFinite(n) ? n : undefined;
  }

  /**
   * Records which journal length trace.json now reflects, after the trace itself is in place: summary.json,
   * from the head a `HeadTap` kept while the trace was written.
   */
  markMaterialized(sessionId: string, journalBytes: number, head?: HeadTap, skippedLines = 0): void {
    try {
      const folder = this.folder(sessionId);
      this.memo?.delete(folder);
      if (head?.header) {
        writeSummaryFile(folder, makeSummary(head.header, head.root, journalBytes, { skippedLines, traceBytes: head.bytes, spans: head.spans }));
        return;
      }
      // No head to summarize: leave no summary that claims to be current.
      unlinkSync(summaryPath(folder));
    } catch (error) {
      // Readers will rebuild; nothing is lost — but a summary that cannot be written is worth a line.
      if (!isMissing(error)) logErrorLimited(this.dir, `session ${sessionId}: writing summary.json`, error);
    }
  }

  /** Writes trace.json (atomically, streamed from the builder's pieces), then its summary. */
  writeTrace(builder: TraceBuilder, journalBytes: number, skippedLines = 0): SessionSummary | undefined {
    const folder = this.ensureSession(builder.sessionId);
    const tap = new HeadTap();
    writeFileAtomicSync(join(folder, TRACE_FILE), tap.tap(builder.serializeChunks()));
    this.markMaterialized(builder.sessionId, journalBytes, tap, skippedLines);
    return tap.header ? makeSummary(tap.header, tap.root, journalBytes, { skippedLines, traceBytes: tap.bytes, spans: tap.spans }) : undefined;
  }

  /**
   * Whether trace.json reflects the whole journal and no stale write has hidden a crash. A torn tail (a
   * partial last line, from a write cut short) is not part of the journal yet: it does not make it stale.
   */
  isFresh(sessionId: string, trace: Pick<TraceDocument, 'status'> | undefined): boolean {
    if (!trace) return false;
    return this.reflectsJournal(sessionId, this.materializedBytes(sessionId), trace.status);
  }

  /** Whether `reflected` journal bytes are the whole journal (a torn tail aside) and no crash is hidden. */
  private reflectsJournal(sessionId: string, reflected: number | undefined, status: string): boolean {
    const journal = this.journalPath(sessionId);
    const size = journalSize(journal);
    if (size === 0) return true;
    if (reflected === undefined || reflected > size) return false;
    if (reflected !== size && completeLength(journal, reflected) !== reflected) return false;
    return !(status !== 'crashed' && existsSync(join(this.folder(sessionId), CRASH_MARKER)));
  }

  private rebuildFull(sessionId: string): { builder: TraceBuilder; journalBytes: number; skipped: number } {
    const builder = this.newBuilder(sessionId);
    const { end, skipped } = forEachJournalEvent(this.journalPath(sessionId), (e) => builder.apply(e));
    if (skipped) logError(this.dir, `session ${sessionId}`, `${skipped} unreadable journal line(s) skipped in ${this.journalPath(sessionId)}`);
    return { builder, journalBytes: end, skipped };
  }

  /**
   * Rebuilds trace.json and summary.json from the journal under the session lock. Without the lock (held
   * elsewhere, or a read-only disk) the rebuilt trace is still returned: readers never wait on writers.
   */
  private rebuildAndWrite(sessionId: string, waitMs: number): { builder: TraceBuilder; summary: SessionSummary | undefined } {
    const folder = this.folder(sessionId);
    let release: (() => void) | undefined;
    try {
      release = acquireSync(folder, { waitMs });
    } catch (error) {
      // Not a live holder (that returns undefined): the folder cannot take a lock (read-only, full, gone).
      if (!isMissing(error)) logErrorLimited(this.dir, `session ${sessionId}: trace.json not written (lock)`, error);
    }
    try {
      const { builder, journalBytes, skipped } = this.rebuildFull(sessionId);
      let summary: SessionSummary | undefined;
      if (release) {
        try {
          sweepTempFiles(folder);
          summary = this.writeTrace(builder, journalBytes, skipped);
        } catch (error) {
          // The rebuilt trace is still returned; trace.json stays as it was (stale) until a write succeeds.
          logErrorLimited(this.dir, `session ${sessionId}: trace.json not written`, error);
        }
      }
      summary ??= summaryOfBuilder(builder, journalBytes, skipped);
      return { builder, summary };
    } finally {
      release?.();
    }
  }

  /** Rebuilds trace.json and its summary from the journal, returning the summary (no document is built). */
  materializeSummary(sessionId: string, options: { waitMs?: number } = {}): SessionSummary | undefined {
    return this.rebuildAndWrite(sessionId, options.waitMs ?? 1_000).summary;
  }

  materialize(sessionId: string, options: { waitMs?: number } = {}): TraceDocument {
    return this.rebuildAndWrite(sessionId, options.waitMs ?? 1_000).builder.toDocument();
  }

  /**
   * The current trace of a session, read only: trace.json when it reflects the whole journal (and is a trace
   * document), else rebuilt in memory from the journal. Never writes — bringing the files up to date is
   * `reconcile`'s job. Throws SessionTooLargeError for a trace too large to hold whole.
   */
  load(sessionId: string): TraceDocument | undefined {
    if (!this.hasSession(sessionId)) return this.readTraceFile(sessionId);
    const summary = this.readSummary(this.folder(sessionId));
    const fresh = summary !== undefined && this.isFresh(sessionId, summary.header);
    if (fresh && summary.traceBytes !== undefined && summary.traceBytes > MAX_WHOLE_TRACE_BYTES) throw new SessionTooLargeError(sessionId, summary.traceBytes);
    const trace = fresh ? this.readTraceFile(sessionId) : undefined;
    if (trace && this.isFresh(sessionId, trace)) return trace;
    return this.rebuild(sessionId).builder.toDocument();
  }

  /**
   * The one step that brings the store up to date, called on purpose by the worker and by every reader that
   * must be exact (`list`, `show`, the viewer, `export`): drains the hooks' spool, catches up transcripts that
   * grew, records sessions whose agent is gone as interrupted (after a last catch-up), rewrites stale trace.json
   * and its summary.
   */
  reconcile(options: ReconcileOptions = {}): ReconcileResult {
    const minutes = this.inactivityMinutes;
    return reconcile(this, this.sources, { ...(minutes !== undefined && minutes > 0 ? { inactivityMs: minutes * 60_000 } : {}), ...options });
  }

  /**
   * The trace as JSON pieces, never one string: trace.json itself when it is current, else the document
   * rebuilt in memory from the journal. For `show --json` and exports of sessions of any size.
   */
  traceChunks(sessionId: string): Iterable<Buffer> {
    if (this.hasSession(sessionId)) {
      const summary = this.readSummary(this.folder(sessionId));
      const current = summary && this.isFresh(sessionId, summary.header) && safe(() => readTraceHead(this.tracePath(sessionId)).header.status === summary.header.status);
      if (!current) return this.rebuildFull(sessionId).builder.serializeChunks();
    } else readTraceHead(this.tracePath(sessionId)); // throws, naming the file, when it is not a trace
    return fileChunks(this.tracePath(sessionId));
  }

  /**
   * A session's summary (header, first prompt, last activity) without reading its spans: summary.json when it
   * is current, else rebuilt in memory from the journal (or, for a trace.json with no journal, read from its
   * head). Never writes.
   * Throws when the session cannot be read (TraceFileError and SessionTooLargeError name it).
   */
  summary(sessionId: string): SessionSummary | undefined {
    if (!this.hasSession(sessionId)) {
      if (!existsSync(this.tracePath(sessionId))) return undefined;
      const head = readTraceHead(this.tracePath(sessionId));
      return makeSummary(head.header, head.root, 0, { traceBytes: head.bytes });
    }
    const summary = this.currentSummary(sessionId);
    if (summary) return summary;
    // Stale or missing: rebuilt in memory (reading never writes; reconcile puts a current one on disk).
    const { builder, journalBytes, skipped } = this.rebuildFull(sessionId);
    return summaryOfBuilder(builder, journalBytes, skipped);
  }

  /** summary.json when it reflects the whole journal; undefined when it is missing or stale. Never rebuilds. */
  currentSummary(sessionId: string): SessionSummary | undefined {
    return this.ifCurrent(sessionId, this.readSummary(this.folder(sessionId)));
  }

  private ifCurrent(sessionId: string, summary: SessionSummary | undefined): SessionSummary | undefined {
    return summary && summary.sessionId === sessionId && this.reflectsJournal(sessionId, summary.journalBytes, summary.header.status) ? summary : undefined;
  }

  /** Every session's summary, newest first; a session that cannot be read is reported by name and skipped. */
  summaries(onProblem: (problem: string) => void = () => undefined): SessionSummary[] {
    const out: SessionSummary[] = [];
    for (const name of this.folderNames()) {
      const folder = join(sessionsDir(this.dir), name);
      let id: string | undefined;
      try {
        // The common case, one small read: a current summary.json.
        const read = this.readSummary(folder);
        const current = read && this.folder(read.sessionId) === folder ? this.ifCurrent(read.sessionId, read) : undefined;
        if (current) {
          out.push(current);
          continue;
        }
        id = this.sessionIdOfFolder(folder);
        if (id === undefined) {
          if (existsSync(join(folder, TRACE_FILE))) readTraceHead(join(folder, TRACE_FILE));
          continue;
        }
        const summary = this.summary(id);
        if (summary) out.push(summary);
      } catch (error) {
        onProblem(`session ${id ?? name} skipped: ${errorMessage(error)}`);
      }
    }
    return out.sort((a, b) => b.header.startTime - a.header.startTime || a.sessionId.localeCompare(b.sessionId));
  }

  /** The names of the session folders (a folder's session id is read by `sessionIdOfFolderName`). */
  folderNames(): string[] {
    try {
      return readdirSync(sessionsDir(this.dir));
    } catch {
      return [];
    }
  }

  /** Session ids on disk (read from each folder's summary or journal, since folder names are not reversible). */
  sessionIds(): string[] {
    const ids: string[] = [];
    for (const name of this.folderNames()) {
      const id = safe(() => this.sessionIdOfFolder(join(sessionsDir(this.dir), name)));
      if (id) ids.push(id);
    }
    return ids;
  }

  /** The id of the session kept in a folder: from its summary, else its journal's first line, else its trace's head. */
  sessionIdOfFolder(folder: string): string | undefined {
    const summary = this.readSummary(folder);
    if (summary) return summary.sessionId;
    const first = firstEvent(join(folder, JOURNAL_FILE));
    if (first?.sessionId) return first.sessionId;
    if (!existsSync(join(folder, TRACE_FILE))) return undefined;
    return safe(() => readTraceHead(join(folder, TRACE_FILE)).header.sessionId);
  }

  /** The id of the session a folder (by name) holds, when that folder is the session's own; else undefined. */
  sessionIdOfFolderName(name: string): string | undefined {
    const id = safe(() => this.sessionIdOfFolder(join(sessionsDir(this.dir), name)));
    return id !== undefined && this.folder(id) === join(sessionsDir(this.dir), name) ? id : undefined;
  }

  /**
   * A key that changes whenever the session's journal or summary.json does (size and modification time), so a
   * reader that keeps a session's row knows when to read it again without reading anything.
   */
  changeStamp(sessionId: string): string {
    const folder = this.folder(sessionId);
    return `${fileStamp(join(folder, JOURNAL_FILE))}|${fileStamp(summaryPath(folder))}`;
  }

  /**
   * A session id from an exact id or a unique prefix. Only folders whose name starts with the prefix are
   * read: a folder name keeps the id's leading safe characters, so the cost does not grow with the store.
   */
  resolve(query: string): string {
    if (query && this.hasSession(query)) return query;
    let names = this.folderNames();
    if (/^[A-Za-z0-9_-]{1,80}$/.test(query)) names = names.filter((n) => n.startsWith(query));
    const ids: string[] = [];
    const unreadable: string[] = [];
    for (const name of names) {
      const folder = join(sessionsDir(this.dir), name);
      const id = safe(() => this.sessionIdOfFolder(folder));
      if (id) ids.push(id);
      else if (existsSync(join(folder, TRACE_FILE))) unreadable.push(join(folder, TRACE_FILE));
    }
    if (ids.includes(query)) return query;
    const matches = ids.filter((id) => id.startsWith(query));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0 && unreadable.length) {
      const error = catchError(() => readTraceHead(unreadable[0]!));
      const problem = error ? errorMessage(error) : unreadable[0]!;
      throw new SessionNotFoundError(query, [], `; a session folder that could have matched cannot be read: ${problem}`);
    }
    throw new SessionNotFoundError(query, matches);
  }

  lastActivity(sessionId: string): number {
    try {
      return statSync(this.journalPath(sessionId)).mtimeMs;
    } catch {
      return 0;
    }
  }
}

/** The journal's first event, reading no further than its first line (a session whose trace is not written yet). */
function firstEvent(path: string): AgentEvent | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const chunks: Buffer[] = [];
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (let position = 0; position < 4 * 1024 * 1024; ) {
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) return undefined;
      const nl = chunk.subarray(0, n).indexOf(10);
      chunks.push(Buffer.from(chunk.subarray(0, nl < 0 ? n : nl)));
      if (nl >= 0) return JSON.parse(Buffer.concat(chunks).toString('utf8')) as AgentEvent;
      position += n;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
