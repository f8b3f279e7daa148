import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '../events/types.js';
import { acquireSync } from './lock.js';
import { recordNotRunning, whyNotRunning } from './liveness.js';
import { logError } from './log.js';
import { JOURNAL_FILE } from './paths.js';
import type { ReconcileSource, SourceContext, SpoolItem } from './reconcile-source.js';
import type { ReconcileStore } from './store-api.js';
import { bySpoolOrder, claimSpool, doneSpool, noteFired, pendingSpool, readClaimed, spoolAgents, spoolDir, type SpoolEntry } from './spool.js';

/**
 * The store's one reconcile step — the only way reading a session ever leads to a write. It:
 * 1. drains the spool: each hook payload is claimed by an atomic rename (two reconcilers never take the same
 *    file), turned into events by its agent's source, appended (validated, redacted), then deleted; a claim left
 *    by a killed reconciler is taken back, and skipped when the journal already holds it (exactly once);
 * 2. catches up the sessions' own files (transcripts) that grew, by offset;
 * 3. marks a running session whose agent is gone as interrupted — after a last catch-up, so nothing the agent
 *    wrote before it died is lost;
 * 4. rewrites trace.json where it lags the journal.
 */

export interface ReconcileOptions {
  /** Sessions to catch up and check (default: every session). The spool is always drained whole. */
  sessions?: readonly string[];
  /** A detached worker may wait on live locks and for transcripts; a reader waits less. */
  patient?: boolean;
  inactivityMs?: number;
  /**
   * A hook's own quick drain (`agent-trace hook`): never wait on a lock (another process is draining and will
   * take this payload too), and leave catch-up and trace.json to boundaries.
   */
  quick?: boolean;
}

export interface ReconcileResult {
  /** Sessions whose journal grew. */
  changed: string[];
  /** Sessions that reached a turn or session boundary with an OTLP export wanted. */
  exportWanted: string[];
  /** Spool files ingested. */
  drained: number;
  /** A spool was being drained by another live process (what it holds is theirs to ingest). */
  busy?: boolean;
}

const DRAIN_LOCK = 'drain.lock';
const TAIL_BYTES = 4 * 1024 * 1024;

function sourceContext(store: ReconcileStore, patient: boolean, quick = false): SourceContext {
  return {
    quick,
    dir: store.dir,
    scrub: (text) => store.redactor.redactString(text),
    log: (context, error) => logError(store.dir, context, error),
    patient,
  };
}

/** Whether the journal's tail already holds events from this spool file (a claim taken back after a kill). */
function journalHolds(store: ReconcileStore, sessionId: string, name: string): boolean {
  let fd: number;
  try {
    fd = openSync(join(store.folder(sessionId), JOURNAL_FILE), 'r');
  } catch {
    return false;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.allocUnsafe(length);
    const n = readSync(fd, buf, 0, length, size - length);
    return buf.subarray(0, n).includes(`"spool":${JSON.stringify(name)}`);
  } finally {
    closeSync(fd);
  }
}

/** Appends events one by one when a batch is refused, so one bad event never costs the others. */
function appendValid(store: ReconcileStore, events: AgentEvent[]): void {
  if (!events.length) return;
  try {
    store.append(events);
  } catch {
    for (const e of events) {
      try {
        store.append([e]);
      } catch (error) {
        logError(store.dir, `reconcile: ${e.type} event refused`, error);
      }
    }
  }
}

function ingestFile(store: ReconcileStore, source: ReconcileSource, entry: SpoolEntry, claimed: string, recovered: boolean, ctx: SourceContext, result: ReconcileResult, boundary: Set<string>): void {
  let payload: unknown;
  try {
    const bytes = readClaimed(claimed);
    payload = bytes.length ? JSON.parse(bytes.toString('utf8')) : undefined;
  } catch (error) {
    // Not JSON (a hostile or truncated payload): refused, one short line, nothing else touched.
    logError(store.dir, `reconcile: ${entry.agent} ${entry.event} payload refused`, error instanceof Error ? error.message.slice(0, 200) : String(error));
    doneSpool(store.dir, claimed);
    return;
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    if (payload !== undefined) logError(store.dir, `reconcile: ${entry.agent} ${entry.event}`, 'payload is not a JSON object');
    doneSpool(store.dir, claimed);
    return;
  }
  const item: SpoolItem = { ...entry, payload: payload as Record<string, unknown> };
  let out;
  try {
    out = source.ingest(item, ctx);
  } catch (error) {
    logError(store.dir, `reconcile: ${entry.agent} ${entry.event}`, error);
    doneSpool(store.dir, claimed);
    return;
  }
  const sessionId = out.sessionId;
  if (sessionId && recovered && journalHolds(store, sessionId, entry.name)) {
    doneSpool(store.dir, claimed);
    return;
  }
  // The hook's own events carry the spool file's name: a claim taken back after a kill is recognised.
  const own = out.own ?? out.events.length;
  const first = out.events.length - own;
  const events = out.events.map((e, i) => (i >= first ? ({ ...e, spool: entry.name } as AgentEvent) : e));
  appendValid(store, events);
  doneSpool(store.dir, claimed);
  result.drained++;
  if (sessionId && events.length) {
    if (!result.changed.includes(sessionId)) result.changed.push(sessionId);
    if (out.boundary) boundary.add(sessionId);
    if (out.exportAfter && !result.exportWanted.includes(sessionId)) result.exportWanted.push(sessionId);
  }
}

