import type { SessionStore } from '../../src/store/session-store.js';

const LIVENESS_MS = 30_000;

/**
 * A running session whose agent went away never says so itself: the store's reconcile step notices (the agent
 * process is gone, or the session sat idle too long), catches up its transcript and records the interruption
 * in the journal, which the viewer's next look picks up like any other change. Asked at most every
 * `LIVENESS_MS` per session, and not at all for a session that wrote a moment ago.
 */
export class LivenessChecks {
  private readonly checked = new Map<string, number>();

  constructor(private readonly store: Pick<SessionStore, 'lastActivity' | 'reconcile'>) {}

  check(id: string, status: string | undefined): void {
    if (status !== 'running') return;
    const now = Date.now();
    if (now - (this.checked.get(id) ?? 0) < LIVENESS_MS) return;
    this.checked.set(id, now);
    if (now - this.store.lastActivity(id) < LIVENESS_MS) return;
    try {
      this.store.reconcile({ sessions: [id] });
    } catch {
      // Unreadable right now (reconcile logs what it could not write); the next check tries again.
    }
  }
}
