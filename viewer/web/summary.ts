import { h, icon, kindIcon, replaceChildren, type Child } from './dom.js';
import { fmtClock, fmtCost, fmtDate, fmtDuration, fmtInt, fmtOffset, fmtTokens, oneLine, plausibleRange, plural, shortModel } from './format.js';
import { durationKnown, isInterrupted, modelOf, toolName, usageOf, type ModelChange, type SpanNode, type TraceHeader } from './model.js';
import { shortPath, toolSummary } from './content.js';
import type { SessionHost, TabView } from './host.js';
import { foldedMarkdown } from './fold.js';
import { contextChart } from './context-chart.js';
import { sessionHref } from './shared.js';
import { spanCost, spanTitle, subtreeStats } from './spans.js';

interface ErrorItem {
  node: SpanNode;
  what: string;
  message: string;
  time: number;
}

const BANNER: Record<string, [string, string]> = {
  running: ['Running', 'The session is in progress; this page updates as it runs.'],
  completed: ['Completed', 'The session ended normally.'],
  crashed: ['Crashed', 'The agent process crashed; work that was open was closed as interrupted.'],
  interrupted: ['Interrupted', 'The agent went away without a clean end (closed terminal, Ctrl-C, killed process).'],
  error: ['Ended with an error', 'The session ended with an error.'],
};

/** The Summary tab: what happened, what it cost, where it failed, in one screen. */
export class SummaryView implements TabView {
  readonly el: HTMLElement;
  private readonly inner: HTMLElement;
  private dirty = true;
  private scheduled = false;

  constructor(private readonly page: SessionHost) {
    this.inner = h('div', { class: 'summary' });
    this.el = h('div', { class: 'tab-pane summary-scroll', role: 'tabpanel' }, this.inner);
  }

  show(): void {
    if (this.dirty) this.render();
  }

  hide(): void {}

