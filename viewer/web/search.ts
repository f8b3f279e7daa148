import type { SessionFacts } from '../../src/model/session-facts.js';
import type { SearchField } from '../../src/model/search-text.js';
import type { UsageRow } from '../../src/model/usage-stats.js';
import { debounce, h, icon, isTyping, replaceChildren, type Child } from './dom.js';
import { filtersFrom, FILTER_KEYS, sessionsHref, type FilterKey, type Filters } from './filters.js';
import { fmtCost, fmtDate, fmtInt, fmtTokens, oneLine, shortModel } from './format.js';
import { sessionHref, statusBadge, type Tab } from './shared.js';

type SessionRow = Omit<SessionFacts, 'topTurns' | 'byModel' | 'byTool'> & { hits: number };
interface Hit {
  sessionId: string;
  spanId: string;
  field: SearchField;
  time: number;
  snippet: string;
}
interface Result {
  q: string;
  sessions: SessionRow[];
  /** All matching sessions (the list holds at most a few hundred). */
  sessionCount: number;
  hits: Hit[];
  totalHits: number;
  totals: UsageRow;
}
interface Facets {
  projects: string[];
  branches: string[];
  agents: string[];
  models: string[];
  tools: string[];
}

const FIELD_LABEL: Record<SearchField, string> = {
  prompt: 'prompt',
  assistant: 'answer',
  tool_input: 'tool input',
  tool_output: 'tool output',
  path: 'file path',
  error: 'error',
};

/** Where a hit opens: prompts and answers in the chat, tool calls in the waterfall. */
const FIELD_TAB: Record<SearchField, Tab> = {
  prompt: 'chat',
  assistant: 'chat',
  tool_input: 'waterfall',
  tool_output: 'waterfall',
  path: 'waterfall',
  error: 'waterfall',
};

/** A snippet with its matches (between \u0001 and \u0002) as <mark>, everything as text. */
function snippet(text: string): Child[] {
  const out: Child[] = [];
  for (const part of text.split('\u0001')) {
    const end = part.indexOf('\u0002');
    if (end < 0) out.push(part);
    else out.push(h('mark', null, part.slice(0, end)), part.slice(end + 1));
  }
  return out;
}

const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;
const pct = (n: number) => `${(n * 100).toFixed(n > 0 && n < 0.1 ? 1 : 0)}%`;
const HITS_PER_SESSION = 5;

/**
 * Search through every session, and the filtered session list the Insights page links to: words go through
 * the full-text index, filters (project, branch, agent, model, status, errors, tool, dates) are kept in the
 * URL, and a totals row sums whatever matched.
 */
export class SearchPage {
  readonly el: HTMLElement;
  private q: string;
  private filters: Filters;
  private readonly input: HTMLInputElement;
  private readonly controls: Partial<Record<FilterKey, HTMLSelectElement | HTMLInputElement>> = {};
  private readonly totals: HTMLElement;
  private readonly results: HTMLElement;
  private facets: Facets = { projects: [], branches: [], agents: [], models: [], tools: [] };
  private request = 0;

  constructor(query: string) {
    const p = new URLSearchParams(query);
    this.q = p.get('q') ?? '';
    this.filters = filtersFrom(p);
    this.input = h('input', {
      class: 'search',
      type: 'search',
      placeholder: 'Search prompts, answers, commands, outputs, file paths, errors…  ( / )',
      value: this.q,
      attrs: { 'aria-label': 'Search every session', spellcheck: 'false' },
      on: { input: debounce(() => this.set({ q: this.input.value }), 200) },
    });
    const select = (key: FilterKey, label: string) =>
      (this.controls[key] = h('select', { attrs: { 'aria-label': label, name: key }, on: { change: (e) => this.setFilter(key, (e.target as HTMLSelectElement).value) } }));
    const date = (key: FilterKey, label: string) =>
      (this.controls[key] = h('input', { type: 'date', class: 'date-input', attrs: { 'aria-label': label, name: key }, on: { change: (e) => this.setFilter(key, (e.target as HTMLInputElement).value) } }));
    const errors = h('input', { type: 'checkbox', attrs: { name: 'errors' }, on: { change: (e) => this.setFilter('errors', (e.target as HTMLInputElement).checked ? '1' : '') } });
    this.controls.errors = errors;
    this.totals = h('div', { class: 'search-totals', role: 'status', attrs: { 'aria-live': 'polite' } });
    this.results = h('div', { class: 'search-results' });
    this.el = h(
      'div',
      { class: 'page search-page' },
      h(
        'div',
        { class: 'list-toolbar search-toolbar' },
        h('div', { class: 'search-box' }, icon('search'), this.input),
        select('project', 'Project'),
        select('branch', 'Branch'),
        select('agent', 'Agent'),
        select('model', 'Model'),
        select('status', 'Status'),
        select('tool', 'Tool'),
        h('label', { class: 'date-label' }, 'from ', date('since', 'Started on or after')),
        h('label', { class: 'date-label' }, 'to ', date('until', 'Started on or before')),
        h('label', { class: 'check-label' }, errors, ' with errors'),
      ),
      h('div', { class: 'list-scroll' }, this.totals, this.results),
    );
    this.fillControls();
    void this.loadFacets();
    void this.load();
  }

