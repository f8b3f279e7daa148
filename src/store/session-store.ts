import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '../events/types.js';
import { validateEvent } from '../events/validate.js';
import type { TraceDocument } from '../model/trace.js';
import { TraceBuilder, type TraceBuilderOptions } from '../model/trace-builder.js';
import { Redactor } from '../redact.js';
import { sweepTempFiles, writeFileAtomicSync } from './atomic-write.js';
import { ensureDir, FILE_MODE, readTextIfExists } from './fs-util.js';
import { appendEvents, journalSize, readJournal } from './journal.js';
import { acquireSync } from './lock.js';
import { reconcile, type ReconcileOptions, type ReconcileResult } from './reconcile.js';
import type { ReconcileSource } from './reconcile-source.js';
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
  constructor(query: string, readonly candidates: string[] = []) {
    super(
      candidates.length > 1
        ? `session "${query}" is ambiguous: it matches ${candidates.slice(0, 5).join(', ')}${candidates.length > 5 ? ' …' : ''}; give more of the id`
        : `no session matches "${query}"; run \`agent-trace list\` to see the sessions`,
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

  /** Validates, redacts and appends events; returns them as stored. Throws InvalidEventError on a bad event. */
  append(events: readonly unknown[]): AgentEvent[] {
    const bySession = new Map<string, AgentEvent[]>();
    for (const raw of events) {
      const event = this.redactor.redactEvent(validateEvent(raw));
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
    const { events, end } = readJournal(this.journalPath(sessionId));
    const builder = this.newBuilder(sessionId);
    for (const e of events) builder.apply(e);
    return { builder, journalBytes: end };
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
    } catch {
      // none
    }
  }

  /** The trace.json on disk as it is, without checking it against the journal. */
  readTraceFile(sessionId: string): TraceDocument | undefined {
    const text = readTextIfExists(this.tracePath(sessionId));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as TraceDocument;
    } catch {
      return undefined;
    }
  }

  materializedBytes(sessionId: string): number | undefined {
    const text = readTextIfExists(join(this.folder(sessionId), MATERIALIZED_FILE));
    const n = text === undefined ? Number.NaN : Number(text);
    return Number.isFinite(n) ? n : undefined;
  }

  /** Records which journal length trace.json now reflects (after the trace itself is in place). */
  markMaterialized(sessionId: string, journalBytes: number): void {
    try {
      writeFileSync(join(this.folder(sessionId), MATERIALIZED_FILE), String(journalBytes), { mode: FILE_MODE });
    } catch {
      // readers will rebuild; nothing is lost
    }
  }

  /** Whether trace.json reflects the whole journal and no stale write has hidden a crash. */
  isFresh(sessionId: string, trace: TraceDocument | undefined): boolean {
    if (!trace) return false;
    const size = journalSize(this.journalPath(sessionId));
    if (size === 0) return true;
    if (this.materializedBytes(sessionId) !== size) return false;
    return !(this.readCrashMarker(sessionId) && trace.status !== 'crashed');
  }

  /**
   * Rebuilds trace.json from the journal under the session lock. Without the lock (held elsewhere, or a
   * read-only disk) the rebuilt document is still returned: readers never wait on writers.
   */
  materialize(sessionId: string, options: { waitMs?: number } = {}): TraceDocument {
    const folder = this.folder(sessionId);
    const release = safe(() => acquireSync(folder, { waitMs: options.waitMs ?? 1_000 }));
    try {
      const { builder, journalBytes } = this.rebuild(sessionId);
      const text = builder.serializeBuffer();
      if (release) {
        safe(() => {
          sweepTempFiles(folder);
          writeFileAtomicSync(join(folder, TRACE_FILE), text);
          this.markMaterialized(sessionId, journalBytes);
        });
      }
      return builder.toDocument();
    } finally {
      release?.();
    }
  }

  /**
   * The current trace of a session, read only: trace.json when it reflects the whole journal, else rebuilt in
   * memory from the journal. Never writes — bringing the files up to date is `reconcile`'s job.
   */
  load(sessionId: string): TraceDocument | undefined {
    if (!this.hasSession(sessionId)) return this.readTraceFile(sessionId);
    const trace = this.readTraceFile(sessionId);
    if (this.isFresh(sessionId, trace)) return trace;
    return this.rebuild(sessionId).builder.toDocument();
  }

  /**
   * The one step that brings the store up to date, called on purpose by the worker and by every reader that
   * must be exact (`list`, `show`, the viewer, `export`): drains the hooks' spool, catches up transcripts that
   * grew, records sessions whose agent is gone as interrupted (after a last catch-up), rewrites stale trace.json.
   */
  reconcile(options: ReconcileOptions = {}): ReconcileResult {
    const minutes = this.inactivityMinutes;
    return reconcile(this, this.sources, { ...(minutes !== undefined && minutes > 0 ? { inactivityMs: minutes * 60_000 } : {}), ...options });
  }

  /** Session ids on disk (read from each folder's journal, since folder names are not reversible). */
  sessionIds(): string[] {
    let folders: string[];
    try {
      folders = readdirSync(sessionsDir(this.dir));
    } catch {
      return [];
    }
    const ids: string[] = [];
    for (const name of folders) {
      const id = this.sessionIdOfFolder(join(sessionsDir(this.dir), name));
      if (id) ids.push(id);
    }
    return ids;
  }

  private sessionIdOfFolder(folder: string): string | undefined {
    const text = readTextIfExists(join(folder, TRACE_FILE));
    if (text) {
      const match = /"sessionId":("(?:[^"\\]|\\.)*")/.exec(text.slice(0, 4096));
      if (match) return JSON.parse(match[1]!) as string;
    }
    return firstEvent(join(folder, JOURNAL_FILE))?.sessionId;
  }

  /** Every session's current trace, newest first. */
  list(): TraceDocument[] {
    const docs: TraceDocument[] = [];
    for (const id of this.sessionIds()) {
      const doc = safe(() => this.load(id));
      if (doc) docs.push(doc);
    }
    return docs.sort((a, b) => b.startTime - a.startTime || a.sessionId.localeCompare(b.sessionId));
  }

  /** A session id from an exact id or a unique prefix. */
  resolve(query: string): string {
    const ids = this.sessionIds();
    if (ids.includes(query)) return query;
    const matches = ids.filter((id) => id.startsWith(query));
    if (matches.length === 1) return matches[0]!;
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

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
