import { closeSync, fstatSync, openSync, readSync, statSync, utimesSync } from 'node:fs';
import type { AgentEvent } from '../events/types.js';
import { writeFileAtomicSync } from './atomic-write.js';
import { appendSync } from './fs-util.js';
import { encodeEvents, readJournal } from './journal.js';
import { importedEnding } from './liveness.js';
import { acquireSync } from './lock.js';
import { isMissing, logErrorLimited } from './log.js';
import type { SessionStore } from './session-store.js';

/**
 * Writing imported sessions into the store. The journal is rewritten (atomically, under the session lock):
 * events of the sources an import produced are replaced by the new ones, events of every other source (hooks,
 * liveness) are kept, and all are merged in time order — so importing the same input twice gives the same
 * journal and the same trace, and an import never duplicates what hooks recorded.
 */

export interface ImportEnding {
  now: number;
  /** A session idle for longer than this is over (else it may still be running). */
  inactivityMs: number;
}

export interface ReplaceOptions {
  ending?: ImportEnding;
  /**
   * The session already got events from another input file in this same import: keep its imported events and
   * add these (the end it shows is worked out again from all of them).
   */
  merge?: boolean;
  /**
   * An incremental catch-up read only the end of the file: the first `keepFirst` events (in journal order) the
   * replaced sources wrote stay as they are, and `events` replace the rest.
   */
  keepFirst?: number;
}

export interface ReplaceOutcome {
  /** Events of other sources (hooks, the in-process tracer) are in the journal: their status truth rules. */
  recorded: boolean;
  /** With `keepFirst`: the journal holds fewer such events than that (changed meanwhile); nothing was written. */
  stale?: boolean;
}

export class SessionLockedError extends Error {
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} is locked by another agent-trace process; try again`);
    this.name = 'SessionLockedError';
  }
}

/** An end an import worked out (not one a source recorded): recomputed whenever the imported events change. */
function isImportEnding(e: AgentEvent): boolean {
  return e.source === 'import' && (e.type === 'session.end' || e.type === 'session.interrupted');
}

/**
 * Puts one imported session in the store. With `ending`, a session only imports know of that has been idle
 * past the limit gets the end its events show (`importedEnding`: completed, or interrupted when its last turn
 * visibly was); a session the hooks recorded keeps their status truth (SessionEnd, or its agent process).
 */
export function replaceSessionEvents(store: SessionStore, sessionId: string, events: AgentEvent[], options: ReplaceOptions = {}): ReplaceOutcome {
  const folder = store.ensureSession(sessionId);
  const journal = store.journalPath(sessionId);
  const prepare = (e: AgentEvent) => store.prepare(e);
  let incoming = events.map(prepare);
  // An import's own events (its ending included) are always its to replace, whatever this run produces.
  const sources = new Set(['import', ...incoming.map((e) => e.source ?? '')]);
  const release = acquireSync(folder, { waitMs: 10_000 });
  if (!release) throw new SessionLockedError(sessionId);
  try {
    const { events: existing, end } = readJournal(journal);
    if (options.merge) {
      // Earlier files of this run: their events stay, the end is worked out again below.
      const earlier = existing.filter((e) => sources.has(e.source ?? '') && !isImportEnding(e));
      for (const e of earlier) sources.add(e.source ?? '');
      incoming = mergeByTime([], [...earlier, ...incoming]);
    }
    if (options.keepFirst) {
      const earlier = existing.filter((e) => sources.has(e.source ?? '') && !isImportEnding(e));
      if (earlier.length < options.keepFirst) return { recorded: false, stale: true };
      // The usual case: the last read ended where this one goes on, and everything new is later than anything in
      // the journal — the merge would put it at the end, so it is appended (the journal is not rewritten).
      let latest = 0;
      for (const e of existing) if (e.time > latest) latest = e.time;
      const hooked = existing.some((e) => !sources.has(e.source ?? '') && e.source !== 'system');
      if (hooked && earlier.length === options.keepFirst && incoming.every((e) => e.time > latest)) {
        appendSync(journal, encodeEvents(incoming));
        return { recorded: true };
      }
      incoming = [...earlier.slice(0, options.keepFirst), ...incoming];
    }
    let kept = existing.filter((e) => !sources.has(e.source ?? ''));
    const recorded = kept.some((e) => e.source !== 'system');
    if (!recorded) {
      // Only imports wrote this session: an interruption liveness guessed before is the import's to settle.
      kept = kept.filter((e) => e.type !== 'session.interrupted');
      let last = 0;
      for (const e of incoming) if (e.time > last) last = e.time;
      const ending = options.ending;
      const over = ending && ending.now - last > ending.inactivityMs ? importedEnding(sessionId, incoming) : undefined;
      if (over) incoming.push(prepare(over));
    }
    const merged = mergeByTime(kept, incoming);
    // Hooks append without the lock: keep the old file open across the replacement and carry over any
    // line that landed in it after it was read.
    let oldFd: number | undefined;
    try {
      oldFd = openSync(journal, 'r');
    } catch {
      oldFd = undefined;
    }
    try {
      const text = encodeEvents(merged);
      writeFileAtomicSync(journal, text);
      const carried = oldFd !== undefined ? carryOver(oldFd, end, journal) : false;
      // The journal's time is the session's last activity (liveness and retention read it), not the import's.
      if (!carried) keepActivityTime(store.dir, journal, Buffer.byteLength(text), merged);
    } finally {
      if (oldFd !== undefined) closeSync(oldFd);
    }
    return { recorded };
  } finally {
    release();
  }
}

function keepActivityTime(dir: string, journal: string, size: number, events: readonly AgentEvent[]): void {
  let last = 0;
  for (const e of events) if (e.time > last) last = e.time;
  if (last <= 0 || last >= Date.now()) return;
  try {
    if (statSync(journal).size !== size) return; // a hook appended meanwhile: that is newer activity
    const at = new Date(last);
    utimesSync(journal, at, at);
  } catch (error) {
    // the time stays as it is
    if (!isMissing(error)) logErrorLimited(dir, `import: journal time of ${journal} not kept`, error);
  }
}

/** Appends to the new journal what hooks appended to the old one after it was read; true when anything was. */
function carryOver(fd: number, from: number, journal: string): boolean {
  const size = fstatSync(fd).size;
  if (size <= from) return false;
  const buf = Buffer.alloc(size - from);
  let read = 0;
  while (read < buf.length) {
    const n = readSync(fd, buf, read, buf.length - read, from + read);
    if (n === 0) break;
    read += n;
  }
  const lastNl = buf.subarray(0, read).lastIndexOf(10);
  if (lastNl < 0) return false;
  appendSync(journal, buf.subarray(0, lastNl + 1));
  return true;
}

/** Stable merge by time; at equal times a kept session.start goes first and other kept events last. */
function mergeByTime(kept: AgentEvent[], incoming: AgentEvent[]): AgentEvent[] {
  const tagged = [
    ...kept.map((e, i) => ({ e, rank: e.type === 'session.start' ? 0 : 2, i })),
    ...incoming.map((e, i) => ({ e, rank: 1, i })),
  ];
  tagged.sort((a, b) => a.e.time - b.e.time || a.rank - b.rank || a.i - b.i);
  return tagged.map((t) => t.e);
}