  setQuery(query: string): void {
    const p = new URLSearchParams(query);
    const q = p.get('q') ?? '';
    const filters = filtersFrom(p);
    if (q === this.q && JSON.stringify(filters) === JSON.stringify(this.filters)) return;
    this.q = q;
    this.filters = filters;
    if (this.input.value !== q) this.input.value = q;
    this.fillControls();
    void this.load();
  }

  destroy(): void {
    this.request++;
  }

  onKey(e: KeyboardEvent): boolean {
    if (e.key === '/' && !isTyping(e)) {
      this.input.focus();
      this.input.select();
      return true;
    }
    return false;
  }

  private set(next: { q?: string; filters?: Filters }): void {
    if (next.q !== undefined) this.q = next.q.trim();
    if (next.filters) this.filters = next.filters;
    history.replaceState(null, '', sessionsHref(this.filters, this.q || undefined));
    this.fillControls();
    void this.load();
  }

  private setFilter(key: FilterKey, value: string): void {
    const filters = { ...this.filters };
    if (value) filters[key] = value;
    else delete filters[key];
    this.set({ filters });
  }

  private async loadFacets(): Promise<void> {
    try {
      const res = await fetch('/api/stats/facets');
      if (res.ok) this.facets = (await res.json()) as Facets;
    } catch {
      // the selects keep what the URL holds
    }
    this.fillControls();
  }

  private fillControls(): void {
    const fill = (key: FilterKey, all: string, values: string[], label: (v: string) => string = (v) => v) => {
      const select = this.controls[key] as HTMLSelectElement;
      const current = this.filters[key] ?? '';
      const list = current && !values.includes(current) ? [...values, current] : values;
      replaceChildren(select, h('option', { value: '' }, all), list.map((v) => h('option', { value: v, title: v }, label(v))));
      select.value = current;
    };
    fill('project', 'All projects', this.facets.projects, baseName);
    fill('branch', 'All branches', this.facets.branches);
    fill('agent', 'All agents', this.facets.agents);
    fill('model', 'All models', this.facets.models, shortModel);
    fill('status', 'All statuses', ['completed', 'running', 'interrupted', 'error', 'crashed']);
    fill('tool', 'All tools', this.facets.tools);
    (this.controls.since as HTMLInputElement).value = this.filters.since ?? '';
    (this.controls.until as HTMLInputElement).value = this.filters.until ?? '';
    (this.controls.errors as HTMLInputElement).checked = this.filters.errors === '1';
  }

  private async load(): Promise<void> {
    const id = ++this.request;
    const params = new URLSearchParams();
    if (this.q) params.set('q', this.q);
    for (const k of FILTER_KEYS) if (this.filters[k]) params.set(k, this.filters[k]!);
    params.set('limit', '300');
    let result: Result;
    try {
      const res = await fetch(`/api/search?${params}`);
      if (!res.ok) throw new Error(((await res.json().catch(() => ({}))) as { error?: string }).error ?? `the server answered ${res.status}`);
      result = (await res.json()) as Result;
    } catch (error) {
      if (id === this.request) {
        replaceChildren(this.totals);
        replaceChildren(this.results, h('p', { class: 'error-text empty-cell' }, `Could not search: ${(error as Error).message}`));
      }
      return;
    }
    if (id !== this.request) return;
    this.render(result);
  }

