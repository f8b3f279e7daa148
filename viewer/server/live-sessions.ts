import { LRUCache } from 'lru-cache';
import type { FollowerStore } from '../../src/store/store-api.js';
import { LiveSession } from './live-session.js';

/**
 * The sessions the viewer keeps in memory, each brought up to date when asked for. Sessions someone watches
 * (an open live stream) are always kept — dropping one would renumber it and make its pages reload — and of
 * the others only the `max` most recently used (each may hold a whole trace).
 */
export class LiveSessions {
  private readonly recent: LRUCache<string, LiveSession>;
  private readonly watched = new Map<string, LiveSession>();

  constructor(
    private readonly store: FollowerStore,
    max = 12,
  ) {
    this.recent = new LRUCache({ max });
  }

  /**
   * The session, created on first use and refreshed. A session that cannot be read is not kept (the folder may
   * have been caught half-written): the next request tries again. Throws what the store throws.
   */
  get(id: string): LiveSession {
    let live = this.watched.get(id) ?? this.recent.get(id);
    if (!live) {
      live = new LiveSession(this.store, id);
      this.recent.set(id, live);
    }
    try {
      live.refresh();
    } catch (error) {
      this.delete(id);
      throw error;
    }
    return live;
  }

  has(id: string): boolean {
    return this.watched.has(id) || this.recent.has(id);
  }

  delete(id: string): void {
    this.watched.delete(id);
    this.recent.delete(id);
  }

  /** Which sessions are watched now: those are kept whatever their use; the others return to the LRU. */
  setWatched(ids: ReadonlySet<string>): void {
    for (const [id, live] of this.watched) {
      if (ids.has(id)) continue;
      this.watched.delete(id);
      this.recent.set(id, live);
    }
    for (const id of ids) {
      const live = this.recent.get(id);
      if (!live) continue;
      this.recent.delete(id);
      this.watched.set(id, live);
    }
  }
}
