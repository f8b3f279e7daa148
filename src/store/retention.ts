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
  for (const sessionId of store.sessionIds()) {
    const folder = store.folder(sessionId);
    const doc = store.load(sessionId);
    // Age is when the session happened (its last event), not when its files were written: an import of a
    // year-old transcript is a year old.
    const lastActivity = doc ? (doc.endTime ?? doc.startTime + doc.summary.durationMs) : 0;
    let lastWrite = 0;
    try {
      lastWrite = statSync(join(folder, JOURNAL_FILE)).mtimeMs;
    } catch {
      // no journal: nothing is writing to it
    }
    const live = existsSync(join(folder, LOCK_FILE)) || (doc?.status === 'running' && now - Math.max(lastActivity, lastWrite) < liveWindow);
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
