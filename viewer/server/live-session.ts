import { SessionFollower } from '../../src/store/session-follower.js';
import type { FollowerStore } from '../../src/store/store-api.js';
import { skippedLinesProblem } from '../../src/store/summary.js';
import { SpanTable } from './span-table.js';

/**
 * The largest trace the viewer keeps in memory (as one string per span). A bigger session is refused by name
 * (413); every other session is served as usual.
 */
export const MAX_VIEWER_TRACE_BYTES = 384 * 1024 * 1024;

/**
 * One session as the viewer serves it: a `SpanTable` kept up to date by the store's `SessionFollower`, so a
 * big running session costs only what changed in it.
 */
export class LiveSession extends SpanTable {
  readonly follower: SessionFollower;

  constructor(
    store: FollowerStore,
    readonly id: string,
  ) {
    super();
    this.follower = new SessionFollower(store, id, { bytes: MAX_VIEWER_TRACE_BYTES, what: 'for the viewer' });
  }

  /** Brings the session up to date with the store; true when anything changed. */
  refresh(): boolean {
    const update = this.follower.update();
    return update ? this.apply(update) : false;
  }

  /** What is wrong with the session's files, in words (shown in the viewer's header). */
  get problems(): string[] {
    return skippedLinesProblem(this.follower.skippedLines);
  }
}
