import { debounce, h, icon, isTyping, replaceChildren } from './dom.js';
import { fmtAgo, fmtCost, fmtDate, fmtDuration, fmtInt, fmtTokens, oneLine, plausibleRange, shortModel } from './format.js';
import { ListSource, type ListState } from './list-source.js';
import { sessionHref, statusBadge } from './shared.js';
import type { SessionListEntry } from '../server/api-types.js';

/** A row of the session list, as the server's `/api/sessions` sends it. */
export type ListEntry = SessionListEntry;

/** Rows rendered above and below the screen. */
const LIST_OVERSCAN = 10;

type SortKey = 'start' | 'duration' | 'tokens' | 'cost' | 'tools' | 'errors';

interface Filters {
  q: string;
  status: string;
  agent: string;
  model: string;
  since: string;
  sort: SortKey;
  dir: 'desc' | 'asc';
}

const SORTS: Array<[SortKey, string]> = [
  ['start', 'Start time'],
  ['duration', 'Duration'],
  ['tokens', 'Tokens'],
  ['cost', 'Cost'],
  ['tools', 'Tool calls'],
  ['errors', 'Errors'],
];

const SINCE: Array<[string, string, number]> = [
  ['', 'Any time', 0],
  ['1d', 'Last 24 hours', 86_400_000],
  ['7d', 'Last 7 days', 7 * 86_400_000],
  ['30d', 'Last 30 days', 30 * 86_400_000],
];

function tokensOf(e: ListEntry): number {
  const t = e.summary.tokens;
  return t.input + t.output + t.cacheRead + t.cacheWrite;
}

function durationOf(e: ListEntry, now: number): number | undefined {
  const ms = e.status === 'running' ? Math.max(e.summary.durationMs, now - e.startTime) : e.summary.durationMs;
  return plausibleRange(e.startTime, ms) ? ms : undefined;
}

function sortValue(e: ListEntry, key: SortKey, now: number): number {
  switch (key) {
    case 'start':
      return e.startTime;
    case 'duration':
      return durationOf(e, now) ?? -1;
    case 'tokens':
      return tokensOf(e);
    case 'cost':
      return e.summary.cost?.usd ?? -1;
    case 'tools':
      return e.summary.toolCalls;
    case 'errors':
      return e.summary.toolErrors + (e.status === 'error' || e.status === 'crashed' ? 1 : 0);
  }
}

export function filtersFromQuery(query: string): Filters {
  const p = new URLSearchParams(query);
  const sort = (p.get('sort') ?? 'start') as SortKey;
  return {
    q: p.get('q') ?? '',
    status: p.get('status') ?? '',
    agent: p.get('agent') ?? '',
    model: p.get('model') ?? '',
    since: p.get('since') ?? '',
    sort: SORTS.some(([k]) => k === sort) ? sort : 'start',
    dir: p.get('dir') === 'asc' ? 'asc' : 'desc',
  };
}

function queryOf(f: Filters): string {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.status) p.set('status', f.status);
  if (f.agent) p.set('agent', f.agent);
  if (f.model) p.set('model', f.model);
  if (f.since) p.set('since', f.since);
  if (f.sort !== 'start') p.set('sort', f.sort);
  if (f.dir !== 'desc') p.set('dir', f.dir);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * The session list: newest first, searchable, filterable, sortable, live. Rows arrive page by page
 * (list-source.ts): the newest paint first, and sorting, filters and search apply to the rows loaded so far,
 * then to all of them once the background pages are in (the count says "loading" meanwhile). Only the rows near
 * the screen are in the DOM.
 */
export class ListView {
  readonly el: HTMLElement;
  private entries: ListEntry[] = [];
  /** Sessions on the server; `entries` holds them all once `complete`. */
  private total = 0;
  private complete = false;
  private readonly list = new ListSource(
    (state) => this.onListState(state),
    (message) => this.onListError(message),
  );
  private filters: Filters;
  private readonly body: HTMLElement;
  private readonly count: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly selects: Record<'status' | 'agent' | 'model' | 'since' | 'sort', HTMLSelectElement>;
  private readonly dirButton: HTMLButtonElement;
  private readonly scroller: HTMLElement;
  private readonly heading = h('h1', { class: 'visually-hidden', tabIndex: -1 }, 'Sessions');
  private source: EventSource | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private loaded = false;
  private shown: ListEntry[] = [];
  private rowHeight = 64;
  private winFirst = -1;
  private keepIndex: number | undefined;
  private winLast = -1;
  private error: string | undefined;

