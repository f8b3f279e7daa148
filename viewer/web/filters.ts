/** The structured session filters of the Insights and Search pages, as they appear in the URL. */
export const FILTER_KEYS = ['project', 'branch', 'agent', 'model', 'status', 'errors', 'tool', 'since', 'until'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

export function filtersFrom(params: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** URL query text of filters plus extra fields, in a stable order. */
export function queryText(filters: Filters, extra: Record<string, string | undefined> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(extra)) if (v) p.set(k, v);
  for (const k of FILTER_KEYS) if (filters[k]) p.set(k, filters[k]!);
  return p.toString();
}

/** The filtered session list (the Search page without words). */
export function sessionsHref(filters: Filters, q?: string): string {
  const text = queryText(filters, { q });
  return `#/search${text ? `?${text}` : ''}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
const day = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** The first and last local date of a time bucket key (YYYY-MM-DD for days and weeks, YYYY-MM for months). */
export function bucketDates(bucket: 'day' | 'week' | 'month', key: string): { since: string; until: string } {
  if (bucket === 'month') {
    const [y, m] = key.split('-').map(Number) as [number, number];
    return { since: `${key}-01`, until: day(new Date(y, m, 0)) };
  }
  if (bucket === 'week') {
    const [y, m, d] = key.split('-').map(Number) as [number, number, number];
    return { since: key, until: day(new Date(y, m - 1, d + 6)) };
  }
  return { since: key, until: key };
}

/** A range name (7d, 30d, 90d) as a since date. */
export function rangeSince(range: string, now = new Date()): string | undefined {
  const m = /^(\d+)d$/.exec(range);
  if (!m) return undefined;
  return day(new Date(now.getFullYear(), now.getMonth(), now.getDate() - Number(m[1]) + 1));
}
