import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionStore } from './session-store.js';
import { JOURNAL_FILE, LOCK_FILE } from './paths.js';

export interface RetentionPolicy {
  maxAgeDays?: number;
  maxSessions?: number;
  /** A running session seen active within this window is live and never removed (default 24 h). */
  liveWindowMs?: number;
  now?: number;
  dryRun?: boolean;
  /** Told about each session that could not be read (it is kept). */
  onProblem?: (problem: string) => void;
}

export interface RetentionResult {
  removed: string[];
  kept: number;
}

interface Candidate {
  sessionId: string;
  folder: string;
  lastActivity: number;
  live: boolean;
}

/**
 * Removes the oldest finished sessions, by the time of their last event (never by name or file date), first those past the age
 * limit, then the oldest beyond the count limit. A live session — running and recently active, or holding
 * its lock — is never removed and still counts towards the limit.
 */
export function applyRetention(store: SessionStore, policy: RetentionPolicy): RetentionResult {
  const now = policy.now ?? Date.now();
  const liveWindow = policy.liveWindowMs ?? 24 * 3600_000;
  const candidates: Candidate[] = [];
  // Summaries only: deciding what to remove never reads a span. A session that cannot be read is left alone.
  for (const summary of store.summaries(policy.onProblem)) {
    const sessionId = summary.sessionId;
    const folder = store.folder(sessionId);
    let lastWrite = 0;
    try {
      lastWrite = statSync(join(folder, JOURNAL_FILE)).mtimeMs;
    } catch {
      // no journal: nothing is writing to it
    }
    // Age is when the session happened (its last event), not when its files were written: an import of a
    // year-old transcript is a year old. An event dated in the future is not believed: then the journal's
    // write time stands in, so a wrong clock never keeps a session forever.
    const lastActivity = summary.futureDated ? lastWrite : summary.lastActivity;
    const live = existsSync(join(folder, LOCK_FILE)) || (summary.header.status === 'running' && now - Math.max(lastActivity, lastWrite) < liveWindow);
    candidates.push({ sessionId, folder, lastActivity, live });
  }
  candidates.sort((a, b) => a.lastActivity - b.lastActivity);
  const remove = new Set<Candidate>();
  if (policy.maxAgeDays !== undefined) {
    const cutoff = now - policy.maxAgeDays * 86_400_000;
    for (const c of candidates) if (!c.live && c.lastActivity < cutoff) remove.add(c);
  }
  if (policy.maxSessions !== undefined) {
    let excess = candidates.length - remove.size - policy.maxSessions;
    for (const c of candidates) {
      if (excess <= 0) break;
      if (c.live || remove.has(c)) continue;
      remove.add(c);
      excess--;
    }
  }
  if (!policy.dryRun) for (const c of remove) rmSync(c.folder, { recursive: true, force: true });
  return { removed: [...remove].map((c) => c.sessionId), kept: candidates.length - remove.size };
}
