import { logErrorLimited } from '../../src/store/log.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { summaryProblems } from '../../src/store/summary.js';
import type { SessionListEntry } from './api-types.js';
import { listRow } from './list-row.js';
import type { LivenessChecks } from './liveness-checks.js';
import type { LiveSessions } from './live-sessions.js';
import { SessionFolders } from './session-folders.js';

/** How often finished sessions are checked for changes (running ones and new folders: every scan). */
const FULL_SWEEP_MS = 2_000;
/**
 * The same, from a request: the live timer (running while any page is open) sweeps every 2 s, so a request
 * need not make its answer wait on stat calls for thousands of finished sessions; it sweeps only when no timer
 * has for a while (an API client without a live stream).
 */
export const REQUEST_SWEEP_MS = 30_000;

/** A session's list row, its JSON text (so a list of thousands is joined, not re-encoded) and the stamp it was read at. */
interface Row {
  stamp: string;
  entry: SessionListEntry;
  json: string;
}

/**
 * The session list as the viewer serves it, kept up to date cheaply: a session's row is read again only when
 * the store's change stamp for it moved, from its summary (never its spans). Sessions that change while the
 * viewer watches (running ones) are followed incrementally by their `LiveSession`. `version` moves on with
 * every change of the list (the `/api/live` stream and the ETags carry it).
 */
export class SessionIndex {
  version = 0;
  private readonly folders: SessionFolders;
  private readonly rows = new Map<string, Row>();
  private sorted: Row[] = [];
  private json: string | undefined = '[]';
  private lastSweep = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly sessions: LiveSessions,
    private readonly liveness: LivenessChecks,
  ) {
    this.folders = new SessionFolders(store);
  }

  /** Whether the store holds the session (new folders are looked for when it is not known yet). */
  has(id: string): boolean {
    if (this.folders.has(id)) return true;
    this.folders.scan();
    return this.folders.has(id);
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

  /**
   * Re-reads what changed in the store; true when the list changed. New and removed folders are seen on every
   * scan, and running sessions are checked every time; finished ones (which rarely change: a re-import) are
   * checked at most every `FULL_SWEEP_MS`, so a scan of thousands of sessions stays a few milliseconds and a
   * new session never waits behind them.
   */
  scan(options: { sweepMs?: number } = {}): boolean {
    return this.store.batch(() => this.scanOnce(options.sweepMs ?? FULL_SWEEP_MS));
  }

  /**
   * Brings one session up to date before it is answered: what the hooks spooled, and (while it runs) what its
   * agent's transcript added since the last read (by offset: cheap). A finished session needs nothing.
   */
  catchUp(id: string): void {
    const row = this.rows.get(id);
    if (row && row.entry.status !== 'running') return;
    try {
      this.store.reconcile({ sessions: [id] });
    } catch {
      // Reconcile logs what it could not write; the answer is what is on disk.
    }
  }

  private scanOnce(sweepMs: number): boolean {
    // What hooks spooled since the last look becomes journal lines (which this scan then sees change), and the
    // running sessions' transcripts are read from where the last read stopped: between a turn's start and its
    // end no hook may fire (tool calls are read from the transcript), yet the list and the views stay live.
    const running = [...this.rows.values()].filter((r) => r.entry.status === 'running').map((r) => r.entry.sessionId);
    try {
      this.store.reconcile({ sessions: running });
    } catch {
      // Reconcile logs what it could not write; the next scan tries again.
    }
    this.folders.scan();
    let changed = false;
    const first = this.version === 0;
    const now = Date.now();
    const sweep = first || now - this.lastSweep >= sweepMs;
    if (sweep) this.lastSweep = now;
    for (const id of [...this.rows.keys()]) {
      if (this.folders.has(id)) continue;
      this.rows.delete(id);
      this.sessions.delete(id);
      changed = true;
    }
    for (const id of this.folders.ids()) {
      const cached = this.rows.get(id);
      if (!sweep && cached && cached.entry.status !== 'running') continue;
      const stamp = this.store.changeStamp(id);
      if (cached && cached.stamp === stamp) {
        this.liveness.check(id, cached.entry.status);
        continue;
      }
      // A session that changed while we watched is running: follow it incrementally.
      const follow = this.sessions.has(id) || (cached !== undefined && !first && cached.entry.status === 'running');
      const entry = this.readRow(id, follow);
      if (!entry) continue;
      this.rows.set(id, { stamp, entry, json: JSON.stringify(entry) });
      changed = true;
    }
    if (changed || first) {
      this.sorted = [...this.rows.values()].sort((a, b) => b.entry.startTime - a.entry.startTime || a.entry.sessionId.localeCompare(b.entry.sessionId));
      this.json = undefined;
      this.version++;
    }
    return changed;
  }

  /** A session's row, from its live view or its summary; undefined when it cannot be read now (kept as it was). */
  private readRow(id: string, follow: boolean): SessionListEntry | undefined {
    const lastWrite = this.store.lastActivity(id);
    try {
      if (follow) {
        const live = this.sessions.get(id);
        return live.header ? listRow(live.header, live.firstPrompt(), lastWrite || live.header.startTime, live.problems) : undefined;
      }
      const summary = this.store.summary(id);
      return summary ? listRow(summary.header, summary.firstPrompt, lastWrite || summary.lastActivity, summaryProblems(summary)) : undefined;
    } catch (error) {
      // Left out of the list until it can be read (a folder caught half-written), and said once a minute in the log.
      logErrorLimited(this.store.dir, `viewer: session ${id} not listed`, error);
      return undefined;
    }
  }
}
