import type { SessionListEntry } from '../server/api-types.js';

/** A page of the session list: `GET /api/sessions?offset&limit`, newest first. */
interface ListPage {
  version: number;
  total: number;
  offset: number;
  sessions: SessionListEntry[];
}

/** What the list page knows of the sessions so far. */
export interface ListState {
  entries: SessionListEntry[];
  /** Sessions the server has (the rows arrive page by page). */
  total: number;
  /** Whether every page of the current list version has arrived. */
  complete: boolean;
}

/** The first page is small, so the newest sessions paint at once; the rest come in the server's largest pages. */
export const FIRST_PAGE = 100;
const REST_PAGE = 1_000;
/** How stale a row below the first page may get while the list changes live. */
const FULL_EVERY_MS = 30_000;

/**
 * Loads the session list page by page and keeps it current. The newest rows are handed over first; the others
 * follow in the background, so sorting, filtering and search work on the rows that have arrived and on all of
 * them a moment later (5,000 sessions are five more requests). A refresh asked for while one runs (the live
 * stream says the list changed) runs once more after it, never in parallel; a live refresh usually reads only
 * the first page (see load()).
 *
 * Rows are merged by session id: a session that appears while the pages are read shifts the offsets by one,
 * which at worst reads a row twice; a row missed because the list shrank meanwhile comes with the next refresh,
 * which a changed version always triggers.
 */
export class ListSource {
  private entries = new Map<string, SessionListEntry>();
  private version = -1;
  /** The version the running load reads (the live stream announces it again when a page connects). */
  private loading = -1;
  private firstEtag = '';
  private total = 0;
  /** Whether every page has been read once (later reloads keep the rows shown until their pages arrive). */
  private complete = false;
  private lastFull = 0;
  private running = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly onState: (state: ListState) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Loads the list (again); `version` is the list version the live stream announced, if any. */
  refresh(version?: number): void {
    if (this.closed || (version !== undefined && version === (this.running ? this.loading : this.version))) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.load()
      .catch((error: unknown) => this.onError((error as Error).message))
      .finally(() => {
        this.running = false;
        if (this.again && !this.closed) {
          this.again = false;
          this.refresh();
        }
      });
  }

  close(): void {
    this.closed = true;
  }

  private async page(offset: number, limit: number, etag = ''): Promise<ListPage | undefined> {
    const res = await fetch(`/api/sessions?offset=${offset}&limit=${limit}`, { headers: etag ? { 'if-none-match': etag } : {} });
    if (res.status === 304) return undefined;
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
    if (offset === 0) this.firstEtag = res.headers.get('etag') ?? '';
    return (await res.json()) as ListPage;
  }

  private async load(): Promise<void> {
    const first = await this.page(0, FIRST_PAGE, this.version >= 0 ? this.firstEtag : '');
    if (!first || this.closed) return; // 304: the list has not changed
    this.loading = first.version;
    // Live: changes happen among the newest sessions. When the count agrees (sessions were only added, all of
    // them among the newest), the first page is merged into the rows kept; otherwise, and at least every
    // FULL_EVERY_MS, every page is read again (an older session that changed shows then).
    const added = first.sessions.filter((e) => !this.entries.has(e.sessionId)).length;
    if (this.complete && first.total === this.total + added && Date.now() - this.lastFull < FULL_EVERY_MS) {
      const merged = new Map(this.entries);
      for (const e of first.sessions) merged.set(e.sessionId, e);
      this.publish(merged, first.total, true);
      this.version = first.version;
      return;
    }
    // the newest rows at once, over what was shown before (dropped rows go when every page is in)
    const seen = new Map<string, SessionListEntry>();
    for (const e of first.sessions) seen.set(e.sessionId, e);
    const keep = (more: boolean) => new Map([...seen, ...(more ? [...this.entries].filter(([id]) => !seen.has(id)) : [])]);
    let total = first.total;
    this.publish(keep(first.sessions.length < total), total, this.complete || first.sessions.length >= total);
    let changed = false;
    for (let offset = first.sessions.length; offset < total; offset += REST_PAGE) {
      const page = await this.page(offset, REST_PAGE);
      if (!page || this.closed) return;
      for (const e of page.sessions) seen.set(e.sessionId, e);
      total = page.total;
      if (page.version !== first.version) changed = true;
      this.publish(keep(offset + REST_PAGE < total), total, this.complete || offset + REST_PAGE >= total);
    }
    this.version = first.version;
    this.lastFull = Date.now();
    if (changed) this.again = true;
  }

  private publish(entries: Map<string, SessionListEntry>, total: number, complete: boolean): void {
    this.entries = entries;
    this.total = total;
    this.complete = complete;
    this.onState({ entries: [...entries.values()], total, complete });
  }
}
