import { h, highlighted, icon, isTyping, kindIcon, replaceChildren } from './dom.js';
import { searchField } from './search-field.js';
import { fmtDuration, fmtShort } from './format.js';
import { durationKnown, isInterrupted, searchText, type ModelChange, type SpanNode } from './model.js';
import { spanDetail } from './detail.js';
import type { SessionHost, TabView } from './host.js';
import { spanSubtitle, spanTitle } from './spans.js';
import { gapLabel, Timeline } from './timeline.js';

const ROW_H = 26;
const OVERSCAN = 8;
const INDENT = 14;
const MIN_SPAN_MS = 1;
const TICK_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 144e5, 288e5, 864e5];
const KIND_COLOR: Record<string, string> = {
  session: '#94a3b8',
  turn: '#6366f1',
  generation: '#8b5cf6',
  tool: '#0ea5e9',
  subagent: '#f59e0b',
  compaction: '#14b8a6',
};

interface RowEl {
  el: HTMLElement;
  key: string;
  index: number;
}

/**
 * The Waterfall tab: the span tree on the left, bars on a time axis on the right, a minimap that zooms, a
 * detail panel. Rows are virtualized (only the visible ones exist in the DOM, recycled while scrolling), so
 * sessions of tens of thousands of spans scroll smoothly.
 */
export class WaterfallView implements TabView {
  readonly el: HTMLElement;
  private rows: SpanNode[] = [];
  private rowIndex = new Map<string, number>();
  private dfs: SpanNode[] = [];
  private readonly collapsed = new Set<string>();
  private selected: string | undefined;
  private window: { from: number; to: number } | undefined;
  private query = '';
  private onlyMatches = false;
  private matches: SpanNode[] = [];
  private matchSet = new Set<string>();
  private matchAt = -1;
  private pool: RowEl[] = [];
  private t0 = 0;
  private total = 1;
  private timeline = Timeline.identity(1);
  private compressIdle = true;
  private readonly turnSelect: HTMLSelectElement;
  private readonly body: HTMLElement;
  private follow = false;
  private laneWidth = 600;
  private minimapDirty = true;
  private lastMinimap = 0;
  private painted = false;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly axis: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly windowBox: HTMLElement;
  private readonly brush: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly matchCount: HTMLElement;
  private readonly resize: ResizeObserver;