  update(_change: ModelChange): void {
    this.dirty = true;
    if (this.el.hidden || this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      if (!this.el.hidden) this.render();
    }, 300);
  }

  tick(): void {
    const d = this.inner.querySelector('.stat-duration:not(.stat-unknown) .stat-value');
    const m = this.page.model;
    if (d) d.textContent = fmtDuration(Math.max(m.header.summary.durationMs, Date.now() - m.header.startTime));
  }

  private link(node: SpanNode, children: Child, tab: 'waterfall' | 'chat' = 'waterfall'): HTMLElement {
    return h('a', { href: sessionHref(this.page.model.id, tab, node.id), class: 'span-link' }, children);
  }

  private render(): void {
    this.dirty = false;
    const m = this.page.model;
    const hd = m.header;
    const s = hd.summary;
    const prices = this.page.info.prices;
    const root = m.root;
    const firstPrompt = typeof root?.span.input === 'string' ? root.span.input : undefined;
    const duration = m.running ? Math.max(s.durationMs, Date.now() - hd.startTime) : s.durationMs;

    // ——— gather ———
    const errors: ErrorItem[] = [];
    const interruptions: SpanNode[] = [];
    const tools = new Map<string, { calls: number; errors: number; ms: number; untimed: number; first: SpanNode }>();
    const perModel = new Map<string, { calls: number; input: number; output: number; cacheRead: number; cacheWrite: number; cacheWrite1h: number; usd: number; priced: boolean; pricedAs?: string; basis?: string }>();
    const subagents: SpanNode[] = [];
    const fileSpans = new Map<string, SpanNode>();
    let modelMs = 0;
    let toolMs = 0;
    for (const n of m.ordered) {
      const sp = n.span;
      const end = m.endOf(sp);
      if (sp.status === 'error' && sp.kind !== 'session') {
        errors.push({ node: n, what: sp.kind === 'tool' ? toolName(sp) : spanTitle(sp, hd), message: sp.statusMessage ?? 'error', time: sp.startTime });
      }
      for (const ev of sp.events ?? []) {
        if (ev.name === 'api_error' || ev.name === 'crash' || ev.name === 'exception') {
          const msg = ev.attributes?.message ?? ev.attributes?.['exception.message'] ?? ev.attributes?.reason ?? ev.name;
          errors.push({ node: n, what: ev.name === 'api_error' ? 'API error' : ev.name === 'crash' ? 'Crash' : ev.name, message: String(msg), time: ev.time });
        }
      }
      if (isInterrupted(sp)) interruptions.push(n);
      if (sp.kind === 'tool') {
        const name = toolName(sp);
        const t = tools.get(name) ?? { calls: 0, errors: 0, ms: 0, untimed: 0, first: n };
        t.calls++;
        if (sp.status === 'error') t.errors++;
        if (durationKnown(sp)) t.ms += end - sp.startTime;
        else t.untimed++;
        tools.set(name, t);
        if (!n.parent || n.parent.span.kind !== 'subagent') toolMs += end - sp.startTime;
        const input = sp.input as Record<string, unknown> | undefined;
        const path = input && typeof input === 'object' ? (input.file_path ?? input.filePath ?? input.notebook_path ?? input.path) : undefined;
        if (typeof path === 'string' && s.filesTouched.includes(path)) fileSpans.set(path, n);
      } else if (sp.kind === 'generation') {
        if (!n.parent || n.parent.span.kind !== 'subagent') modelMs += end - sp.startTime;
        const u = usageOf(sp);
        const model = modelOf(sp) ?? 'unknown model';
        const row = perModel.get(model) ?? { calls: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, usd: 0, priced: false };
        row.calls++;
        const basis = sp.attributes['agent_trace.cost.basis'];
        const pricedAs = sp.attributes['agent_trace.cost.priced_as'];
        if (typeof basis === 'string') row.basis = basis;
        if (typeof pricedAs === 'string') row.pricedAs = pricedAs;
        if (u) {
          row.input += u.input;
          row.output += u.output;
          row.cacheRead += u.cacheRead;
          row.cacheWrite += u.cacheWrite;
          row.cacheWrite1h += u.cacheWrite1h;
          const c = spanCost(sp, prices);
          if (c !== undefined) {
            row.usd += c;
            row.priced = true;
          }
        }
        perModel.set(model, row);
      } else if (sp.kind === 'subagent') subagents.push(n);
    }
    errors.sort((a, b) => a.time - b.time);
    const rootError = hd.status === 'crashed' || hd.status === 'error' ? root?.span.statusMessage : undefined;

    // ——— banner ———
    const [bannerTitle, bannerText] = BANNER[hd.status] ?? [hd.status, ''];
    const lastError = errors[errors.length - 1];
    const banner = h(
      'div',
      { class: `banner banner-${hd.status}` },
      h('div', { class: 'banner-title' }, hd.status === 'running' ? h('span', { class: 'pulse' }) : null, bannerTitle),
      h(
        'div',
        { class: 'banner-text' },
        rootError ? `${rootError} · ` : null,
        hd.status === 'running' ? `Started ${fmtDate(hd.startTime)}; ${bannerText.toLowerCase()}` : `${bannerText} ${hd.endTime ? `Ended ${fmtDate(hd.endTime)}.` : ''}`,
        s.toolErrors ? h('span', null, ' ', plural(s.toolErrors, 'tool call'), ' failed.') : null,
      ),
      (hd.status === 'crashed' || hd.status === 'error') && lastError ? h('div', { class: 'banner-link' }, this.link(lastError.node, ['Last error: ', lastError.what, ' — ', oneLine(lastError.message, 100)])) : null,
    );

    // ——— heading ———
    const heading = h(
      'div',
      { class: 'summary-heading' },
      h('h1', null, hd.title ?? 'Untitled session'),
      firstPrompt ? h('div', { class: 'first-prompt' }, h('div', { class: 'label' }, 'First prompt'), foldedMarkdown(firstPrompt)) : null,
    );

    // ——— stats ———
    const t = s.tokens;
    const totalTok = t.input + t.output + t.cacheRead + t.cacheWrite;
    const stat = (cls: string, label: string, value: string, sub?: Child) =>
      h('div', { class: `stat ${cls}` }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value), sub ? h('div', { class: 'stat-sub' }, sub) : null);
    const stats = h(
      'div',
      { class: 'stats' },
      plausibleRange(hd.startTime, duration)
        ? stat('stat-duration', 'Duration', fmtDuration(duration), `${fmtClock(hd.startTime)} → ${hd.endTime ? fmtClock(hd.endTime) : 'now'}`)
        : stat('stat-duration stat-unknown', 'Duration', 'unknown', 'the recorded times cannot be real'),
      stat('stat-turns', 'Turns', fmtInt(s.turns), 'prompts'),
      stat('stat-generations', 'Model calls', fmtInt(s.generations), hd.models.map(shortModel).join(', ') || '–'),
      stat('stat-tools', 'Tool calls', fmtInt(s.toolCalls), s.toolErrors ? h('span', { class: 'error-text' }, `${fmtInt(s.toolErrors)} failed`) : 'none failed'),
      stat('stat-subagents', 'Subagents', fmtInt(s.subagents)),
      stat('stat-tokens', 'Tokens', fmtTokens(totalTok), `${fmtTokens(t.output)} output`),
      stat('stat-cost', 'Estimated cost', s.cost ? fmtCost(s.cost.usd) : '–', s.cost ? (s.cost.estimates?.length || s.unpriced?.length ? 'partly estimated: see Estimated cost' : `list prices as of ${this.page.info.pricesAsOf}`) : 'no price for these models'),
    );

    // ——— facts ———
    const fact = (label: string, ...value: Child[]) => [h('dt', null, label), h('dd', null, ...value)];
    const facts = card(
      'Session',
      h(
        'dl',
        { class: 'facts' },
        fact('Agent', hd.agent.name, hd.agent.version ? h('span', { class: 'dim' }, ` ${hd.agent.version}`) : null),
        fact('Models', hd.models.length ? hd.models.join(', ') : '–'),
        hd.cwd ? fact('Folder', h('code', null, hd.cwd)) : null,
        hd.gitBranch ? fact('Branch', h('code', null, hd.gitBranch)) : null,
        fact('Started', fmtDate(hd.startTime)),
        fact('Ended', hd.endTime ? fmtDate(hd.endTime) : hd.status === 'running' ? 'still running' : '–'),
        fact('Session id', h('code', { class: 'selectable' }, hd.sessionId)),
        fact('Trace id', h('code', { class: 'selectable' }, hd.traceId)),
      ),
    );

    // ——— tokens by kind ———
    const kinds: Array<[string, number, string]> = [
      ['Input', t.input, 'input tokens billed at the input price (not read from or written to the cache)'],
      ['Cache read', t.cacheRead, 'input tokens read from the prompt cache'],
      ['Cache write', t.cacheWrite, `input tokens written to the prompt cache${t.cacheWrite1h ? ` (${fmtInt(t.cacheWrite5m ?? t.cacheWrite - t.cacheWrite1h)} for 5 minutes, ${fmtInt(t.cacheWrite1h)} for 1 hour)` : ''}`],
      ['Output', t.output, 'generated tokens (reasoning included)'],
    ];
    const cacheable = t.input + t.cacheRead + t.cacheWrite;
    const tokens = card(
      'Tokens by kind',
      h(
        'div',
        { class: 'token-bar', title: 'share of all tokens' },
        kinds.map(([label, n], i) => {
          const seg = h('span', { class: `seg seg-${i}`, title: `${label}: ${fmtInt(n)}` });
          seg.style.width = `${totalTok ? (100 * n) / totalTok : 0}%`;
          return seg;
        }),
      ),
      h(
        'table',
        { class: 'kv-table' },
        h(
          'tbody',
          null,
          kinds.map(([label, n, title], i) => h('tr', { title }, h('td', null, h('span', { class: `swatch seg-${i}` }), label), h('td', { class: 'num' }, fmtInt(n)))),
          t.cacheWrite1h ? h('tr', { title: 'billed at 2× the input price (5-minute writes: 1.25×)' }, h('td', null, h('span', { class: 'swatch' }), 'of the cache writes, 1 hour'), h('td', { class: 'num' }, fmtInt(t.cacheWrite1h))) : null,
          t.reasoning ? h('tr', null, h('td', null, h('span', { class: 'swatch' }), 'of which reasoning'), h('td', { class: 'num' }, fmtInt(t.reasoning))) : null,
          h('tr', { class: 'total' }, h('td', null, 'Total'), h('td', { class: 'num' }, fmtInt(totalTok))),
        ),
      ),
      cacheable ? h('p', { class: 'note' }, `Cache hit rate ${Math.round((100 * t.cacheRead) / cacheable)}% of input tokens.`) : null,
    );

    // ——— cost ———
    const modelRows = [...perModel.entries()].sort((a, b) => b[1].usd - a[1].usd || b[1].calls - a[1].calls);
    const cost = card(
      'Estimated cost',
      h('div', { class: 'big-number' }, s.cost ? fmtCost(s.cost.usd) : '–'),
      h(
        'table',
        { class: 'data-table' },
        h('thead', null, h('tr', null, h('th', null, 'Model'), h('th', { class: 'num' }, 'Calls'), h('th', { class: 'num' }, 'Input'), h('th', { class: 'num' }, 'Output'), h('th', { class: 'num' }, 'Cache r/w'), h('th', { class: 'num' }, 'Cost'))),
        h(
          'tbody',
          null,
          modelRows.map(([model, r]) =>
            h(
              'tr',
              null,
              h('td', null, shortModel(model)),
              h('td', { class: 'num' }, fmtInt(r.calls)),
              h('td', { class: 'num' }, fmtTokens(r.input)),
              h('td', { class: 'num' }, fmtTokens(r.output)),
              h('td', { class: 'num', title: r.cacheWrite1h ? `${fmtInt(r.cacheWrite1h)} of the writes are 1-hour writes` : '' }, `${fmtTokens(r.cacheRead)} / ${fmtTokens(r.cacheWrite)}${r.cacheWrite1h ? ` (1 h: ${fmtTokens(r.cacheWrite1h)})` : ''}`),
              h('td', { class: 'num' }, r.priced ? `${fmtCost(r.usd)}${r.basis === 'family' ? ' *' : ''}` : 'no price'),
            ),
          ),
        ),
      ),
      priceNotes(s, [...perModel.entries()]),
      h(
        'p',
        { class: 'note price-source' },
        `Estimates from list prices: ${s.cost?.source ?? this.page.info.priceSource ?? `prices as of ${this.page.info.pricesAsOf}`}. 5-minute and 1-hour cache writes and long-context tiers are priced at their own rates; batch discounts and negotiated rates are not modelled. Override or add models with `,
        h('code', null, '"prices": { "model-prefix": { "input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75, "cacheWrite1h": 6 } }'),
        ' in the config file.',
        this.page.info.priceOverrides.length ? ` Overridden here: ${this.page.info.priceOverrides.join(', ')}.` : '',
      ),
    );

    // ——— time ———
    const other = Math.max(0, duration - modelMs - toolMs);
    const timeCard = card(
      'Where the time went',
      h(
        'div',
        { class: 'token-bar time-bar' },
        ([['model', modelMs], ['tool', toolMs], ['other', other]] as Array<[string, number]>).map(([k, v]) => {
          const seg = h('span', { class: `seg time-${k}`, title: `${k}: ${fmtDuration(v)}` });
          seg.style.width = `${duration ? (100 * v) / Math.max(duration, modelMs + toolMs) : 0}%`;
          return seg;
        }),
      ),
      h(
        'table',
        { class: 'kv-table' },
        h(
          'tbody',
          null,
          h('tr', null, h('td', null, h('span', { class: 'swatch time-model' }), 'Model calls'), h('td', { class: 'num' }, fmtDuration(modelMs))),
          h('tr', null, h('td', null, h('span', { class: 'swatch time-tool' }), 'Tools'), h('td', { class: 'num' }, fmtDuration(toolMs))),
          h('tr', { title: 'waiting for the person, permission prompts, overhead' }, h('td', null, h('span', { class: 'swatch time-other' }), 'Other (waiting, idle)'), h('td', { class: 'num' }, fmtDuration(other))),
        ),
      ),
      h('p', { class: 'note' }, 'Main thread only; parallel tool calls are counted once each.'),
    );

    // ——— tools ———
    const toolRows = [...tools.entries()].sort((a, b) => b[1].calls - a[1].calls);
    const maxCalls = Math.max(1, ...toolRows.map(([, r]) => r.calls));
    const toolsCard = card(
      `Tool calls by tool (${fmtInt(s.toolCalls)})`,
      toolRows.length
        ? h(
            'table',
            { class: 'data-table tools-table' },
            h('thead', null, h('tr', null, h('th', null, 'Tool'), h('th', { class: 'num' }, 'Calls'), h('th', { class: 'num' }, 'Failed'), h('th', { class: 'num' }, 'Total time'), h('th', null, ''))),
            h(
              'tbody',
              null,
              toolRows.map(([name, r]) => {
                const bar = h('span', { class: 'mini-bar' });
                bar.style.width = `${(100 * r.calls) / maxCalls}%`;
                return h(
                  'tr',
                  null,
                  h('td', null, this.link(r.first, name)),
                  h('td', { class: 'num' }, fmtInt(r.calls)),
                  h('td', { class: `num${r.errors ? ' error-text' : ''}` }, fmtInt(r.errors)),
                  h('td', { class: 'num', title: r.untimed ? `${r.untimed} of these calls have no recorded duration` : '' }, r.untimed === r.calls ? 'unknown' : r.untimed ? `${fmtDuration(r.ms)} + ${r.untimed} unknown` : fmtDuration(r.ms)),
                  h('td', { class: 'bar-cell' }, bar),
                );
              }),
            ),
          )
        : h('p', { class: 'empty' }, 'No tool calls.'),
    );

    // ——— errors ———
    const errorsCard = card(
      `Errors (${fmtInt(errors.length)})`,
      errors.length
        ? h(
            'ul',
            { class: 'error-list' },
            errors.slice(0, 200).map((e) =>
              h(
                'li',
                null,
                this.link(
                  e.node,
                  [
                    icon('error'),
                    h('span', { class: 'err-what' }, e.what),
                    h('span', { class: 'err-at dim' }, fmtOffset(e.time - hd.startTime)),
                    h('span', { class: 'err-msg' }, oneLine(e.message, 180)),
                  ],
                ),
              ),
            ),
            errors.length > 200 ? h('li', { class: 'dim' }, `… and ${errors.length - 200} more`) : null,
          )
        : h('p', { class: 'empty' }, 'No errors.'),
      interruptions.length
        ? h(
            'div',
            { class: 'interruptions' },
            h('div', { class: 'label' }, `Interrupted (${interruptions.length})`),
            h(
              'ul',
              { class: 'error-list warn' },
              interruptions.slice(0, 50).map((n) => h('li', null, this.link(n, [icon('bolt'), h('span', { class: 'err-what' }, spanTitle(n.span, hd)), h('span', { class: 'err-msg' }, toolSummary(toolName(n.span), n.span.input, hd.cwd))]))),
            ),
          )
        : null,
    );

    // ——— files ———
    const filesCard = card(
      `Files touched (${fmtInt(s.filesTouched.length)})`,
      s.filesTouched.length
        ? h(
            'ul',
            { class: 'file-list' },
            s.filesTouched.map((f) => {
              const n = fileSpans.get(f);
              const label = h('code', { title: f }, shortPath(f, hd.cwd));
              return h('li', null, n ? this.link(n, label, 'chat') : label);
            }),
          )
        : h('p', { class: 'empty' }, 'No files were written.'),
    );

    // ——— subagents ———
    const subCard = card(
      `Subagents (${fmtInt(subagents.length)})`,
      subagents.length
        ? h(
            'table',
            { class: 'data-table' },
            h('thead', null, h('tr', null, h('th', null, 'Agent'), h('th', null, 'Task'), h('th', { class: 'num' }, 'Duration'), h('th', { class: 'num' }, 'Calls'), h('th', { class: 'num' }, 'Tools'), h('th', { class: 'num' }, 'Tokens'))),
            h(
              'tbody',
              null,
              subagents.map((n) => {
                const st = subtreeStats(n, prices);
                const task = typeof n.span.input === 'string' ? oneLine(n.span.input, 90) : '';
                if (n.span.attributes['agent_trace.subagent.unrecorded'] === true) {
                  return h(
                    'tr',
                    { class: `unrecorded${n.span.status === 'error' ? ' row-error' : ''}` },
                    h('td', null, this.link(n, [kindIcon('subagent'), spanTitle(n.span, hd).replace(/ subagent$/, '')])),
                    h('td', { class: 'dim' }, task),
                    h('td', { class: 'dim', attrs: { colspan: '4' } }, 'transcript missing: duration, calls, tools and tokens not known'),
                  );
                }
                return h(
                  'tr',
                  { class: n.span.status === 'error' ? 'row-error' : '' },
                  h('td', null, this.link(n, [kindIcon('subagent'), spanTitle(n.span, hd).replace(/ subagent$/, '')])),
                  h('td', { class: 'dim' }, task),
                  h('td', { class: 'num' }, n.span.endTime === undefined ? 'running' : fmtDuration(n.span.endTime - n.span.startTime)),
                  h('td', { class: 'num' }, fmtInt(st.generations)),
                  h('td', { class: 'num' }, fmtInt(st.tools), st.toolErrors ? h('span', { class: 'error-text' }, ` (${st.toolErrors} failed)`) : null),
                  h('td', { class: 'num', title: st.provisional ? 'provisional: output counts as streamed when the transcript copied them' : '' }, `${st.provisional ? '≈ ' : ''}${fmtTokens(st.tokens)}`),
                );
              }),
            ),
          )
        : h('p', { class: 'empty' }, 'No subagents.'),
    );

    const chart = contextChart(this.page.model);
    const contextCard = chart ? card('Context size per model call', chart) : null;
    const scroll = this.el.scrollTop;
    const openDetails = [...this.inner.querySelectorAll('details')].map((d) => d.open);
    replaceChildren(
      this.inner,
      banner,
      heading,
      stats,
      h('div', { class: 'cards' }, h('div', { class: 'col' }, errorsCard, toolsCard, subCard, filesCard), h('div', { class: 'col' }, facts, tokens, contextCard, cost, timeCard)),
    );
    [...this.inner.querySelectorAll('details')].forEach((d, i) => {
      if (openDetails[i]) d.open = true;
    });
    this.el.scrollTop = scroll;
  }
}

/** Which prices are estimates and why: a family stand-in, or no price at all. */
function priceNotes(s: TraceHeader['summary'], rows: Array<[string, { basis?: string; pricedAs?: string; calls: number }]>): HTMLElement | null {
  const items: Child[] = [];
  for (const e of s.cost?.estimates ?? []) {
    items.push(h('li', { class: 'price-estimate' }, h('code', null, e.model), ` (${plural(e.calls, 'call')}): not in the price source; priced as its family's `, h('code', null, e.pricedAs), ' * (family fallback).'));
  }
  for (const u of s.unpriced ?? []) {
    items.push(h('li', { class: 'price-unknown' }, h('code', null, u.model), ` (${plural(u.calls, 'call')}): unknown model, no price; not counted in the cost.`));
  }
  const overridden = rows.filter(([, r]) => r.basis === 'override').map(([m, r]) => `${m} (as ${r.pricedAs ?? m})`);
  if (overridden.length) items.push(h('li', null, `Priced from your config file: ${overridden.join(', ')}.`));
  return items.length ? h('ul', { class: 'note price-notes' }, items) : null;
}

function card(title: string, ...body: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h3', null, title), ...body);
}