  constructor(query: string) {
    this.filters = filtersFromQuery(query);
    this.search = h('input', {
      class: 'search',
      type: 'search',
      placeholder: 'Search title, prompt, id, folder…  ( / )',
      value: this.filters.q,
      attrs: { 'aria-label': 'Search sessions', spellcheck: 'false' },
      on: { input: debounce(() => this.setFilter('q', this.search.value), 120) },
    });
    const select = (name: keyof Filters, label: string, options: Array<[string, string]>) =>
      h(
        'select',
        { attrs: { 'aria-label': label, name }, on: { change: (e) => this.setFilter(name, (e.target as HTMLSelectElement).value) } },
        options.map(([v, t]) => h('option', { value: v }, t)),
      );
    this.selects = {
      status: select('status', 'Status', [['', 'All statuses'], ['running', 'Running'], ['completed', 'Completed'], ['error', 'Error'], ['crashed', 'Crashed'], ['interrupted', 'Interrupted']]),
      agent: select('agent', 'Agent', [['', 'All agents']]),
      model: select('model', 'Model', [['', 'All models']]),
      since: select('since', 'Date', SINCE.map(([v, t]) => [v, t])),
      sort: select('sort', 'Sort by', SORTS.map(([k, t]) => [k, `Sort: ${t}`])),
    };
    this.dirButton = h('button', {
      class: 'button icon-button',
      type: 'button',
      title: 'Reverse the order',
      attrs: { 'aria-label': 'Reverse the order' },
      on: { click: () => this.setFilter('dir', this.filters.dir === 'desc' ? 'asc' : 'desc') },
    });
    this.count = h('span', { class: 'count' });
    this.body = h('tbody');
    const th = (label: string, key?: SortKey, cls = '') =>
      h(
        'th',
        { class: `${cls}${key ? ' sortable' : ''}`, dataset: key ? { sort: key } : undefined, on: key ? { click: () => this.sortBy(key) } : undefined },
        label,
      );
    this.scroller = h(
      'div',
      { class: 'list-scroll' },
      h(
        'table',
        { class: 'sessions' },
        h(
          'thead',
          null,
          h('tr', null, th('Status', undefined, 'c-status'), th('Session', undefined, 'c-title'), th('Agent', undefined, 'c-agent'), th('Started', 'start', 'c-start'), th('Duration', 'duration', 'num'), th('Tokens', 'tokens', 'num'), th('Cost', 'cost', 'num'), th('Tools', 'tools', 'num'), th('Errors', 'errors', 'num')),
        ),
        this.body,
      ),
    );
    this.el = h(
      'div',
      { class: 'page list-page' },
      this.heading,
      h('div', { class: 'list-toolbar' }, h('div', { class: 'search-box' }, icon('search'), this.search), this.selects.status, this.selects.agent, this.selects.model, this.selects.since, this.selects.sort, this.dirButton, this.count),
      this.scroller,
    );
    this.scroller.addEventListener('scroll', () => this.renderWindow(), { passive: true });
    this.syncControls();
    this.render();
    this.list.refresh();
    this.connect();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /** Puts the keyboard focus on the page's heading (after coming back from a session). */
  focusHeading(): void {
    this.heading.focus({ preventScroll: true });
  }

  setQuery(query: string): void {
    const next = filtersFromQuery(query);
    if (JSON.stringify(next) === JSON.stringify(this.filters)) return;
    this.filters = next;
    this.search.value = next.q;
    this.syncControls();
    this.render();
  }

  destroy(): void {
    this.list.close();
    this.source?.close();
    if (this.timer) clearInterval(this.timer);
  }

  onKey(e: KeyboardEvent): boolean {
    if (isTyping(e)) {
      if (e.key === 'Escape' && e.target === this.search) {
        this.search.value = '';
        this.setFilter('q', '');
        this.search.blur();
        return true;
      }
      if (e.key === 'ArrowDown' && e.target === this.search) {
        this.focusRow(0);
        return true;
      }
      return false;
    }
    if (e.key === '/') {
      this.search.focus();
      this.search.select();
      return true;
    }
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('tr.session-row');
    const at = focused ? Number(focused.dataset.index) : -1;
    if (e.key === 'ArrowDown' || e.key === 'j') {
      this.focusRow(Math.min(this.shown.length - 1, at + 1));
      return true;
    }
    if (e.key === 'ArrowUp' || e.key === 'k') {
      if (at <= 0) this.search.focus();
      else this.focusRow(at - 1);
      return true;
    }
    if (e.key === 'Enter' && focused) {
      location.hash = focused.dataset.href!;
      return true;
    }
    return false;
  }

  /** Focuses row `i` of the filtered list, rendering it first when it is outside the window. */
  private focusRow(i: number): void {
    if (i < 0 || i >= this.shown.length) return;
    const row = () => this.body.querySelector<HTMLElement>(`tr.session-row[data-index="${i}"]`);
    this.keepIndex = i;
    if (!row()) this.renderWindow(true);
    const r = row();
    if (r) {
      r.focus({ preventScroll: true });
      r.scrollIntoView({ block: 'nearest' });
    }
    this.keepIndex = undefined;
  }

  private connect(): void {
    const source = new EventSource('/api/live');
    source.addEventListener('sessions', (e) => {
      let version: number | undefined;
      try {
        version = (JSON.parse((e as MessageEvent<string>).data) as { version?: number }).version;
      } catch {
        version = undefined; // an unreadable message: load anyway
      }
      this.list.refresh(version);
    });
    this.source = source;
  }

  private onListState(state: ListState): void {
    const optionsChanged = !this.complete || state.complete;
    this.entries = state.entries;
    this.total = state.total;
    this.complete = state.complete;
    this.error = undefined;
    this.loaded = true;
    // the agent and model menus are filled from the rows: once early, once all are in
    if (optionsChanged) this.syncOptions();
    this.render();
    this.markPainted(state.complete);
  }

  private onListError(message: string): void {
    this.error = message;
    this.loaded = true;
    this.render();
  }

  /** Marks (for the bench and the tests) when the first rows and then all rows have been painted. */
  private markPainted(complete: boolean): void {
    const root = document.documentElement.dataset;
    if (root.listPainted && (!complete || root.listComplete)) return;
    requestAnimationFrame(() => {
      if (!root.listPainted) {
        performance.mark('agent-trace:list-painted');
        root.listPainted = '1';
      }
      if (complete && !root.listComplete) {
        performance.mark('agent-trace:list-complete');
        root.listComplete = '1';
      }
    });
  }

  private setFilter<K extends keyof Filters>(key: K, value: string): void {
    (this.filters as unknown as Record<string, string>)[key] = value;
    history.replaceState(null, '', `#/${queryOf(this.filters)}`);
    this.syncControls();
    this.render();
  }

  private sortBy(key: SortKey): void {
    if (this.filters.sort === key) this.setFilter('dir', this.filters.dir === 'desc' ? 'asc' : 'desc');
    else {
      this.filters.dir = 'desc';
      this.setFilter('sort', key);
    }
  }

  private syncOptions(): void {
    const fill = (select: HTMLSelectElement, all: string, values: string[], current: string) => {
      const options: Array<[string, string]> = [['', all], ...values.map((v): [string, string] => [v, v])];
      if (current && !values.includes(current)) options.push([current, current]);
      replaceChildren(select, options.map(([v, t]) => h('option', { value: v }, t)));
      select.value = current;
    };
    fill(this.selects.agent, 'All agents', [...new Set(this.entries.map((e) => e.agent.name))].sort(), this.filters.agent);
    fill(this.selects.model, 'All models', [...new Set(this.entries.flatMap((e) => e.models))].sort(), this.filters.model);
  }

  private syncControls(): void {
    this.selects.status.value = this.filters.status;
    this.selects.agent.value = this.filters.agent;
    this.selects.model.value = this.filters.model;
    this.selects.since.value = this.filters.since;
    this.selects.sort.value = this.filters.sort;
    replaceChildren(this.dirButton, icon(this.filters.dir === 'desc' ? 'expand' : 'collapse'));
    this.dirButton.title = this.filters.dir === 'desc' ? 'Descending (click for ascending)' : 'Ascending (click for descending)';
    for (const th of this.el.querySelectorAll<HTMLElement>('th.sortable')) {
      th.classList.toggle('sorted', th.dataset.sort === this.filters.sort);
      th.classList.toggle('asc', th.dataset.sort === this.filters.sort && this.filters.dir === 'asc');
    }
  }

  private visible(): ListEntry[] {
    const f = this.filters;
    const q = f.q.trim().toLowerCase();
    const now = Date.now();
    const since = SINCE.find(([k]) => k === f.since)?.[2] ?? 0;
    const out = this.entries.filter((e) => {
      if (f.status && e.status !== f.status) return false;
      if (f.agent && e.agent.name !== f.agent) return false;
      if (f.model && !e.models.includes(f.model)) return false;
      if (since) {
        const last = e.status === 'running' ? now : (e.endTime ?? e.startTime + e.summary.durationMs);
        if (last < now - since) return false;
      }
      if (q) {
        const hay = `${e.title ?? ''}\n${e.firstPrompt ?? ''}\n${e.sessionId}\n${e.cwd ?? ''}\n${e.gitBranch ?? ''}`.toLowerCase();
        if (!q.split(/\s+/).every((word) => hay.includes(word))) return false;
      }
      return true;
    });
    const sign = f.dir === 'asc' ? 1 : -1;
    out.sort((a, b) => sign * (sortValue(a, f.sort, now) - sortValue(b, f.sort, now)) || b.startTime - a.startTime);
    return out;
  }

  private render(): void {
    const scrollTop = this.scroller.scrollTop;
    const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.session;
    const rows = this.visible();
    this.count.textContent = !this.loaded
      ? 'loading…'
      : this.complete
        ? `${fmtInt(rows.length)} of ${fmtInt(this.total)} sessions`
        : `${fmtInt(rows.length)} of ${fmtInt(this.total)} sessions (loading ${fmtInt(this.entries.length)}…)`;
    if (this.error) {
      replaceChildren(this.body, h('tr', null, h('td', { class: 'empty-cell error-text', attrs: { colspan: '9' } }, `Could not load the sessions: ${this.error}`)));
      return;
    }
    if (this.loaded && this.entries.length === 0) {
      replaceChildren(
        this.body,
        h(
          'tr',
          null,
          h(
            'td',
            { class: 'empty-cell', attrs: { colspan: '9' } },
            h('div', { class: 'empty-title' }, 'No sessions yet'),
            h('div', null, 'Trace Claude Code with ', h('code', null, 'agent-trace install'), ', import transcripts with ', h('code', null, 'agent-trace import PATH'), ', or run ', h('code', null, 'agent-trace view --demo-if-empty'), ' to see a demo.'),
          ),
        ),
      );
      return;
    }
    if (this.loaded && rows.length === 0) {
      replaceChildren(this.body, h('tr', null, h('td', { class: 'empty-cell', attrs: { colspan: '9' } }, 'No session matches these filters.')));
      return;
    }
    this.shown = rows;
    this.scroller.scrollTop = scrollTop;
    this.renderWindow(true);
    if (focusedId) this.body.querySelector<HTMLElement>(`tr[data-session="${CSS.escape(focusedId)}"]`)?.focus();
  }

  /**
   * Only the rows on screen (and a margin) are in the DOM; two spacer rows stand for the others, so a list of
   * 5,000 sessions costs what a screenful costs. Rows are about the same height; it is measured, not assumed.
   */
  private renderWindow(force = false): void {
    const n = this.shown.length;
    const viewH = this.scroller.clientHeight || 800;
    let first = Math.max(0, Math.floor(this.scroller.scrollTop / this.rowHeight) - LIST_OVERSCAN);
    let last = Math.min(n, first + Math.ceil(viewH / this.rowHeight) + 2 * LIST_OVERSCAN);
    // the focused row stays in the DOM (and keeps the focus) while it is near the window
    const focusedAttr = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('tr.session-row')?.dataset.index;
    const keep = this.keepIndex ?? (focusedAttr !== undefined ? Number(focusedAttr) : undefined);
    if (keep !== undefined && keep < n && (this.keepIndex !== undefined || (keep > first - 50 && keep < last + 50))) {
      first = Math.min(first, keep);
      last = Math.max(last, keep + 1);
    }
    if (!force && first === this.winFirst && last === this.winLast) return;
    this.winFirst = first;
    this.winLast = last;
    const spacer = (px: number) => {
      const td = h('td', { attrs: { colspan: '9' } });
      td.style.height = `${px}px`;
      return h('tr', { class: 'spacer-row', attrs: { 'aria-hidden': 'true' } }, td);
    };
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) rows.push(this.row(this.shown[i]!, i));
    // the focused row keeps the focus when the window moves
    const focused = focusedAttr;
    replaceChildren(this.body, first > 0 ? spacer(first * this.rowHeight) : null, rows, last < n ? spacer((n - last) * this.rowHeight) : null);
    if (focused !== undefined) this.body.querySelector<HTMLElement>(`tr.session-row[data-index="${focused}"]`)?.focus({ preventScroll: true });
    this.remeasure(rows);
  }

