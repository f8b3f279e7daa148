import type { UsageOverview } from '../../src/model/usage-overview.js';
import type { UsageRow } from '../../src/model/usage-stats.js';
import { stackedBarChart } from './charts.js';
import { debounce, h, replaceChildren, type Child } from './dom.js';
import { bucketDates, filtersFrom, FILTER_KEYS, queryText, rangeSince, sessionsHref, type Filters } from './filters.js';
import { fmtCost, fmtDate, fmtDuration, fmtInt, fmtTokens, oneLine, shortModel } from './format.js';
import { sessionHref } from './shared.js';

type Stack = 'model' | 'project' | 'agent';
type Bucket = 'day' | 'week' | 'month';

interface View {
  range: string;
  stack: Stack;
  bucket: Bucket;
  filters: Filters;
}

const RANGES: Array<[string, string]> = [
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['90d', 'Last 90 days'],
  ['all', 'All time'],
];

function viewFrom(query: string): View {
  const p = new URLSearchParams(query);
  const range = p.get('range') ?? '30d';
  const stack = p.get('stack') as Stack;
  const bucket = p.get('bucket') as Bucket;
  return {
    range: RANGES.some(([k]) => k === range) ? range : '30d',
    stack: ['model', 'project', 'agent'].includes(stack) ? stack : 'model',
    bucket: ['day', 'week', 'month'].includes(bucket) ? bucket : 'day',
    filters: filtersFrom(p),
  };
}

function hrefOf(v: View): string {
  return `#/insights?${queryText(v.filters, { range: v.range, stack: v.stack, bucket: v.bucket })}`;
}

const pct = (n: number) => `${(n * 100).toFixed(n > 0 && n < 0.1 ? 1 : 0)}%`;
const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

/** The Insights page: usage and cost across every session, each number a link to the sessions behind it. */
export class InsightsPage {
  readonly el: HTMLElement;
  private view: View;
  private readonly body: HTMLElement;
  private readonly controls: Record<'range' | 'stack' | 'bucket', HTMLSelectElement>;
  private readonly chips: HTMLElement;
  private charts: Array<{ destroy(): void }> = [];
  private source: EventSource | undefined;
  private request = 0;

  constructor(query: string) {
    this.view = viewFrom(query);
    const select = (name: 'range' | 'stack' | 'bucket', label: string, options: Array<[string, string]>) =>
      h(
        'select',
        { attrs: { 'aria-label': label, name }, on: { change: (e) => this.go({ ...this.view, [name]: (e.target as HTMLSelectElement).value }) } },
        options.map(([v, t]) => h('option', { value: v }, t)),
      );
    this.controls = {
      range: select('range', 'Time range', RANGES),
      stack: select('stack', 'Stack the charts by', [['model', 'Stacked by model'], ['project', 'Stacked by project'], ['agent', 'Stacked by agent']]),
      bucket: select('bucket', 'Period', [['day', 'Per day'], ['week', 'Per week'], ['month', 'Per month']]),
    };
    this.chips = h('div', { class: 'filter-chips' });
    this.body = h('div', { class: 'insights', attrs: { 'aria-live': 'polite', 'aria-busy': 'true' } }, h('p', { class: 'dim' }, 'loading…'));
    this.el = h(
      'div',
      { class: 'page insights-page' },
      h('div', { class: 'list-toolbar' }, h('h1', { class: 'page-title' }, 'Insights'), this.controls.range, this.controls.stack, this.controls.bucket, this.chips),
      h('div', { class: 'insights-scroll' }, this.body),
    );
    this.sync();
    void this.load();
    this.source = new EventSource('/api/live');
    this.source.addEventListener('sessions', debounce(() => void this.load(), 1_000));
  }

  setQuery(query: string): void {
    const next = viewFrom(query);
    if (JSON.stringify(next) === JSON.stringify(this.view)) return;
    this.view = next;
    this.sync();
    void this.load();
  }

  destroy(): void {
    this.source?.close();
    for (const c of this.charts) c.destroy();
  }

  private go(v: View): void {
    location.hash = hrefOf(v);
  }

  /** Filters of the page plus the time range, as the API and the session links take them. */
  private scope(): Filters {
    const since = rangeSince(this.view.range);
    return since && !this.view.filters.since ? { ...this.view.filters, since } : { ...this.view.filters };
  }

