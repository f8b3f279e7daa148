import { h, isTyping, replaceChildren } from './dom.js';
import type { ModelChange, SpanNode } from './model.js';
import { spanDetail } from './detail.js';
import type { SessionHost, TabView } from './host.js';
import { drawAxis } from './waterfall-axis.js';
import { waterfallKey } from './waterfall-keys.js';
import { SpanMatches } from './waterfall-matches.js';
import { Minimap } from './waterfall-minimap.js';
import { fillRow, rowKey, type RowLook } from './waterfall-row.js';
import { depthFirst, flattenRows, withAncestors } from './waterfall-rows.js';
import { TimeScale, type TimeWindow } from './waterfall-time.js';
import { fillTurnSelect, waterfallToolbar, type Toolbar } from './waterfall-toolbar.js';
import { RowWindow } from './waterfall-window.js';

/**
 * The Waterfall tab: the span tree on the left, bars on a time axis on the right, a minimap that zooms, a
 * detail panel. This class holds the tab's state (rows, expansion, selection, search, zoom) and wires the
 * parts: the toolbar (waterfall-toolbar.ts), the rows from the tree (waterfall-rows.ts) in a virtual window
 * (waterfall-window.ts) drawn one by one (waterfall-row.ts), the time scale and zoom (waterfall-time.ts), the
 * axis (waterfall-axis.ts), the minimap (waterfall-minimap.ts), the search (waterfall-matches.ts) and the
 * keys (waterfall-keys.ts).
 */
export class WaterfallView implements TabView {
  readonly el: HTMLElement;
  private rows: SpanNode[] = [];
  private rowIndex = new Map<string, number>();
  private dfs: SpanNode[] = [];
  private readonly collapsed = new Set<string>();
  private selected: string | undefined;
  private onlyMatches = false;
  private readonly matches: SpanMatches;
  private readonly time = new TimeScale();
  private compressIdle = true;
  private follow = false;
  private laneWidth = 600;
  /** Spans that arrived live are marked for a moment (the row fades from a highlight). */
  private readonly fresh = new Map<string, number>();
  private readonly known = new Set<string>();
  private readonly toolbar: Toolbar;
  private readonly body: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly rowWindow: RowWindow;
  private readonly axis: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly minimap: Minimap;
  private readonly detail: HTMLElement;
  private readonly resize: ResizeObserver;