/** Drains every agent's spool (oldest first). Sessions that reached a boundary are added to `boundary`. */
export function drainSpool(store: ReconcileStore, sources: readonly ReconcileSource[], patient: boolean, result: ReconcileResult, boundary: Set<string>, quick = false): void {
  const ctx = sourceContext(store, patient, quick);
  const fired = new Map<string, Map<string, number>>();
  for (const agent of spoolAgents(store.dir)) {
    const source = sources.find((s) => s.agent === agent);
    if (!source) continue;
    const folder = spoolDir(store.dir, agent);
    const first = pendingSpool(store.dir, agent);
    // Claims in flight: another reconciler is ingesting them; taking the lock waits until it has.
    if (!first.ready.length && !first.orphans.length && !first.inFlight) continue;
    // One drainer at a time per agent keeps the journal in arrival order; claims make it exactly once anyway.
    let release;
    try {
      release = acquireSync(folder, { name: DRAIN_LOCK, waitMs: quick ? 0 : patient ? 60_000 : 10_000 });
    } catch (error) {
      logError(store.dir, `reconcile: spool of ${agent}`, error);
      continue;
    }
    if (!release) {
      result.busy = true;
      continue;
    }
    try {
      for (let round = 0; round < 100; round++) {
        const { ready, orphans } = round === 0 ? first : pendingSpool(store.dir, agent);
        if (!ready.length && !orphans.length) break;
        const work = [...orphans.map((o) => ({ entry: o.entry, from: o.file, recovered: true })), ...ready.map((entry) => ({ entry, from: undefined, recovered: false }))];
        work.sort((a, b) => bySpoolOrder(a.entry, b.entry));
        for (const w of work) {
          const claimed = claimSpool(store.dir, agent, w.entry.name, w.from);
          if (!claimed) continue;
          ingestFile(store, source, w.entry, claimed, w.recovered, ctx, result, boundary);
          const perAgent = fired.get(agent) ?? new Map<string, number>();
          perAgent.set(w.entry.event, Math.max(perAgent.get(w.entry.event) ?? 0, w.entry.time));
          fired.set(agent, perAgent);
        }
      }
    } finally {
      release();
    }
  }
  noteFired(store.dir, fired);
}

/** Catches up, checks liveness and materializes one session. */
export function reconcileSession(store: ReconcileStore, sessionId: string, sources: readonly ReconcileSource[], options: ReconcileOptions, result: ReconcileResult, force: boolean): void {
  const ctx = sourceContext(store, options.patient === true, options.quick === true);
  // A finished session whose summary.json reflects its whole journal needs nothing (no catch-up, no liveness
  // check, no rewrite): checked from that small file, so a reconcile of every session costs per session, not
  // per byte stored.
  const current = store.currentSummary(sessionId);
  if (current && !force && current.header.status !== 'running') return;
  let doc = store.load(sessionId);
  if (!doc) return;
  const matOpts = options.quick ? { waitMs: 0 } : {};
  let grew = false;
  const source = sources.find((s) => s.agent === doc!.agent.name);
  if (doc.status === 'running' && source?.catchUp) {
    const events = source.catchUp(sessionId, store.folder(sessionId), ctx, { final: false });
    if (events.length) {
      appendValid(store, events);
      grew = true;
    }
  }
  if (grew || force || !current) doc = store.materialize(sessionId, matOpts);
  const liveness = options.inactivityMs !== undefined ? { inactivityMs: options.inactivityMs } : {};
  let dead = whyNotRunning(store, sessionId, doc, liveness);
  if (dead && !dead.idle) {
    // The agent exited after the spool was drained: its last hooks (SessionEnd, run before it exits) may be
    // there now. Read them before calling the session interrupted.
    const drained = result.drained;
    drainSpool(store, sources, options.patient === true, result, new Set(), options.quick === true);
    if (result.drained > drained) {
      doc = store.materialize(sessionId, matOpts);
      dead = whyNotRunning(store, sessionId, doc, liveness);
      grew = true;
    }
  }
  if (dead) {
    // Whatever the agent wrote before it went away is read before the session is called interrupted.
    if (source?.catchUp) {
      const last = source.catchUp(sessionId, store.folder(sessionId), ctx, { final: true });
      if (last.length) {
        appendValid(store, last);
        doc = store.materialize(sessionId, matOpts);
        grew = true;
      }
    }
    recordNotRunning(store, sessionId, doc, dead);
    grew = true;
  }
  if (grew && !result.changed.includes(sessionId)) result.changed.push(sessionId);
}

export function reconcile(store: ReconcileStore, sources: readonly ReconcileSource[], options: ReconcileOptions = {}): ReconcileResult {
  const result: ReconcileResult = { changed: [], exportWanted: [], drained: 0 };
  const boundary = new Set<string>();
  try {
    drainSpool(store, sources, options.patient === true, result, boundary, options.quick === true);
  } catch (error) {
    logError(store.dir, 'reconcile: spool', error);
  }
  const ids = options.sessions ?? store.sessionIds();
  for (const id of new Set([...ids, ...result.changed])) {
    if (options.quick && !boundary.has(id)) continue;
    try {
      reconcileSession(store, id, sources, options, result, boundary.has(id));
    } catch (error) {
      logError(store.dir, `reconcile: session ${id}`, error);
    }
  }
  return result;
}