  /**
   * Rows differ in height (a prompt line or not): the estimate is the mean of the rows on screen. When it
   * changes, the spacers are resized and the scroll position keeps the same row at the top (or the bottom at the
   * bottom), so a drag to the end of the list lands on the last session.
   */
  private remeasure(rows: HTMLElement[]): void {
    if (this.measuring || rows.length === 0) return;
    let sum = 0;
    for (const r of rows) sum += r.offsetHeight;
    const mean = sum / rows.length;
    if (!(mean > 0) || Math.abs(mean - this.rowHeight) <= 2) return;
    const s = this.scroller;
    const atEnd = s.scrollTop > 0 && s.scrollTop + s.clientHeight >= s.scrollHeight - 2;
    const topRow = s.scrollTop / this.rowHeight;
    this.measuring = true;
    try {
      this.rowHeight = mean;
      this.renderWindow(true);
      s.scrollTop = atEnd ? s.scrollHeight : topRow * mean;
      this.renderWindow(true);
    } finally {
      this.measuring = false;
    }
  }

  private measuring = false;

  private row(e: ListEntry, index: number): HTMLElement {
    const href = sessionHref(e.sessionId);
    const errors = e.summary.toolErrors;
    const meta = [e.sessionId.slice(0, 12), e.cwd, e.gitBranch ? `⎇ ${e.gitBranch}` : null].filter((x): x is string => !!x);
    const tr = h(
      'tr',
      {
        class: `session-row status-${e.status}`,
        tabIndex: 0,
        dataset: { session: e.sessionId, href, index: String(index) },
        on: {
          click: (ev) => {
            if ((ev.target as HTMLElement).closest('a')) return;
            location.hash = href;
          },
        },
      },
      h(
        'td',
        { class: 'c-status' },
        statusBadge(e.status),
        e.status === 'running' && e.lastActivity && Date.now() - e.lastActivity > 120_000
          ? h('div', { class: 'dim small idle', title: 'no event recorded for a while' }, `idle ${fmtAgo(e.lastActivity).replace(/ ago$/, '')}`)
          : null,
      ),
      h(
        'td',
        { class: 'c-title' },
        h('a', { class: 'session-title', href, tabIndex: -1 }, e.title ?? oneLine(e.firstPrompt ?? '', 90) ?? e.sessionId),
        e.firstPrompt && e.firstPrompt !== e.title ? h('div', { class: 'session-prompt' }, oneLine(e.firstPrompt, 160)) : null,
        h(
          'div',
          { class: 'session-meta' },
          meta.map((m) => h('span', null, m)),
          // what the store noticed reading the session (skipped journal lines, a time not trusted)
          e.problems?.length ? h('span', { class: 'row-problems', title: e.problems.join('\n') }, `⚠ ${e.problems.join('; ')}`) : null,
        ),
      ),
      h('td', { class: 'c-agent' }, h('div', null, e.agent.name, e.agent.version ? h('span', { class: 'dim' }, ` ${e.agent.version}`) : null), h('div', { class: 'dim small' }, e.models.map(shortModel).join(', '))),
      // a relative time, the exact date in its tooltip (once; an old session's "ago" is already a date)
      h('td', { class: 'c-start', title: fmtDate(e.startTime) }, h('time', { attrs: { datetime: new Date(e.startTime).toISOString() } }, fmtAgo(e.startTime))),
      h('td', { class: 'num duration', dataset: { start: String(e.startTime), label: 'Duration' } }, fmtDuration(durationOf(e, Date.now()))),
      h('td', { class: 'num', dataset: { label: 'Tokens' }, title: `${fmtInt(e.summary.tokens.input)} input · ${fmtInt(e.summary.tokens.output)} output · ${fmtInt(e.summary.tokens.cacheRead)} cache read · ${fmtInt(e.summary.tokens.cacheWrite)} cache write` }, fmtTokens(tokensOf(e))),
      h('td', { class: 'num', dataset: { label: 'Cost' }, title: 'estimated from list prices' }, e.summary.cost ? fmtCost(e.summary.cost.usd) : '–'),
      h('td', { class: 'num' }, fmtInt(e.summary.toolCalls)),
      h('td', { class: `num${errors ? ' has-errors' : ''}` }, errors ? fmtInt(errors) : '0'),
    );
    return tr;
  }

  private tick(): void {
    const now = Date.now();
    for (const e of this.entries) {
      if (e.status !== 'running') continue;
      const cell = this.body.querySelector<HTMLElement>(`tr[data-session="${CSS.escape(e.sessionId)}"] td.duration`);
      if (cell) cell.textContent = fmtDuration(durationOf(e, now));
    }
  }
}