  constructor(private readonly page: SessionHost) {
    this.toolbar = waterfallToolbar({
      setQuery: (q) => this.setQuery(q),
      nextMatch: (d) => this.nextMatch(d),
      searchCleared: () => this.scroller.focus(),
      setOnlyMatches: (on) => this.setOnlyMatches(on),
      expandAll: () => this.expandAll(),
      collapseToTurns: () => this.collapseToTurns(),
      zoomBy: (factor) => this.zoomBy(factor),
      resetZoom: () => this.setWindow(undefined),
      zoomToTurn: (id) => this.zoomToTurn(id),
      setCompress: (on) => this.setCompress(on),
      setFollow: (on) => this.setFollow(on),
    });
    this.matches = new SpanMatches(this.toolbar.matchCount);
    this.minimap = new Minimap(this.time, {
      nodes: () => this.dfs,
      now: () => this.page.model.now(),
      visible: () => !this.el.hidden,
      setWindow: (w) => this.setWindow(w),
    });
    this.axis = h('div', { class: 'wf-axis' });
    const splitter = h('div', { class: 'wf-splitter', title: 'Drag to resize' });
    const head = h('div', { class: 'wf-head' }, h('div', { class: 'wf-head-name' }, 'Span', splitter), h('div', { class: 'wf-head-lane' }, this.minimap.el, this.axis));
    const spacer = h('div', { class: 'wf-spacer' });
    const layer = h('div', { class: 'wf-layer' });
    this.grid = h('div', { class: 'wf-grid' });
    this.scroller = h('div', { class: 'wf-scroll', tabIndex: 0, role: 'tree', attrs: { 'aria-label': 'Spans' } }, spacer, layer);
    this.rowWindow = new RowWindow(this.scroller, spacer, layer);
    this.detail = h('aside', { class: 'wf-detail', attrs: { 'aria-label': 'Span details' } });
    // the detail panel takes room only when a span is selected
    this.body = h('div', { class: 'wf-body no-detail' }, h('div', { class: 'wf-main' }, head, h('div', { class: 'wf-rows' }, this.grid, this.scroller)), this.detail);
    this.el = h('div', { class: 'tab-pane wf', role: 'tabpanel' }, this.toolbar.el, this.body);
    const saved = Number(localStorage.getItem('agent-trace.nameWidth'));
    this.el.style.setProperty('--name-w', `${saved >= 200 && saved <= 1200 ? saved : 420}px`);

    this.scroller.addEventListener('scroll', () => this.renderRows(), { passive: true });
    this.scroller.addEventListener('click', (e) => this.onRowClick(e));
    this.scroller.addEventListener('dblclick', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.wf-row');
      if (row?.dataset.id) this.toggle(row.dataset.id);
    });
    this.scroller.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.initSplitter(splitter);
    this.resize = new ResizeObserver(() => {
      this.measure();
      this.minimap.invalidate();
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
    if (this.matches.query) this.matches.compute(this.dfs, false);
    this.minimap.invalidate();
    if (this.follow && change.structural) this.followTail();
    this.markNew(added);
    this.renderAll();
    if (this.selected && change.changed.has(this.selected)) this.renderDetail();
  }

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
    this.minimap.invalidateIfOlder(2000);
    this.renderAll();
  }

  // ——— model → rows ———

  private rebuild(): void {
    this.dfs = depthFirst(this.page.model.roots);
    for (const n of this.dfs) this.known.add(n.id);
    this.computeRange();
    this.flatten();
    fillTurnSelect(
      this.toolbar.turnSelect,
      this.dfs.filter((n) => n.span.kind === 'turn'),
      this.page.model.header,
    );
  }

  private computeRange(): void {
    this.time.measure(this.page.model, this.compressIdle);
  }

  private flatten(): void {
    const keep = this.onlyMatches && this.matches.query ? withAncestors(this.matches.list) : undefined;
    this.rows = flattenRows(this.page.model.roots, this.collapsed, keep);
    this.rowIndex = new Map(this.rows.map((n, i) => [n.id, i]));
    this.rowWindow.setCount(this.rows.length);
  }

  private setCompress(on: boolean): void {
    this.compressIdle = on;
    this.time.window = undefined;
    this.computeRange();
    this.minimap.invalidate();
    this.renderAll();
  }

  private setFollow(on: boolean): void {
    this.follow = on;
    if (on) this.followTail();
  }

  /** Scrolls to the newest span (the last in document order) and keeps the right end of time in view. */
  private followTail(): void {
    if (!this.rows.length) return;
    this.rowWindow.scrollToRow(this.rows.length);
    this.time.keepEndInView();
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
    if (i !== undefined) this.rowWindow.scrollToRow(i);
  }

  // ——— rendering ———

  private measure(): void {
    const lane = this.axis.getBoundingClientRect().width;
    if (lane > 0) this.laneWidth = lane;
  }

  private renderAll(): void {
    if (this.el.hidden) return;
    drawAxis(this.axis, this.grid, this.time, this.laneWidth);
    this.renderRows(true);
    this.minimap.schedule(this.rowWindow.painted);
    this.minimap.drawWindow();
  }