  constructor(private readonly page: SessionHost) {
    this.searchInput = searchField({
      placeholder: 'Search spans, inputs, outputs…  ( / )',
      label: 'Search spans',
      onQuery: (q) => this.setQuery(q),
      onStep: (d) => this.nextMatch(d),
      onClear: () => this.scroller.focus(),
    });
    this.matchCount = h('span', { class: 'match-count' });
    const button = (name: string, title: string, onclick: () => void, label?: string) =>
      h('button', { class: `button${label ? ' small' : ' icon-button'}`, type: 'button', title, attrs: { 'aria-label': title }, on: { click: onclick } }, icon(name), label ?? null);
    const onlyBox = h('input', { type: 'checkbox', attrs: { 'aria-label': 'Show only matching spans' }, on: { change: (e) => this.setOnlyMatches((e.target as HTMLInputElement).checked) } });
    const idleBox = h('input', { type: 'checkbox', attrs: { 'aria-label': 'Compress idle gaps' }, on: { change: (e) => this.setCompress((e.target as HTMLInputElement).checked) } });
    idleBox.checked = true;
    const followBox = h('input', { type: 'checkbox', attrs: { 'aria-label': 'Follow the newest spans' }, on: { change: (e) => this.setFollow((e.target as HTMLInputElement).checked) } });
    this.turnSelect = h('select', { class: 'turn-select', attrs: { 'aria-label': 'Zoom to a turn' }, on: { change: () => this.zoomToTurn(this.turnSelect.value) } });
    const toolbar = h(
      'div',
      { class: 'wf-toolbar' },
      h('div', { class: 'search-box' }, icon('search'), this.searchInput),
      this.matchCount,
      button('collapse', 'Previous match (Shift+Enter, N)', () => this.nextMatch(-1)),
      button('expand', 'Next match (Enter, n)', () => this.nextMatch(1)),
      h('label', { class: 'check' }, onlyBox, 'only matches'),
      h('span', { class: 'sep' }),
      button('plus', 'Expand all', () => this.expandAll(), 'Expand all'),
      button('minus', 'Collapse to turns', () => this.collapseToTurns(), 'Collapse'),
      h('span', { class: 'sep' }),
      button('plus', 'Zoom in (+)', () => this.zoomBy(0.5)),
      button('minus', 'Zoom out (−)', () => this.zoomBy(2)),
      button('reset', 'Reset zoom (0)', () => this.setWindow(undefined)),
      this.turnSelect,
      h('label', { class: 'check', title: 'Draw long idle stretches as narrow gaps' }, idleBox, 'compress idle'),
      h('label', { class: 'check', title: 'Keep the newest spans in view while the session runs' }, followBox, 'follow'),
      h('span', { class: 'spacer' }),
      h('span', { class: 'legend' }, ['turn', 'generation', 'tool', 'subagent', 'compaction'].map((k) => h('span', { class: 'legend-item' }, h('span', { class: `legend-swatch kind-${k}` }), k === 'generation' ? 'model call' : k)), h('span', { class: 'legend-item' }, h('span', { class: 'legend-swatch error' }), 'error')),
    );
    this.canvas = h('canvas', { class: 'wf-minimap-canvas' });
    this.windowBox = h('div', { class: 'wf-window' });
    this.brush = h('div', { class: 'wf-brush', hidden: true });
    const minimap = h('div', { class: 'wf-minimap', title: 'Drag to zoom to a time range; click to move the window; double-click to reset' }, this.canvas, this.windowBox, this.brush);
    this.axis = h('div', { class: 'wf-axis' });
    const splitter = h('div', { class: 'wf-splitter', title: 'Drag to resize' });
    const head = h('div', { class: 'wf-head' }, h('div', { class: 'wf-head-name' }, 'Span', splitter), h('div', { class: 'wf-head-lane' }, minimap, this.axis));
    this.spacer = h('div', { class: 'wf-spacer' });
    this.layer = h('div', { class: 'wf-layer' });
    this.grid = h('div', { class: 'wf-grid' });
    this.scroller = h('div', { class: 'wf-scroll', tabIndex: 0, role: 'tree', attrs: { 'aria-label': 'Spans' } }, this.spacer, this.layer);
    this.detail = h('aside', { class: 'wf-detail', attrs: { 'aria-label': 'Span details' } });
    // the detail panel takes room only when a span is selected
    this.body = h('div', { class: 'wf-body no-detail' }, h('div', { class: 'wf-main' }, head, h('div', { class: 'wf-rows' }, this.grid, this.scroller)), this.detail);
    this.el = h('div', { class: 'tab-pane wf', role: 'tabpanel' }, toolbar, this.body);
    const saved = Number(localStorage.getItem('agent-trace.nameWidth'));
    this.el.style.setProperty('--name-w', `${saved >= 200 && saved <= 1200 ? saved : 420}px`);

    this.scroller.addEventListener('scroll', () => this.renderRows(), { passive: true });
    this.scroller.addEventListener('click', (e) => this.onRowClick(e));
    this.scroller.addEventListener('dblclick', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.wf-row');
      if (row?.dataset.id) this.toggle(row.dataset.id);
    });
    this.scroller.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.initMinimap(minimap);
    this.initSplitter(splitter);
    this.resize = new ResizeObserver(() => {
      this.measure();
      this.minimapDirty = true;
      this.renderAll();
    });
    this.resize.observe(this.scroller);
    this.rebuild();
    performance.mark('agent-trace:waterfall-built');
  }

  // ——— TabView ———

  show(span: string | undefined, jump: boolean): void {
    this.measure();
    if (span && span !== this.selected) this.selectNode(span, { reveal: true, fromUrl: true });
    else if (span && jump) this.reveal(span, true);
    this.renderAll();
    this.renderDetail();
    if (!isTyping({ target: document.activeElement } as unknown as KeyboardEvent)) this.scroller.focus({ preventScroll: true });
  }

  hide(): void {}

  destroy(): void {
    this.resize.disconnect();
  }

  update(change: ModelChange): void {
    if (change.reset) {
      this.rebuild();
      this.renderDetail();
      return;
    }
    const added = change.structural ? [...change.changed].filter((id) => !this.known.has(id)) : [];
    if (change.structural) this.rebuild();
    else this.computeRange();
    if (this.query) this.computeMatches(false);
    this.minimapDirty = true;
    if (this.follow && change.structural) this.followTail();
    this.markNew(added);
    this.renderAll();
    if (this.selected && change.changed.has(this.selected)) this.renderDetail();
  }

  /** Spans that arrived live are marked for a moment (the row fades from a highlight). */
  private readonly fresh = new Map<string, number>();
  private readonly known = new Set<string>();

  private markNew(added: string[]): void {
    const now = Date.now();
    for (const id of added) this.fresh.set(id, now);
    for (const [id, at] of this.fresh) if (now - at > 3000) this.fresh.delete(id);
  }

  selectionChanged(id: string | undefined): void {
    if (id === this.selected) return;
    this.selected = id;
    if (id) this.reveal(id, false);
    this.renderAll();
    this.renderDetail();
  }

  tick(): void {
    this.markNew([]);
    this.computeRange();
    if (Date.now() - this.lastMinimap > 2000) this.minimapDirty = true;
    this.renderAll();
  }

  // ——— model → rows ———

  private rebuild(): void {
    const m = this.page.model;
    this.dfs = [];
    const stack = [...m.roots].reverse();
    const seen = new Set<SpanNode>();
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      this.dfs.push(n);
      this.known.add(n.id);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
    this.computeRange();
    this.flatten();
    this.fillTurns();
  }

  private computeRange(): void {
    const m = this.page.model;
    const now = m.now();
    let t0 = m.header.startTime || Number.POSITIVE_INFINITY;
    for (const n of m.roots) t0 = Math.min(t0, n.span.startTime);
    if (!Number.isFinite(t0)) t0 = now;
    let end = now;
    if (!m.running) for (const n of m.ordered) end = Math.max(end, n.span.endTime ?? n.span.startTime);
    this.t0 = t0;
    const realTotal = Math.max(MIN_SPAN_MS, end - t0);
    if (this.compressIdle) {
      const busy: Array<[number, number]> = [];
      for (const n of m.ordered) if (n.span.kind !== 'session') busy.push([n.span.startTime - t0, (n.span.endTime ?? now) - t0]);
      this.timeline = Timeline.compress(busy, realTotal);
    } else this.timeline = Timeline.identity(realTotal);
    this.total = Math.max(MIN_SPAN_MS, this.timeline.total);
  }

  /** Real milliseconds since the session start → a position on the (possibly compressed) axis. */
  private ax(time: number): number {
    return this.timeline.toAxis(time - this.t0);
  }

  private setCompress(on: boolean): void {
    this.compressIdle = on;
    this.window = undefined;
    this.computeRange();
    this.minimapDirty = true;
    this.renderAll();
  }

  private setFollow(on: boolean): void {
    this.follow = on;
    if (on) this.followTail();
  }

  /** Scrolls to the newest span (the last in document order) and keeps the right end of time in view. */
  private followTail(): void {
    if (!this.rows.length) return;
    this.scroller.scrollTop = this.rows.length * ROW_H;
    if (this.window) {
      const width = this.window.to - this.window.from;
      this.window = { from: Math.max(0, this.total - width), to: this.total };
    }
  }

  private fillTurns(): void {
    const turns = this.dfs.filter((n) => n.span.kind === 'turn');
    const current = this.turnSelect.value;
    replaceChildren(
      this.turnSelect,
      h('option', { value: '' }, turns.length ? `All ${turns.length} turns` : 'No turns'),
      turns.map((n, i) => h('option', { value: n.id }, `Turn ${i + 1}: ${spanSubtitle(n.span, this.page.model.header).slice(0, 60)}`)),
    );
    this.turnSelect.value = turns.some((n) => n.id === current) ? current : '';
    this.turnSelect.hidden = turns.length < 2;
  }

  /** Per-turn zoom: the time axis shows one turn, its row on top. */
  private zoomToTurn(id: string): void {
    const node = id ? this.page.model.nodes.get(id) : undefined;
    if (!node) {
      this.setWindow(undefined);
      return;
    }
    this.zoomTo(node);
    this.selectNode(node.id, { reveal: false });
    const i = this.rowIndex.get(node.id);
    if (i !== undefined) this.scroller.scrollTop = i * ROW_H;
  }

  private flatten(): void {
    const keep = this.onlyMatches && this.query ? this.visibleForMatches() : undefined;
    const rows: SpanNode[] = [];
    const stack = [...this.page.model.roots].reverse();
    const seen = new Set<SpanNode>();
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      if (keep && !keep.has(n)) continue;
      rows.push(n);
      if (this.collapsed.has(n.id)) continue;
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
    this.rows = rows;
    this.rowIndex = new Map(rows.map((n, i) => [n.id, i]));
    this.spacer.style.height = `${rows.length * ROW_H}px`;
  }

  private visibleForMatches(): Set<SpanNode> {
    const keep = new Set<SpanNode>();
    for (const n of this.matches) {
      for (let p: SpanNode | null = n; p && !keep.has(p); p = p.parent) keep.add(p);
    }
    return keep;
  }

  // ——— rendering ———

  private measure(): void {
    const lane = this.axis.getBoundingClientRect().width;
    if (lane > 0) this.laneWidth = lane;
  }

  private renderAll(): void {
    if (this.el.hidden) return;
    this.renderAxis();
    this.renderRows(true);
    if (this.minimapDirty) this.scheduleMinimap();
    this.renderWindowBox();
  }

  private minimapTimer: ReturnType<typeof setTimeout> | undefined;

  /** The minimap is drawn after the rows are on screen (it is the one part whose cost grows with the spans). */
  private scheduleMinimap(): void {
    if (this.minimapTimer) return;
    this.minimapTimer = setTimeout(() => {
      this.minimapTimer = undefined;
      if (!this.el.hidden && this.minimapDirty) this.renderMinimap();
    }, this.painted ? 0 : 50);
  }

  private view(): { from: number; to: number } {
    if (!this.window) return { from: 0, to: this.total };
    return this.window;
  }

  private pct(ms: number): number {
    const v = this.view();
    return ((ms - v.from) / Math.max(MIN_SPAN_MS, v.to - v.from)) * 100;
  }

  private renderAxis(): void {
    const v = this.view();
    const span = Math.max(MIN_SPAN_MS, v.to - v.from);
    const target = Math.max(2, Math.floor(this.laneWidth / 90));
    const step = TICK_STEPS.find((s) => span / s <= target) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
    const ticks: HTMLElement[] = [];
    const lines: HTMLElement[] = [];
    const minGapPx = 60;
    let lastPx = Number.NEGATIVE_INFINITY;
    const px = (axisMs: number) => (this.pct(axisMs) / 100) * this.laneWidth;
    // gap labels first: ticks keep clear of them
    const gapPx = this.timeline.gaps.filter((g) => g.at + g.width >= v.from && g.at <= v.to).map((g) => [px(g.at), px(g.at + g.width)] as const);
    const centers = gapPx.map(([a, b]) => (a + b) / 2);
    // a gap's words fit when its neighbours leave room for them; else a bare ⋯ (the words in its tooltip)
    const roomy = centers.map((c, i) => Math.min(i ? c - centers[i - 1]! : Infinity, i < centers.length - 1 ? centers[i + 1]! - c : Infinity) > 120);
    const nearGap = (x: number) => gapPx.some(([a, b], i) => x > a - (roomy[i] ? 70 : 20) && x < b + (roomy[i] ? 70 : 20));
    let gapIndex = 0;
    // ticks at round real times inside each active stretch (between the compressed gaps)
    for (const [a, b] of this.timeline.stretches()) {
      if (this.timeline.toAxis(b) < v.from || this.timeline.toAxis(a) > v.to) continue;
      for (let t = Math.ceil(a / step) * step; t <= b; t += step) {
        const at = this.timeline.toAxis(t);
        if (at < v.from || at > v.to) continue;
        const x = px(at);
        if (x - lastPx < minGapPx || nearGap(x)) continue;
        lastPx = x;
        const left = `${this.pct(at)}%`;
        const tick = h('span', { class: 'tick' }, fmtShort(t));
        tick.style.left = left;
        ticks.push(tick);
        const line = h('span', { class: 'grid-line' });
        line.style.left = left;
        lines.push(line);
      }
    }
    for (const g of this.timeline.gaps) {
      if (g.at + g.width < v.from || g.at > v.to) continue;
      const left = this.pct(Math.max(v.from, g.at));
      const right = this.pct(Math.min(v.to, g.at + g.width));
      const band = h('span', { class: 'wf-gap', title: `idle for ${gapLabel(g.to - g.from)}` });
      band.style.left = `${left}%`;
      band.style.width = `${Math.max(0.2, right - left)}%`;
      lines.push(band);
      const wide = roomy[gapIndex++] ?? false;
      const label = h('span', { class: 'wf-gap-label', title: `${gapLabel(g.to - g.from)} later` }, wide ? `⋯ ${gapLabel(g.to - g.from)} later ⋯` : '⋯');
      label.style.left = `${(left + right) / 2}%`;
      ticks.push(label);
    }
    replaceChildren(this.axis, ticks);
    replaceChildren(this.grid, lines);
  }

  renderRows(force = false): void {
    if (this.el.hidden) return;
    const height = this.scroller.clientHeight || 600;
    const size = Math.ceil(height / ROW_H) + OVERSCAN * 2;
    if (this.pool.length !== size) {
      for (const r of this.pool) r.el.remove();
      this.pool = [];
      for (let i = 0; i < size; i++) {
        const el = h('div', { class: 'wf-row', role: 'treeitem' });
        this.layer.appendChild(el);
        this.pool.push({ el, key: '', index: -1 });
      }
    }
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(this.rows.length, first + size);
    const used = new Set<RowEl>();
    const v = this.view();
    const windowKey = `${v.from}:${v.to}:${this.query}`;
    const now = this.page.model.now();
    for (let i = first; i < last; i++) {
      const r = this.pool[i % size]!;
      used.add(r);
      const node = this.rows[i]!;
      const open = node.span.endTime === undefined;
      const key = `${node.id}|${node.rev}|${i}|${node.id === this.selected ? 1 : 0}|${this.collapsed.has(node.id) ? 1 : 0}|${node.children.length}|${this.matchSet.has(node.id) ? 1 : 0}|${this.matches[this.matchAt]?.id === node.id ? 1 : 0}|${windowKey}|${open ? now : 0}|${this.fresh.has(node.id) ? 1 : 0}`;
      if (force || r.key !== key || r.index !== i) {
        if (r.key !== key) this.fillRow(r.el, node, i);
        r.el.style.transform = `translateY(${i * ROW_H}px)`;
        r.key = key;
        r.index = i;
      }
      r.el.hidden = false;
    }
    for (const r of this.pool) {
      if (!used.has(r) && !r.el.hidden) {
        r.el.hidden = true;
        r.el.removeAttribute('aria-selected');
        r.el.className = 'wf-row';
        r.index = -1;
        r.key = '';
      }
    }
    if (!this.painted && this.rows.length) {
      performance.mark('agent-trace:waterfall-rows');
      this.painted = true;
      // after the next frame is painted (a task queued from rAF runs once the frame is out)
      requestAnimationFrame(() =>
        setTimeout(() => {
          performance.mark('agent-trace:waterfall-painted');
          document.documentElement.dataset.waterfallPainted = '1';
        }, 0),
      );
    }
  }

  private fillRow(el: HTMLElement, node: SpanNode, index: number): void {
    const sp = node.span;
    const m = this.page.model;
    const hd = m.header;
    const isSel = node.id === this.selected;
    const hasKids = node.children.length > 0;
    const collapsed = this.collapsed.has(node.id);
    const error = sp.status === 'error';
    const interrupted = isInterrupted(sp);
    const open = sp.endTime === undefined;
    const q = this.query;
    el.className = `wf-row rk-${sp.kind}${isSel ? ' selected' : ''}${error ? ' error' : ''}${this.matchSet.has(node.id) ? ' match' : ''}${this.matches[this.matchAt]?.id === node.id ? ' current-match' : ''}${index % 2 ? ' odd' : ''}${this.fresh.has(node.id) ? ' fresh' : ''}`;
    el.dataset.id = node.id;
    el.setAttribute('aria-level', String(node.depth + 1));
    el.setAttribute('aria-selected', String(isSel));
    if (hasKids) el.setAttribute('aria-expanded', String(!collapsed));
    else el.removeAttribute('aria-expanded');

    const name = h('div', { class: 'wf-name' });
    name.style.paddingLeft = `${6 + node.depth * INDENT}px`;
    const twisty = h('span', { class: `twisty${hasKids ? (collapsed ? ' closed' : ' open') : ' leaf'}`, title: hasKids ? `${node.children.length} children` : undefined }, hasKids ? icon('chevron') : null);
    const title = spanTitle(sp, hd);
    const sub = spanSubtitle(sp, hd);
    name.append(
      twisty,
      kindIcon(sp.kind),
      h('span', { class: 'wf-label' }, ...highlighted(title, q)),
      sub ? h('span', { class: 'wf-sub' }, ...highlighted(sub, q)) : '',
      hasKids && collapsed ? h('span', { class: 'wf-count' }, String(node.children.length)) : '',
      error ? h('span', { class: 'wf-flag err', title: sp.statusMessage ?? 'error' }, icon('error')) : '',
      interrupted ? h('span', { class: 'wf-flag int', title: 'interrupted' }, icon('bolt')) : '',
    );

    const lane = h('div', { class: 'wf-lane' });
    const realStart = sp.startTime;
    const realEnd = open ? m.now() : sp.endTime!;
    const start = this.ax(realStart);
    const end = this.ax(realEnd);
    const v = this.view();
    const visibleFrom = Math.max(start, v.from);
    const visibleTo = Math.min(end, v.to);
    if (visibleTo >= visibleFrom || (start <= v.to && end >= v.from)) {
      const bar = h('div', { class: `wf-bar kind-${sp.kind}${error ? ' error' : ''}${open ? ' open' : ''}${interrupted ? ' interrupted' : ''}` });
      const left = this.pct(Math.max(start, v.from));
      const right = this.pct(Math.min(end, v.to));
      bar.style.left = `${left}%`;
      bar.style.width = `max(2px, ${Math.max(0, right - left)}%)`;
      lane.appendChild(bar);
      for (const ev of sp.events ?? []) {
        const t = this.ax(ev.time);
        if (t < v.from || t > v.to) continue;
        const mark = h('span', { class: `wf-event ev-${ev.name.replace(/[^a-z_]/gi, '')}`, title: `${ev.name}${ev.attributes?.message ? `: ${String(ev.attributes.message)}` : ''}` });
        mark.style.left = `${this.pct(t)}%`;
        lane.appendChild(mark);
      }
      const label = h('span', { class: 'wf-dur' }, open ? `${fmtDuration(realEnd - realStart)} …` : durationKnown(sp) ? fmtDuration(realEnd - realStart) : 'duration unknown');
      if (right <= 82) label.style.left = `${right}%`;
      else if (left >= 18) label.style.right = `${100 - left}%`;
      else {
        label.classList.add('inside');
        label.style.left = `${Math.max(0, left)}%`;
      }
      lane.appendChild(label);
    } else {
      lane.appendChild(h('span', { class: `wf-off ${end < v.from ? 'before' : 'after'}` }, end < v.from ? '◂' : '▸'));
    }
    replaceChildren(el, name, lane);
  }

  private renderMinimap(): void {
    this.minimapDirty = false;
    this.lastMinimap = Date.now();
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(canvas.clientWidth * dpr));
    const hgt = Math.max(1, Math.floor(canvas.clientHeight * dpr));
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== hgt) canvas.height = hgt;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, w, hgt);
    const nodes = this.dfs;
    const n = Math.max(1, nodes.length);
    const rowH = Math.max(1, hgt / n);
    const now = this.page.model.now();
    for (let i = 0; i < nodes.length; i++) {
      const sp = nodes[i]!.span;
      if (sp.kind === 'session') continue;
      const x0 = (this.ax(sp.startTime) / this.total) * w;
      const x1 = (this.ax(sp.endTime ?? now) / this.total) * w;
      ctx.fillStyle = sp.status === 'error' ? '#ef4444' : (KIND_COLOR[sp.kind] ?? '#94a3b8');
      ctx.fillRect(x0, (i / n) * hgt, Math.max(1, x1 - x0), Math.max(1, rowH));
    }
  }

  private renderWindowBox(): void {
    const box = this.windowBox;
    if (!this.window) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.style.left = `${(this.window.from / this.total) * 100}%`;
    box.style.width = `${((this.window.to - this.window.from) / this.total) * 100}%`;
  }

  private renderDetail(): void {
    const node = this.selected ? this.page.model.nodes.get(this.selected) : undefined;
    const scroll = this.detail.scrollTop;
    const sameSpan = this.detail.dataset.span === (node?.id ?? '');
    replaceChildren(
      this.detail,
      node
        ? spanDetail(this.page, node, {
            zoom: () => this.zoomTo(node),
            close: () => this.selectNode(undefined),
          })
        : null,
    );
    this.detail.dataset.span = node?.id ?? '';
    this.body.classList.toggle('no-detail', !node);
    // a different span starts at its top; the same span (a live update) keeps the reader's place
    this.detail.scrollTop = sameSpan ? scroll : 0;
  }

  // ——— selection, expansion ———

  private selectNode(id: string | undefined, options: { reveal?: boolean; fromUrl?: boolean } = {}): void {
    if (id && !this.page.model.nodes.has(id)) return;
    this.selected = id;
    if (!options.fromUrl) this.page.select(id, this);
    if (id && options.reveal !== false) this.reveal(id, options.fromUrl === true);
    this.renderRows();
    this.renderDetail();
  }

  /** Expands the ancestors of a span and scrolls it into view (centred when `center`). */
  private reveal(id: string, center: boolean): void {
    const node = this.page.model.nodes.get(id);
    if (!node) return;
    let changed = false;
    for (let p = node.parent; p; p = p.parent) if (this.collapsed.delete(p.id)) changed = true;
    if (this.onlyMatches && this.query && !this.rowIndex.has(id)) {
      this.onlyMatches = false;
      changed = true;
    }
    if (changed) this.flatten();
    const i = this.rowIndex.get(id);
    if (i === undefined) return;
    const top = i * ROW_H;
    const viewTop = this.scroller.scrollTop;
    const viewH = this.scroller.clientHeight || 600;
    if (center && (top < viewTop || top + ROW_H > viewTop + viewH)) this.scroller.scrollTop = Math.max(0, top - viewH / 2 + ROW_H / 2);
    else if (top < viewTop) this.scroller.scrollTop = top;
    else if (top + ROW_H > viewTop + viewH) this.scroller.scrollTop = top + ROW_H - viewH;
  }

  private toggle(id: string, open?: boolean): void {
    const node = this.page.model.nodes.get(id);
    if (!node || !node.children.length) return;
    const isCollapsed = this.collapsed.has(id);
    const wantOpen = open ?? isCollapsed;
    if (wantOpen === !isCollapsed) return;
    if (wantOpen) this.collapsed.delete(id);
    else this.collapsed.add(id);
    this.flatten();
    this.renderRows(true);
  }

  private expandAll(): void {
    this.collapsed.clear();
    this.flatten();
    if (this.selected) this.reveal(this.selected, true);
    this.renderRows(true);
  }

  private collapseToTurns(): void {
    for (const n of this.dfs) if (n.span.kind === 'turn' && n.children.length) this.collapsed.add(n.id);
    this.flatten();
    if (this.selected) {
      // keep the selection visible: select its turn when it is now hidden
      if (!this.rowIndex.has(this.selected)) {
        let p = this.page.model.nodes.get(this.selected) ?? null;
        while (p && !this.rowIndex.has(p.id)) p = p.parent;
        if (p) this.selectNode(p.id);
      }
      this.reveal(this.selected!, true);
    }
    this.renderRows(true);
  }

  private onRowClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    const row = target.closest<HTMLElement>('.wf-row');
    const id = row?.dataset.id;
    if (!id) return;
    if (target.closest('.twisty')) {
      this.toggle(id);
      return;
    }
    this.selectNode(id, { reveal: false });
    this.scroller.focus({ preventScroll: true });
  }

  onKey(e: KeyboardEvent): boolean {
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return false;
    const i = this.selected !== undefined ? (this.rowIndex.get(this.selected) ?? -1) : -1;
    const sel = this.selected ? this.page.model.nodes.get(this.selected) : undefined;
    const go = (index: number) => {
      const n = this.rows[Math.max(0, Math.min(this.rows.length - 1, index))];
      if (n) this.selectNode(n.id);
    };
    const pageRows = Math.max(1, Math.floor((this.scroller.clientHeight || 600) / ROW_H) - 1);
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        go(i + 1);
        return true;
      case 'ArrowUp':
      case 'k':
        go(i < 0 ? 0 : i - 1);
        return true;
      case 'PageDown':
        go(i + pageRows);
        return true;
      case 'PageUp':
        go(i - pageRows);
        return true;
      case 'Home':
        go(0);
        return true;
      case 'End':
        go(this.rows.length - 1);
        return true;
      case 'ArrowRight':
      case 'l':
        if (!sel) go(0);
        else if (sel.children.length && this.collapsed.has(sel.id)) this.toggle(sel.id, true);
        else if (sel.children.length) this.selectNode(sel.children[0]!.id);
        return true;
      case 'ArrowLeft':
      case 'h':
        if (!sel) return true;
        if (sel.children.length && !this.collapsed.has(sel.id)) this.toggle(sel.id, false);
        else if (sel.parent) this.selectNode(sel.parent.id);
        return true;
      case 'Enter':
      case ' ':
        if (sel) this.toggle(sel.id);
        return true;
      case '/':
        this.searchInput.focus();
        this.searchInput.select();
        return true;
      case 'n':
        this.nextMatch(1);
        return true;
      case 'N':
        this.nextMatch(-1);
        return true;
      case 'z':
        if (sel) this.zoomTo(sel);
        return true;
      case '0':
        this.setWindow(undefined);
        return true;
      case '+':
      case '=':
        this.zoomBy(0.5);
        return true;
      case '-':
      case '_':
        this.zoomBy(2);
        return true;
      case 'c':
        if (sel) this.page.open('chat', sel.id);
        return true;
      case 'Escape':
        if (this.selected) this.selectNode(undefined);
        return true;
      default:
        return false;
    }
  }

  // ——— search ———

  private setQuery(q: string): void {
    const query = q.trim().toLowerCase();
    if (query === this.query) return;
    this.query = query;
    this.computeMatches(true);
    if (this.onlyMatches) this.flatten();
    this.renderRows(true);
  }

  private setOnlyMatches(on: boolean): void {
    this.onlyMatches = on;
    this.flatten();
    this.scroller.scrollTop = 0;
    if (this.selected) this.reveal(this.selected, true);
    this.renderRows(true);
  }

  private computeMatches(resetCursor: boolean): void {
    const q = this.query;
    const current = this.matches[this.matchAt]?.id;
    this.matches = q ? this.dfs.filter((n) => searchText(n).includes(q)) : [];
    this.matchSet = new Set(this.matches.map((n) => n.id));
    this.matchAt = resetCursor ? -1 : this.matches.findIndex((n) => n.id === current);
    this.matchCount.textContent = q ? (this.matches.length ? `${this.matchAt >= 0 ? this.matchAt + 1 : 0} / ${this.matches.length}` : 'no match') : '';
    this.matchCount.classList.toggle('none', q !== '' && this.matches.length === 0);
  }

  private nextMatch(dir: 1 | -1): void {
    if (!this.matches.length) return;
    if (this.matchAt < 0) {
      // start from the selection
      const from = this.selected ? this.dfs.findIndex((n) => n.id === this.selected) : -1;
      const order = this.dfs.map((n) => n.id);
      const pos = (n: SpanNode) => order.indexOf(n.id);
      const next = dir > 0 ? this.matches.findIndex((n) => pos(n) > from) : this.matches.findLastIndex((n) => pos(n) < from);
      this.matchAt = next >= 0 ? next : dir > 0 ? 0 : this.matches.length - 1;
    } else this.matchAt = (this.matchAt + dir + this.matches.length) % this.matches.length;
    this.matchCount.textContent = `${this.matchAt + 1} / ${this.matches.length}`;
    const target = this.matches[this.matchAt]!;
    this.selectNode(target.id, { reveal: false });
    this.reveal(target.id, true);
    this.renderRows(true);
  }

  // ——— zoom ———

  private setWindow(w: { from: number; to: number } | undefined): void {
    if (w) {
      const from = Math.max(0, Math.min(w.from, w.to));
      const to = Math.min(this.total, Math.max(w.from, w.to));
      this.window = to - from < MIN_SPAN_MS || (from <= 0 && to >= this.total) ? undefined : { from, to: Math.max(to, from + MIN_SPAN_MS) };
    } else this.window = undefined;
    this.renderAll();
  }

  private zoomBy(factor: number, at?: number): void {
    const v = this.view();
    const center = at ?? (v.from + v.to) / 2;
    const width = Math.max(MIN_SPAN_MS * 10, (v.to - v.from) * factor);
    const ratio = (center - v.from) / Math.max(MIN_SPAN_MS, v.to - v.from);
    let from = center - width * ratio;
    let to = from + width;
    if (from < 0) {
      to -= from;
      from = 0;
    }
    if (to > this.total) {
      from -= to - this.total;
      to = this.total;
    }
    this.setWindow({ from: Math.max(0, from), to });
  }

  private zoomTo(node: SpanNode): void {
    const start = this.ax(node.span.startTime);
    const end = this.ax(this.page.model.endOf(node.span));
    const pad = Math.max(MIN_SPAN_MS * 5, (end - start) * 0.08);
    this.setWindow({ from: start - pad, to: end + pad });
  }

  private onWheel(e: WheelEvent): void {
    const lane = (e.target as HTMLElement).closest('.wf-lane');
    if (!lane) return;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      const rect = lane.getBoundingClientRect();
      const v = this.view();
      const at = v.from + ((e.clientX - rect.left) / rect.width) * (v.to - v.from);
      this.zoomBy(e.deltaY > 0 ? 1.25 : 0.8, at);
    } else if (this.window && (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY))) {
      e.preventDefault();
      const v = this.view();
      const delta = ((e.shiftKey ? e.deltaY : e.deltaX) / Math.max(1, this.laneWidth)) * (v.to - v.from);
      const width = v.to - v.from;
      const from = Math.max(0, Math.min(this.total - width, v.from + delta));
      this.setWindow({ from, to: from + width });
    }
  }

  private initMinimap(minimap: HTMLElement): void {
    let startX: number | undefined;
    const timeAt = (clientX: number) => {
      const rect = minimap.getBoundingClientRect();
      return Math.max(0, Math.min(1, (clientX - rect.left) / Math.max(1, rect.width))) * this.total;
    };
    minimap.addEventListener('pointerdown', (e) => {
      startX = e.clientX;
      minimap.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    minimap.addEventListener('pointermove', (e) => {
      if (startX === undefined) return;
      const rect = minimap.getBoundingClientRect();
      const a = Math.min(startX, e.clientX) - rect.left;
      const b = Math.max(startX, e.clientX) - rect.left;
      this.brush.hidden = b - a < 3;
      this.brush.style.left = `${Math.max(0, a)}px`;
      this.brush.style.width = `${Math.min(rect.width, b) - Math.max(0, a)}px`;
    });
    minimap.addEventListener('pointerup', (e) => {
      if (startX === undefined) return;
      const x0 = startX;
      startX = undefined;
      this.brush.hidden = true;
      if (Math.abs(e.clientX - x0) >= 3) this.setWindow({ from: timeAt(Math.min(x0, e.clientX)), to: timeAt(Math.max(x0, e.clientX)) });
      else if (this.window) {
        const width = this.window.to - this.window.from;
        const from = Math.max(0, Math.min(this.total - width, timeAt(e.clientX) - width / 2));
        this.setWindow({ from, to: from + width });
      }
    });
    minimap.addEventListener('dblclick', () => this.setWindow(undefined));
  }

  private initSplitter(splitter: HTMLElement): void {
    splitter.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      e.stopPropagation();
      splitter.setPointerCapture(e.pointerId);
      const startX = e.clientX;
      const start = parseFloat(getComputedStyle(this.el).getPropertyValue('--name-w')) || 420;
      const move = (ev: PointerEvent) => {
        const w = Math.max(200, Math.min(1200, start + ev.clientX - startX));
        this.el.style.setProperty('--name-w', `${w}px`);
      };
      const up = () => {
        splitter.removeEventListener('pointermove', move);
        splitter.removeEventListener('pointerup', up);
        localStorage.setItem('agent-trace.nameWidth', String(parseFloat(getComputedStyle(this.el).getPropertyValue('--name-w'))));
        this.measure();
        this.minimapDirty = true;
        this.renderAll();
      };
      splitter.addEventListener('pointermove', move);
      splitter.addEventListener('pointerup', up);
    });
  }
}
