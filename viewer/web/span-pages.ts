import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';

export type TraceHeader = Omit<TraceDocument, 'spans'>;

/** `GET /api/sessions/:id`: the session's header without its spans. */
interface HeaderAnswer {
  epoch: number;
  version: number;
  total: number;
  header: TraceHeader;
  problems: string[];
}

/** `GET /api/sessions/:id/spans?offset&limit`: spans in document order. */
interface SpanPage {
  epoch: number;
  version: number;
  total: number;
  offset: number;
  spans: TraceSpan[];
}

/** A session as loaded page by page: its header, its spans, and the version the live stream continues from. */
export interface LoadedSession {
  header: TraceHeader;
  problems: string[];
  epoch: number;
  /** The header's version: every span changed after it comes again over the live stream. */
  version: number;
  spans: TraceSpan[];
}

/** The first page is small, so the beginning of a big session paints at once; the others are the server's largest. */
const FIRST_PAGE_SIZE = 1_000;
const PAGE_SIZE = 5_000;
/** Pages in flight at once: the network and the server work while the browser parses the previous page. */
const PARALLEL = 4;

/** Where a session's API lives. */
export function apiSession(id: string): string {
  return `/api/sessions/${encodeURIComponent(id)}`;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    let message = res.status === 404 ? 'unknown session' : `the server answered ${res.status}`;
    try {
      const body = (await res.json()) as { error?: unknown };
      if (res.status !== 404 && typeof body.error === 'string') message = body.error;
    } catch {
      // not JSON: the status says enough
    }
    throw new Error(message);
  }
  return (await res.json()) as T;
}

/**
 * Loads a session by pages instead of as one document: no single string of a whole big trace in the browser,
 * and the pages' transfer and parsing overlap. `onFirst` receives the header and the first page as soon as they
 * arrive (when there are more pages), so a big session paints its beginning while the rest loads;
 * `onProgress` hears how many spans have arrived.
 *
 * A running session may change between pages: the pages are taken at or after the header's version, and the
 * live stream resends every span changed after that version, so nothing is lost (a span seen twice is merged by
 * id). An epoch change (the session was rebuilt) restarts the load.
 */
export async function loadSessionPages(
  id: string,
  on: { first?: (start: LoadedSession) => void; progress?: (loaded: number, total: number) => void } = {},
): Promise<LoadedSession> {
  for (let attempt = 0; ; attempt++) {
    const head = await getJson<HeaderAnswer>(apiSession(id));
    const pageUrl = (offset: number, limit = PAGE_SIZE) => `${apiSession(id)}/spans?offset=${offset}&limit=${limit}`;
    const session = (spans: TraceSpan[]): LoadedSession => ({ header: head.header, problems: head.problems, epoch: head.epoch, version: head.version, spans });
    const first = await getJson<SpanPage>(pageUrl(0, FIRST_PAGE_SIZE));
    let total = Math.max(head.total, first.total);
    const pages: SpanPage[] = [first];
    let loaded = first.spans.length;
    if (first.epoch === head.epoch && total > FIRST_PAGE_SIZE) {
      on.first?.(session(first.spans));
      on.progress?.(loaded, total);
    }
    let next = FIRST_PAGE_SIZE;
    let rebuilt = first.epoch !== head.epoch;
    const worker = async (): Promise<void> => {
      while (next < total && !rebuilt) {
        const page = await getJson<SpanPage>(pageUrl((next += PAGE_SIZE) - PAGE_SIZE));
        if (page.epoch !== head.epoch) rebuilt = true;
        // the session grew while loading: the new spans are read too (the live stream would also bring them)
        total = Math.max(total, page.total);
        pages.push(page);
        loaded += page.spans.length;
        on.progress?.(loaded, total);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    if (rebuilt && attempt < 3) continue;
    pages.sort((a, b) => a.offset - b.offset);
    const spans: TraceSpan[] = [];
    for (const p of pages) for (const s of p.spans) spans.push(s);
    return session(spans);
  }
}