  renderRows(force = false): void {
    if (this.el.hidden) return;
    const look: RowLook = {
      model: this.page.model,
      time: this.time,
      selected: this.selected,
      collapsed: this.collapsed,
      query: this.matches.query,
      matchSet: this.matches.set,
      currentMatch: this.matches.current,
      fresh: this.fresh,
      now: this.page.model.now(),
    };
    this.rowWindow.render(
      this.rows,
      (node, i) => rowKey(node, i, look),
      (el, node, i) => fillRow(el, node, i, look),
      force,
    );
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
    if (this.onlyMatches && this.matches.query && !this.rowIndex.has(id)) {
      this.onlyMatches = false;
      changed = true;
    }
    if (changed) this.flatten();
    const i = this.rowIndex.get(id);
    if (i === undefined) return;
    this.rowWindow.reveal(i, center);
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
    return waterfallKey(e.key, {
      index: this.selected !== undefined ? (this.rowIndex.get(this.selected) ?? -1) : -1,
      selected: this.selected ? this.page.model.nodes.get(this.selected) : undefined,
      rowCount: this.rows.length,
      pageRows: this.rowWindow.pageRows(),
      go: (index) => {
        const n = this.rows[Math.max(0, Math.min(this.rows.length - 1, index))];
        if (n) this.selectNode(n.id);
      },
      isCollapsed: (id) => this.collapsed.has(id),
      toggle: (id, open) => this.toggle(id, open),
      select: (id) => this.selectNode(id),
      deselect: () => {
        if (this.selected) this.selectNode(undefined);
      },
      focusSearch: () => {
        this.toolbar.searchInput.focus();
        this.toolbar.searchInput.select();
      },
      nextMatch: (dir) => this.nextMatch(dir),
      zoomTo: (node) => this.zoomTo(node),
      resetZoom: () => this.setWindow(undefined),
      zoomBy: (factor) => this.zoomBy(factor),
      openChat: (id) => this.page.open('chat', id),
    });
  }

  // ——— search ———

  private setQuery(q: string): void {
    if (!this.matches.setQuery(q)) return;
    this.matches.compute(this.dfs, true);
    if (this.onlyMatches) this.flatten();
    this.renderRows(true);
  }

  private setOnlyMatches(on: boolean): void {
    this.onlyMatches = on;
    this.flatten();
    this.rowWindow.scrollToRow(0);
    if (this.selected) this.reveal(this.selected, true);
    this.renderRows(true);
  }

  private nextMatch(dir: 1 | -1): void {
    const target = this.matches.step(dir, this.dfs, this.selected);
    if (!target) return;
    this.selectNode(target.id, { reveal: false });
    this.reveal(target.id, true);
    this.renderRows(true);
  }

  // ——— zoom ———

  private setWindow(w: TimeWindow | undefined): void {
    this.time.setWindow(w);
    this.renderAll();
  }

  private zoomBy(factor: number, at?: number): void {
    this.setWindow(this.time.zoomedBy(factor, at));
  }

  private zoomTo(node: SpanNode): void {
    this.setWindow(this.time.around(node.span.startTime, this.page.model.endOf(node.span)));
  }

  private onWheel(e: WheelEvent): void {
    const lane = (e.target as HTMLElement).closest('.wf-lane');
    if (!lane) return;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      const rect = lane.getBoundingClientRect();
      const v = this.time.view();
      const at = v.from + ((e.clientX - rect.left) / rect.width) * (v.to - v.from);
      this.zoomBy(e.deltaY > 0 ? 1.25 : 0.8, at);
    } else if (this.time.window && (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY))) {
      e.preventDefault();
      const v = this.time.view();
      const delta = ((e.shiftKey ? e.deltaY : e.deltaX) / Math.max(1, this.laneWidth)) * (v.to - v.from);
      this.setWindow(this.time.movedTo(v.from + delta));
    }
  }

  /** The splitter between the names and the lanes: dragged, it sets the names' width (kept in localStorage). */
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
        this.minimap.invalidate();
        this.renderAll();
      };
      splitter.addEventListener('pointermove', move);
      splitter.addEventListener('pointerup', up);
    });
  }
}