  private render(r: Result): void {
    const t = r.totals;
    const tokens = t.tokens.input + t.tokens.output + t.tokens.cacheRead + t.tokens.cacheWrite;
    replaceChildren(
      this.totals,
      h(
        'table',
        { class: 'data-table totals-table' },
        h('caption', { class: 'sr-only' }, 'Totals of the matching sessions'),
        h('thead', null, h('tr', null, ['Sessions', ...(r.q ? ['Hits'] : []), 'Turns', 'Model calls', 'Tool calls', 'Failed', 'Tokens', 'Cache hit', 'Cost'].map((x) => h('th', { class: 'num', attrs: { scope: 'col' } }, x)))),
        h(
          'tbody',
          null,
          h(
            'tr',
            { class: 'total' },
            [fmtInt(t.sessions), ...(r.q ? [fmtInt(r.totalHits)] : []), fmtInt(t.turns ?? 0), fmtInt(t.generations), fmtInt(t.toolCalls), `${fmtInt(t.toolErrors)} (${pct(t.failureRate)})`, fmtTokens(tokens), pct(t.cacheHitRatio), fmtCost(t.costUsd)].map((x) => h('td', { class: 'num' }, x)),
          ),
        ),
      ),
    );
    if (r.sessions.length === 0) {
      replaceChildren(this.results, h('div', { class: 'empty-cell' }, h('div', { class: 'empty-title' }, r.q ? 'Nothing matches' : 'No session matches these filters'), h('div', null, r.q ? 'Try fewer words, or remove a filter.' : 'Remove a filter to see more.')));
      return;
    }
    const hitsBySession = new Map<string, Hit[]>();
    for (const hit of r.hits) {
      const list = hitsBySession.get(hit.sessionId) ?? [];
      list.push(hit);
      hitsBySession.set(hit.sessionId, list);
    }
    // sessions with listed hits first (best hit first), then the rest newest first
    const rank = new Map<string, number>();
    r.hits.forEach((hit, i) => rank.has(hit.sessionId) || rank.set(hit.sessionId, i));
    const sessions = [...r.sessions].sort((a, b) => (rank.get(a.sessionId) ?? Infinity) - (rank.get(b.sessionId) ?? Infinity) || b.startTime - a.startTime);
    const more = r.sessionCount - r.sessions.length;
    replaceChildren(
      this.results,
      h('ol', { class: 'search-sessions', attrs: { 'aria-label': 'Matching sessions' } }, sessions.map((s) => this.session(s, hitsBySession.get(s.sessionId) ?? []))),
      more > 0 ? h('p', { class: 'note empty-cell' }, `${fmtInt(more)} more sessions match; narrow the filters to list them.`) : null,
    );
  }

  private session(s: SessionRow, hits: Hit[]): HTMLElement {
    const tokens = s.summary.tokens.input + s.summary.tokens.output + s.summary.tokens.cacheRead + s.summary.tokens.cacheWrite;
    const meta = [s.agent, s.cwd ? baseName(s.cwd) : null, s.gitBranch ? `⎇ ${s.gitBranch}` : null, fmtDate(s.startTime), `${fmtTokens(tokens)} tokens`, s.summary.cost ? fmtCost(s.summary.cost.usd) : null, s.summary.toolErrors ? `${s.summary.toolErrors} failed` : null].filter((x): x is string => !!x);
    return h(
      'li',
      { class: 'search-session', dataset: { session: s.sessionId } },
      h(
        'div',
        { class: 'search-session-head' },
        statusBadge(s.status),
        h('a', { class: 'session-title', href: sessionHref(s.sessionId) }, oneLine(s.title ?? s.sessionId, 120)),
        s.hits ? h('span', { class: 'chip' }, `${fmtInt(s.hits)} hit${s.hits === 1 ? '' : 's'}`) : null,
      ),
      h('div', { class: 'session-meta' }, meta.map((m) => h('span', null, m))),
      hits.length
        ? h(
            'ul',
            { class: 'result-hits' },
            hits.slice(0, HITS_PER_SESSION).map((hit) =>
              h(
                'li',
                null,
                h('a', { class: 'result-hit', href: sessionHref(hit.sessionId, FIELD_TAB[hit.field], hit.spanId), dataset: { span: hit.spanId, field: hit.field } }, h('span', { class: `chip field-${hit.field}` }, FIELD_LABEL[hit.field]), h('span', { class: 'hit-text' }, snippet(hit.snippet))),
              ),
            ),
            hits.length > HITS_PER_SESSION ? h('li', { class: 'dim small' }, `… ${hits.length - HITS_PER_SESSION} more hits listed in this session`) : null,
          )
        : null,
    );
  }
}