  private sync(): void {
    this.controls.range.value = this.view.range;
    this.controls.stack.value = this.view.stack;
    this.controls.bucket.value = this.view.bucket;
    const chips: Child[] = [];
    for (const k of FILTER_KEYS) {
      const v = this.view.filters[k];
      if (!v) continue;
      const rest = { ...this.view.filters };
      delete rest[k];
      chips.push(h('a', { class: 'chip filter-chip', href: hrefOf({ ...this.view, filters: rest }), title: `Remove the ${k} filter`, attrs: { 'aria-label': `Remove filter ${k}: ${v}` } }, `${k}: ${k === 'project' ? baseName(v) : v} ✕`));
    }
    replaceChildren(this.chips, chips);
  }

  private async load(): Promise<void> {
    const id = ++this.request;
    let data: UsageOverview;
    try {
      const res = await fetch(`/api/stats/overview?${queryText(this.scope(), { stack: this.view.stack, bucket: this.view.bucket })}`);
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      data = (await res.json()) as UsageOverview;
    } catch (error) {
      if (id === this.request) replaceChildren(this.body, h('p', { class: 'error-text' }, `Could not load the numbers: ${(error as Error).message}`));
      return;
    }
    if (id !== this.request) return;
    this.render(data);
  }

  private render(d: UsageOverview): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    const scope = this.scope();
    const t = d.totals;
    if (t.sessions === 0) {
      replaceChildren(this.body, h('div', { class: 'empty-cell' }, h('div', { class: 'empty-title' }, 'No sessions in this range'), h('div', null, 'Pick a longer range, or remove a filter.')));
      this.body.setAttribute('aria-busy', 'false');
      return;
    }
    const tokens = (r: UsageRow) => r.tokens.input + r.tokens.output + r.tokens.cacheRead + r.tokens.cacheWrite;
    const stat = (label: string, value: string, sub: Child, href?: string) =>
      h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, href ? h('a', { href }, value) : value), h('div', { class: 'stat-sub' }, sub));
    const stats = h(
      'section',
      { class: 'stats', attrs: { 'aria-label': 'Totals' } },
      stat('Sessions', fmtInt(t.sessions), `${fmtInt(t.turns ?? 0)} turns`, sessionsHref(scope)),
      stat('Cost (estimated)', fmtCost(t.costUsd), t.unpricedSessions ? `${t.unpricedSessions} with unpriced models` : 'from list prices'),
      stat('Tokens', fmtTokens(tokens(t)), `${fmtTokens(t.tokens.input)} in · ${fmtTokens(t.tokens.output)} out`),
      stat('Cache hit ratio', pct(t.cacheHitRatio), `${fmtTokens(t.tokens.cacheRead)} read · ${fmtTokens(t.tokens.cacheWrite)} written`),
      stat('Model calls', fmtInt(t.generations), `${fmtDuration(t.durationMs)} of sessions`),
      stat('Tool calls', fmtInt(t.toolCalls), h('a', { href: sessionsHref({ ...scope, errors: '1' }) }, `${fmtInt(t.toolErrors)} failed (${pct(t.failureRate)})`)),
    );

    const tl = d.timeline;
    const stackFilter = (name: string): Filters => (name === '(other)' ? {} : { [tl.stack]: name });
    const select = (i: number, name: string) => {
      const key = tl.keys[i];
      if (key) location.hash = sessionsHref({ ...this.view.filters, ...bucketDates(tl.bucket, key), ...stackFilter(name) });
    };
    const label = (name: string) => (tl.stack === 'project' ? baseName(name) : tl.stack === 'model' ? shortModel(name) : name);
    const chartCard = (title: string, values: 'cost' | 'tokens', format: (n: number) => string) => {
      const chart = stackedBarChart(
        {
          labels: tl.keys,
          series: tl.series.map((s) => ({ name: s.key, values: s[values] })),
          title: `${title}, per ${tl.bucket}, stacked by ${tl.stack}`,
          format,
          onSelect: select,
        },
        this.seriesTable(tl.keys, tl.series.map((s) => ({ name: s.key, label: label(s.key), values: s[values] })), format, tl.bucket, stackFilter),
      );
      this.charts.push(chart);
      return h('section', { class: 'card chart-card', attrs: { 'aria-label': title } }, h('h2', { class: 'card-title' }, `${title} per ${tl.bucket}`), chart.el);
    };

    const rowLink = (filters: Filters, text: string, title?: string) => h('a', { href: sessionsHref({ ...scope, ...filters }), title }, text);
    const table = (caption: string, head: string[], rows: Child[][]) =>
      h(
        'table',
        { class: 'data-table' },
        h('caption', { class: 'sr-only' }, caption),
        h('thead', null, h('tr', null, head.map((x, i) => h('th', { class: i ? 'num' : '', attrs: { scope: 'col' } }, x)))),
        h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => h('td', { class: i ? 'num' : 'name-cell' }, c))))),
      );
    const card = (title: string, content: Child) => h('section', { class: 'card', attrs: { 'aria-label': title } }, h('h2', { class: 'card-title' }, title), content);

    const projects = card(
      'Top projects',
      table('Projects by cost', ['Project', 'Sessions', 'Tokens', 'Cost'], d.projects.map((r) => [rowLink({ project: r.key }, r.label ?? r.key, r.key), fmtInt(r.sessions), fmtTokens(tokens(r)), fmtCost(r.costUsd)])),
    );
    const models = card(
      'Models',
      table('Models by cost', ['Model', 'Calls', 'Tokens', 'Cache hit', 'Cost'], d.models.map((r) => [rowLink({ model: r.key }, shortModel(r.key), r.key), fmtInt(r.generations), fmtTokens(tokens(r)), pct(r.cacheHitRatio), r.unpricedSessions && !r.costUsd ? h('span', { title: 'no known price for this model' }, '–') : fmtCost(r.costUsd)])),
    );
    const tools = card(
      'Tools',
      table(
        'Tools by calls',
        ['Tool', 'Calls', 'Failed', 'Time spent'],
        d.tools.map((r) => [
          rowLink({ tool: r.key }, r.key),
          fmtInt(r.toolCalls),
          r.toolErrors ? h('a', { class: 'has-errors', href: sessionsHref({ ...scope, tool: r.key, errors: '1' }) }, `${fmtInt(r.toolErrors)} (${pct(r.failureRate)})`) : '0',
          fmtDuration(r.durationMs),
        ]),
      ),
    );
    const agents = card('Agents', table('Agents by cost', ['Agent', 'Sessions', 'Tokens', 'Cost'], d.agents.map((r) => [rowLink({ agent: r.key }, r.key), fmtInt(r.sessions), fmtTokens(tokens(r)), fmtCost(r.costUsd)])));
    const sessions = card(
      'Most expensive sessions',
      table(
        'Most expensive sessions',
        ['Session', 'Started', 'Tokens', 'Cost'],
        d.expensiveSessions.map((s) => [h('a', { href: sessionHref(s.sessionId), title: s.sessionId }, oneLine(s.title ?? s.sessionId, 70)), fmtDate(s.startTime).slice(0, 10), fmtTokens(s.tokens), fmtCost(s.costUsd)]),
      ),
    );
    const turns = card(
      'Most expensive turns',
      table(
        'Most expensive turns',
        ['Turn', 'Started', 'Tokens', 'Cost'],
        d.expensiveTurns.map((x) => [
          h('a', { href: sessionHref(x.sessionId, 'chat', x.spanId), title: x.title ?? x.sessionId }, oneLine(x.prompt || `turn ${x.ordinal}`, 70)),
          fmtDate(x.startTime).slice(0, 10),
          fmtTokens(x.tokens),
          fmtCost(x.costUsd),
        ]),
      ),
    );
    replaceChildren(
      this.body,
      stats,
      h('div', { class: 'chart-grid' }, chartCard('Cost', 'cost', fmtCost), chartCard('Tokens', 'tokens', fmtTokens)),
      h('div', { class: 'insight-grid' }, projects, models, tools, agents, sessions, turns),
      h('p', { class: 'note' }, 'Costs are estimates from list prices. A session counts in the period, and the range, of the local day it started.'),
    );
    this.body.setAttribute('aria-busy', 'false');
  }

  /** The chart's numbers as a table: a row per period, a column per series, each cell a link to its sessions. */
  private seriesTable(keys: string[], series: Array<{ name: string; label: string; values: number[] }>, format: (n: number) => string, bucket: Bucket, stackFilter: (name: string) => Filters): HTMLElement {
    return h(
      'table',
      { class: 'data-table series-table' },
      h('thead', null, h('tr', null, h('th', { attrs: { scope: 'col' } }, bucket[0]!.toUpperCase() + bucket.slice(1)), series.map((s) => h('th', { class: 'num', attrs: { scope: 'col' }, title: s.name }, s.label)))),
      h(
        'tbody',
        null,
        keys.map((k, i) =>
          h(
            'tr',
            null,
            h('th', { attrs: { scope: 'row' } }, h('a', { href: sessionsHref({ ...this.view.filters, ...bucketDates(bucket, k) }) }, k)),
            series.map((s) => h('td', { class: 'num' }, s.values[i] ? h('a', { href: sessionsHref({ ...this.view.filters, ...bucketDates(bucket, k), ...stackFilter(s.name) }) }, format(s.values[i]!)) : '–')),
          ),
        ),
      ),
    );
  }
}
