import { h, icon, isTyping, kindIcon, replaceChildren, type Child } from './dom.js';
import { searchField } from './search-field.js';
import { fmtClock, fmtCost, fmtDuration, fmtInt, fmtTokens, oneLine, shortModel } from './format.js';
import { renderMarkdown } from './markdown.js';
import { durationKnown, generationOutput, isInterrupted, modelOf, searchText, stringify, toolName, usageOf, type ModelChange, type SpanNode } from './model.js';
import { contentView, promptImages, section, toolInputView, toolSummary, valueView } from './content.js';
import { foldedMarkdown } from './fold.js';
import type { SessionHost, TabView } from './host.js';
import type { SpanEventRecord } from '../../src/model/trace.js';
import { spanCost, spanTitle, subtreeStats } from './spans.js';

/** One block of the conversation at the top level; `rev` tells whether its element can be reused. */
interface Entry {
  key: string;
  rev: number;
  node: SpanNode | undefined;
  render: () => HTMLElement;
}

type Item = { node: SpanNode; time: number } | { event: SpanEventRecord; owner: SpanNode; index: number; time: number };

/** Blocks kept in the DOM at once; the rest of the conversation is two spacers of estimated height. */
const WINDOW = 120;
const SHIFT = 40;
const QUIET_EVENTS = new Set(['interrupted', 'session.resume', 'gen_ai.user.message']);

/**
 * The Chat tab: the conversation as it happened. Top-level blocks are reconciled by key and revision, so a
 * live update replaces only what changed and keeps the scroll position, the open cards and the selection.
 * Long sessions are rendered in batches (the first screen at once) and tool bodies only when opened.
 */
export class ChatView implements TabView {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly inner: HTMLElement;
  private readonly topSpacer = h('div', { class: 'chat-spacer' });
  private readonly bottomSpacer = h('div', { class: 'chat-spacer' });
  private entries: Entry[] = [];
  private readonly rendered = new Map<string, { rev: number; el: HTMLElement }>();
  /** The first entry in the DOM (the window is [winStart, winStart + WINDOW)). */
  private winStart = 0;
  private avgHeight = 90;
  private owner = new Map<string, number>();
  private readonly open = new Map<string, boolean>();
  private allOpen: boolean | undefined;
  private dirty = true;
  private lastJumped: string | undefined;
  private filters = { errors: false, tools: true, thinking: true };
  private query = '';
  private matches: number[] = [];
  private matchAt = -1;
  private follow = false;
  private known = new Set<string>();
  private readonly fresh = new Map<string, number>();
  private readonly searchInput: HTMLInputElement;
  private readonly matchCount: HTMLElement;
  private readonly turnSelect: HTMLSelectElement;
  private shifting = false;
  /** The turn outline beside the chat on wide screens (the turn menu stands in for it on narrow ones). */
  private readonly outline = h('nav', { class: 'chat-outline', attrs: { 'aria-label': 'Turns' } });

  constructor(private readonly page: SessionHost) {
    this.inner = h('div', { class: 'chat' });
    this.searchInput = searchField({
      placeholder: 'Search the conversation…  ( / )',
      label: 'Search the conversation',
      onQuery: (q) => this.setQuery(q),
      onStep: (d) => this.nextMatch(d),
    });
    this.matchCount = h('span', { class: 'match-count', attrs: { 'aria-live': 'polite' } });
    const check = (label: string, on: boolean, change: (v: boolean) => void) => {
      const box = h('input', { type: 'checkbox', on: { change: (e) => change((e.target as HTMLInputElement).checked) } });
      box.checked = on;
      return h('label', { class: 'check' }, box, label);
    };
    this.turnSelect = h('select', { class: 'turn-select', attrs: { 'aria-label': 'Go to a turn' }, on: { change: () => this.turnSelect.value && this.jumpTo(this.turnSelect.value) } });
    const button = (label: string, title: string, click: () => void) => h('button', { class: 'button small', type: 'button', title, on: { click } }, label);
    const toolbar = h(
      'div',
      { class: 'chat-toolbar' },
      h('div', { class: 'search-box' }, icon('search'), this.searchInput),
      this.matchCount,
      button('↑', 'Previous match (Shift+Enter)', () => this.nextMatch(-1)),
      button('↓', 'Next match (Enter)', () => this.nextMatch(1)),
      this.turnSelect,
      button('◂ Turn', 'Previous turn ([)', () => this.skipTurn(-1)),
      button('Turn ▸', 'Next turn (])', () => this.skipTurn(1)),
      check('errors only', false, (v) => this.setFilter('errors', v)),
      check('tools', true, (v) => this.setFilter('tools', v)),
      check('thinking', true, (v) => this.setFilter('thinking', v)),
      button('Expand all', 'Open every card', () => this.setAllOpen(true)),
      button('Collapse all', 'Close every card', () => this.setAllOpen(false)),
      check('follow', false, (v) => {
        this.follow = v;
        if (v) this.toEnd();
      }),
    );
    this.scroller = h('div', { class: 'chat-scroll', tabIndex: -1 }, this.topSpacer, this.inner, this.bottomSpacer);
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.el = h('div', { class: 'tab-pane chat-pane' }, toolbar, h('div', { class: 'chat-body' }, this.outline, this.scroller));
  }

  show(span: string | undefined, jump: boolean): void {
    if (this.dirty) this.refresh();
    if (span && (jump || span !== this.lastJumped)) this.jumpTo(span);
    this.markSelected(span);
  }

  hide(): void {}

  update(change: ModelChange): void {
    this.dirty = true;
    if (change.reset) this.rendered.clear();
    if (!this.el.hidden) this.refresh();
  }

  selectionChanged(id: string | undefined): void {
    this.markSelected(id);
  }

  tick(): void {
    for (const el of this.inner.querySelectorAll<HTMLElement>('[data-running-since]')) {
      el.textContent = fmtDuration(Date.now() - Number(el.dataset.runningSince));
    }
  }

  onKey(e: KeyboardEvent): boolean {
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return false;
    if (e.key === 'w' && this.page.selected) {
      this.page.open('waterfall', this.page.selected);
      return true;
    }
    if (e.key === '/') {
      this.searchInput.focus();
      this.searchInput.select();
      return true;
    }
    if (e.key === ']' || e.key === '[') {
      this.skipTurn(e.key === ']' ? 1 : -1);
      return true;
    }
    if (e.key === 'n' || e.key === 'N') {
      this.nextMatch(e.key === 'n' ? 1 : -1);
      return true;
    }
    return false;
  }

  // ——— filters, search, turns ———

  private setFilter(key: 'errors' | 'tools' | 'thinking', on: boolean): void {
    this.filters[key] = on;
    this.inner.classList.toggle('hide-thinking', !this.filters.thinking);
    this.winStart = 0;
    this.scroller.scrollTop = 0;
    this.refresh();
  }

  private setAllOpen(open: boolean): void {
    this.allOpen = open;
    this.open.clear();
    this.rendered.clear();
    replaceChildren(this.inner);
    this.reconcile();
  }

  private setQuery(q: string): void {
    const query = q.trim().toLowerCase();
    if (query === this.query) return;
    this.query = query;
    this.computeMatches();
  }

  private computeMatches(): void {
    const q = this.query;
    this.matches = [];
    if (q) {
      this.entries.forEach((e, i) => {
        if (e.node && !e.key.startsWith('turn:') && chatSearchText(e.node).includes(q)) this.matches.push(i);
      });
    }
    this.matchAt = -1;
    this.matchCount.textContent = q ? (this.matches.length ? `${this.matches.length} found` : 'no match') : '';
    for (const el of this.inner.querySelectorAll('.search-hit')) el.classList.remove('search-hit');
  }

  private nextMatch(dir: 1 | -1): void {
    if (!this.matches.length) return;
    this.matchAt = this.matchAt < 0 ? (dir > 0 ? 0 : this.matches.length - 1) : (this.matchAt + dir + this.matches.length) % this.matches.length;
    this.matchCount.textContent = `${this.matchAt + 1} / ${this.matches.length}`;
    const entry = this.entries[this.matches[this.matchAt]!];
    if (!entry?.node) return;
    for (const el of this.inner.querySelectorAll('.search-hit')) el.classList.remove('search-hit');
    this.showEntry(this.matches[this.matchAt]!, 'search-hit');
  }

  private turnIndexes(): number[] {
    const out: number[] = [];
    this.entries.forEach((e, i) => e.key.startsWith('turn:') && out.push(i));
    return out;
  }

  /** The skip between turns: to the next (or previous) turn's header, focused. */
  private skipTurn(dir: 1 | -1): void {
    const turns = this.turnIndexes();
    if (!turns.length) return;
    const current = this.firstVisibleIndex();
    const target = dir > 0 ? turns.find((i) => i > current) : turns.findLast((i) => i < current);
    if (target === undefined) return;
    const el = this.showEntry(target);
    el?.focus({ preventScroll: true });
  }

  private firstVisibleIndex(): number {
    const top = this.scroller.getBoundingClientRect().top;
    for (const el of this.inner.children) {
      if ((el as HTMLElement).getBoundingClientRect().bottom > top + 4) {
        const key = (el as HTMLElement).dataset.key;
        const i = this.entries.findIndex((e) => e.key === key);
        if (i >= 0) return i;
      }
    }
    return this.winStart;
  }

  private fillTurns(): void {
    const turns = this.entries.filter((e) => e.key.startsWith('turn:') && e.node);
    replaceChildren(
      this.turnSelect,
      h('option', { value: '' }, `Go to a turn (${turns.length})`),
      turns.map((e, i) => h('option', { value: e.node!.id }, `Turn ${i + 1}: ${oneLine(typeof e.node!.span.input === 'string' ? e.node!.span.input : '', 60)}`)),
    );
    this.turnSelect.hidden = turns.length < 2;
    replaceChildren(
      this.outline,
      h('div', { class: 'outline-title' }, 'Turns'),
      h(
        'ol',
        null,
        turns.map((e, i) => {
          const sp = e.node!.span;
          return h(
            'li',
            null,
            h(
              'button',
              { class: `outline-item${sp.status === 'error' ? ' error' : ''}`, type: 'button', title: oneLine(typeof sp.input === 'string' ? sp.input : '', 300), on: { click: () => this.jumpTo(e.node!.id) } },
              h('span', { class: 'outline-n' }, String(i + 1)),
              h('span', { class: 'outline-text' }, oneLine(typeof sp.input === 'string' ? sp.input : spanTitle(sp, this.page.model.header), 70)),
            ),
          );
        }),
      ),
    );
    this.outline.hidden = turns.length < 2;
  }

  /** Brings entry `index` into the window and into view; returns its element. */
  private showEntry(index: number, flash = 'flash'): HTMLElement | undefined {
    if (index < this.winStart || index >= this.winStart + WINDOW) {
      this.winStart = Math.max(0, Math.min(index - 20, this.entries.length - WINDOW));
      this.reconcile();
    }
    const entry = this.entries[index];
    const el = entry ? this.rendered.get(entry.key)?.el : undefined;
    if (!el) return undefined;
    el.scrollIntoView({ block: 'center' });
    el.classList.remove(flash);
    void el.offsetWidth;
    el.classList.add(flash);
    return el;
  }

  private toEnd(): void {
    this.winStart = Math.max(0, this.entries.length - WINDOW);
    this.reconcile();
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  // ——— the window ———

  /** Moves the window when the reader scrolls near its edges, keeping what is on screen where it is. */
  private onScroll(): void {
    if (this.shifting) return;
    const st = this.scroller.scrollTop;
    const viewH = this.scroller.clientHeight;
    const top = this.topSpacer.offsetHeight;
    const bottom = top + this.inner.offsetHeight;
    let next = this.winStart;
    if (st + viewH < top || st > bottom) next = Math.floor(st / this.avgHeight) - 20; // a jump (scrollbar drag)
    else if (st < top + viewH && this.winStart > 0) next = this.winStart - SHIFT;
    else if (st + 2 * viewH > bottom && this.winStart + WINDOW < this.entries.length) next = this.winStart + SHIFT;
    next = Math.max(0, Math.min(next, this.entries.length - WINDOW));
    if (next === this.winStart) return;
    const anchor = this.anchor();
    this.winStart = next;
    this.shifting = true;
    this.reconcile();
    if (anchor && anchor.el.isConnected) this.scroller.scrollTop += anchor.el.getBoundingClientRect().top - anchor.top;
    this.shifting = false;
  }

  private anchor(): { el: HTMLElement; top: number } | undefined {
    const viewTop = this.scroller.getBoundingClientRect().top;
    for (const el of this.inner.children) {
      const r = (el as HTMLElement).getBoundingClientRect();
      if (r.bottom > viewTop) return { el: el as HTMLElement, top: r.top };
    }
    return undefined;
  }

  // ——— building ———

  private refresh(): void {
    this.dirty = false;
    const sc = this.scroller;
    const atBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 80;
    this.entries = this.filterEntries(this.buildEntries());
    // blocks that arrived live are marked for a moment
    const now = Date.now();
    const first = this.known.size === 0;
    for (const e of this.entries) {
      if (!this.known.has(e.key)) {
        this.known.add(e.key);
        if (!first) this.fresh.set(e.key, now);
      }
    }
    for (const [k, at] of this.fresh) if (now - at > 3000) this.fresh.delete(k);
    this.fillTurns();
    if (this.query) this.computeMatches();
    if ((this.follow || atBottom) && this.page.model.running && !first) this.toEnd();
    else this.reconcile();
  }

  /** The filters: errors only (turns that hold an error, and the failing blocks), no tool cards. */
  private filterEntries(entries: Entry[]): Entry[] {
    const f = this.filters;
    if (!f.errors && f.tools) return entries;
    const failed = (n: SpanNode | undefined): boolean => {
      if (!n) return false;
      if (n.span.status === 'error' || (n.span.events ?? []).some((e) => e.name === 'api_error' || e.name === 'crash')) return true;
      return n.children.some((c) => failed(c));
    };
    return entries.filter((e) => {
      if (e.key === 'end') return true;
      if (!f.tools && e.node?.span.kind === 'tool' && e.key.startsWith('span:')) return false;
      if (f.errors) {
        if (e.key.startsWith('turn:')) return failed(e.node);
        if (e.key.startsWith('ev:')) return e.key.includes('error') || failed(e.node);
        return e.key.startsWith('span:') && failed(e.node);
      }
      return true;
    });
  }

  private buildEntries(): Entry[] {
    const m = this.page.model;
    const root = m.root;
    const out: Entry[] = [];
    this.owner = new Map();
    if (!root) return out;
    const own = (node: SpanNode, index: number) => {
      this.owner.set(node.id, index);
      const stack = [...node.children];
      while (stack.length) {
        const n = stack.pop()!;
        if (this.owner.has(n.id)) continue;
        this.owner.set(n.id, index);
        stack.push(...n.children);
      }
    };
    for (const item of this.items(root)) {
      if ('node' in item && item.node.span.kind === 'turn') {
        const turn = item.node;
        this.owner.set(turn.id, out.length);
        out.push({ key: `turn:${turn.id}`, rev: turn.subRev, node: turn, render: () => this.turnHeader(turn) });
        if (typeof turn.span.input === 'string') out.push({ key: `prompt:${turn.id}`, rev: turn.rev, node: turn, render: () => this.prompt(turn) });
        let spoke = false;
        for (const sub of this.items(turn)) {
          if ('node' in sub) {
            const out0 = sub.node.span.kind === 'generation' ? generationOutput(sub.node.span) : undefined;
            if (out0?.text) spoke = true;
            own(sub.node, out.length);
            out.push(this.entryFor(sub));
          } else {
            if (sub.event.name === 'gen_ai.assistant.message') spoke = true;
            out.push(this.entryFor(sub));
          }
        }
        if (!spoke && typeof turn.span.output === 'string' && turn.span.output) {
          out.push({ key: `final:${turn.id}`, rev: turn.rev, node: turn, render: () => this.finalMessage(turn) });
        }
      } else {
        if ('node' in item) own(item.node, out.length);
        out.push(this.entryFor(item));
      }
    }
    out.push({ key: 'end', rev: root.rev * 1e6 + (m.running ? 1 : 0), node: root, render: () => this.endMarker() });
    this.ownerKeys = out.map((e) => e.key);
    return out;
  }

  /** A span's children and its own events, in time order. */
  private items(node: SpanNode): Item[] {
    const items: Item[] = node.children.map((c) => ({ node: c, time: c.span.startTime }));
    (node.span.events ?? []).forEach((event, index) => {
      if (!QUIET_EVENTS.has(event.name)) items.push({ event, owner: node, index, time: event.time });
    });
    items.sort((a, b) => a.time - b.time);
    return items;
  }

  private entryFor(item: Item): Entry {
    if ('event' in item) {
      return { key: `ev:${item.owner.id}:${item.index}`, rev: item.owner.rev, node: item.owner, render: () => this.eventMarker(item.event, item.owner) };
    }
    const n = item.node;
    return { key: `span:${n.id}`, rev: n.subRev, node: n, render: () => this.block(n) };
  }

  private reconcile(): void {
    this.winStart = Math.max(0, Math.min(this.winStart, this.entries.length - WINDOW));
    const end = Math.min(this.entries.length, this.winStart + WINDOW);
    const entries = this.entries.slice(this.winStart, end);
    const keep = new Set<string>();
    let cursor: ChildNode | null = this.inner.firstChild;
    for (const entry of entries) {
      keep.add(entry.key);
      let r = this.rendered.get(entry.key);
      if (!r || r.rev !== entry.rev) {
        const el = entry.render();
        el.dataset.key = entry.key;
        if (entry.key.startsWith('turn:')) el.tabIndex = -1;
        if (r) {
          if (cursor === r.el) cursor = el;
          r.el.replaceWith(el);
        }
        r = { rev: entry.rev, el };
        this.rendered.set(entry.key, r);
      }
      r.el.classList.toggle('fresh', this.fresh.has(entry.key));
      if (r.el !== cursor) this.inner.insertBefore(r.el, cursor);
      cursor = r.el.nextSibling;
    }
    for (const [key, r] of this.rendered) {
      if (!keep.has(key)) {
        r.el.remove();
        this.rendered.delete(key);
      }
    }
    // the spacers stand for the blocks outside the window, at the average height of those inside it
    if (entries.length) this.avgHeight = Math.max(30, this.inner.offsetHeight / entries.length || this.avgHeight);
    this.topSpacer.style.height = `${Math.round(this.winStart * this.avgHeight)}px`;
    this.bottomSpacer.style.height = `${Math.round((this.entries.length - end) * this.avgHeight)}px`;
    this.markSelected(this.page.selected);
    document.documentElement.dataset.chatBlocks = String(entries.length);
  }

  // ——— selection and jumps ———

  private markSelected(id: string | undefined): void {
    for (const el of this.inner.querySelectorAll('.selected')) el.classList.remove('selected');
    if (!id) return;
    this.inner.querySelector(`[data-span="${CSS.escape(id)}"]`)?.classList.add('selected');
  }

  private jumpTo(id: string): void {
    this.lastJumped = id;
    const index = this.owner.get(id);
    if (index === undefined) return;
    const key = this.ownerKeys[index];
    const entryIndex = this.entries.findIndex((e) => e.key === key);
    // a block the filters hide cannot be shown: stay where the reader is
    if (entryIndex < 0) return;
    const el = this.showEntry(entryIndex, 'jump');
    if (!el) return;
    let target = el.dataset.span === id ? el : el.querySelector<HTMLElement>(`[data-span="${CSS.escape(id)}"]`);
    if (!target) {
      // inside a closed card: open the cards on the way down
      for (const d of el.querySelectorAll('details')) d.open = true;
      if (el instanceof HTMLDetailsElement) el.open = true;
      target = el.querySelector<HTMLElement>(`[data-span="${CSS.escape(id)}"]`) ?? el;
    }
    for (let p = target.parentElement; p && p !== this.inner; p = p.parentElement) if (p instanceof HTMLDetailsElement) p.open = true;
    const t = target;
    requestAnimationFrame(() => {
      t.scrollIntoView({ block: 'center' });
      t.classList.remove('flash');
      void t.offsetWidth;
      t.classList.add('flash');
    });
    this.markSelected(id);
  }

  /** `owner` maps a span to the index of its block in the unfiltered build; the key finds it after filtering. */
  private ownerKeys: string[] = [];

  private selectable(el: HTMLElement, node: SpanNode): HTMLElement {
    el.dataset.span = node.id;
    el.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('a, button')) return;
      e.stopPropagation();
      this.page.select(node.id, this);
      this.markSelected(node.id);
    });
    return el;
  }

  private toWaterfall(node: SpanNode): HTMLElement {
    return h(
      'button',
      {
        class: 'icon-button ghost',
        type: 'button',
        title: 'Show in the waterfall (w)',
        attrs: { 'aria-label': 'Show in the waterfall' },
        on: {
          click: (e) => {
            e.stopPropagation();
            e.preventDefault();
            this.page.open('waterfall', node.id);
          },
        },
      },
      icon('link'),
    );
  }

  // ——— blocks ———

  private turnHeader(turn: SpanNode): HTMLElement {
    const m = this.page.model;
    const st = subtreeStats(turn, this.page.info.prices);
    const sp = turn.span;
    return this.selectable(
      h(
        'div',
        { class: `turn-sep${sp.status === 'error' ? ' error' : ''}` },
        h('span', { class: 'turn-name' }, spanTitle(sp, m.header)),
        h('span', null, fmtClock(sp.startTime)),
        sp.endTime !== undefined ? h('span', null, spanDuration(sp)) : h('span', { class: 'running-text' }, 'running'),
        st.tools ? h('span', null, `${fmtInt(st.tools)} tool call${st.tools === 1 ? '' : 's'}`) : null,
        st.tokens ? h('span', null, `${fmtTokens(st.tokens)} tokens`) : null,
        st.priced ? h('span', null, fmtCost(st.usd)) : null,
      ),
      turn,
    );
  }

  private prompt(turn: SpanNode): HTMLElement {
    return this.selectable(
      h(
        'div',
        { class: 'msg user' },
        h('div', { class: 'msg-head' }, h('span', { class: 'avatar user' }, icon('user')), h('span', { class: 'who' }, 'You'), h('span', { class: 'dim' }, fmtClock(turn.span.startTime))),
        h('div', { class: 'msg-body' }, foldedMarkdown(String(turn.span.input)), promptImages(turn.span.attributes)),
      ),
      turn,
    );
  }

  private finalMessage(turn: SpanNode): HTMLElement {
    const body = h('div', { class: 'msg-body' });
    renderMarkdown(body, String(turn.span.output));
    return h('div', { class: 'msg assistant' }, h('div', { class: 'msg-head' }, kindIcon('generation'), h('span', { class: 'who' }, 'Assistant')), body);
  }

  /** A span inside the conversation (at any depth). */
  private block(n: SpanNode): HTMLElement {
    switch (n.span.kind) {
      case 'generation':
        return this.assistant(n);
      case 'tool':
        return this.toolCard(n);
      case 'subagent':
        return this.subagent(n);
      case 'compaction':
        return this.compaction(n);
      case 'turn':
        return this.nestedTurn(n);
      default:
        return this.otherSpan(n);
    }
  }

  private assistant(n: SpanNode): HTMLElement {
    const sp = n.span;
    const out = generationOutput(sp);
    const u = usageOf(sp);
    const model = modelOf(sp);
    const running = sp.endTime === undefined;
    const cost = spanCost(sp, this.page.info.prices);
    const body: Child[] = [];
    if (out.thinking) {
      const words = out.thinking.trim().split(/\s+/).length;
      body.push(this.details(`thinking:${n.id}`, false, 'thinking', [icon('generation'), `Thinking · ${fmtInt(words)} words`], () => valueView(out.thinking!, { cls: 'thinking-text' })));
    }
    if (out.text) {
      const md = h('div', { class: 'msg-text' });
      renderMarkdown(md, out.text);
      body.push(md);
    }
    if (!out.text && !out.thinking && out.toolCalls?.length) body.push(h('div', { class: 'dim small calls' }, `Calls ${out.toolCalls.map((c) => c.name).join(', ')}`));
    if (running) body.push(h('div', { class: 'dim small' }, h('span', { class: 'spinner' }), ' generating…'));
    if (sp.status === 'error') body.push(h('div', { class: 'error-box' }, sp.statusMessage ?? 'error'));
    if (isInterrupted(sp)) body.push(h('div', { class: 'warn-box' }, icon('bolt'), ' interrupted'));
    const foot: Child[] = [];
    if (u) {
      foot.push(h('span', { title: 'input tokens (not cached)' }, `${fmtTokens(u.input)} in`));
      foot.push(h('span', { title: 'output tokens' }, `${fmtTokens(u.output)} out`));
      if (u.cacheRead) foot.push(h('span', { title: 'input tokens read from the cache' }, `${fmtTokens(u.cacheRead)} cache read`));
      if (u.cacheWrite) foot.push(h('span', { title: 'input tokens written to the cache' }, `${fmtTokens(u.cacheWrite)} cache write`));
    }
    foot.push(running ? h('span', { dataset: { runningSince: String(sp.startTime) } }, fmtDuration(Date.now() - sp.startTime)) : h('span', { title: 'duration' }, spanDuration(sp)));
    if (cost !== undefined) foot.push(h('span', { title: 'estimated cost' }, fmtCost(cost)));
    return this.selectable(
      h(
        'div',
        { class: `msg assistant${sp.status === 'error' ? ' error' : ''}` },
        h('div', { class: 'msg-head' }, kindIcon('generation'), h('span', { class: 'who' }, 'Assistant'), model ? h('span', { class: 'chip' }, shortModel(model)) : null, h('span', { class: 'dim' }, fmtClock(sp.startTime)), h('span', { class: 'spacer' }), this.toWaterfall(n)),
        body,
        h('div', { class: 'msg-foot' }, foot),
      ),
      n,
    );
  }

  private toolCard(n: SpanNode): HTMLElement {
    const sp = n.span;
    const name = toolName(sp);
    const cwd = this.page.model.header.cwd;
    const running = sp.endTime === undefined;
    const interrupted = isInterrupted(sp);
    const error = sp.status === 'error';
    const subagents = n.children.filter((c) => c.span.kind === 'subagent');
    const events = (sp.events ?? []).filter((e) => !QUIET_EVENTS.has(e.name));
    const summary: Child[] = [
      kindIcon('tool'),
      h('span', { class: 'tool-name' }, name),
      h('span', { class: 'tool-arg' }, toolSummary(name, sp.input, cwd)),
      h('span', { class: 'spacer' }),
      events.some((e) => e.name === 'permission_request') ? h('span', { class: 'chip perm', title: 'a permission prompt was shown' }, icon('lock'), 'permission') : null,
      subagents.length ? h('span', { class: 'chip sub' }, `${subagents.length} subagent${subagents.length > 1 ? 's' : ''}`) : null,
      error ? h('span', { class: 'chip err' }, 'failed') : null,
      interrupted ? h('span', { class: 'chip warn' }, icon('bolt'), 'interrupted') : null,
      running ? h('span', { class: 'chip run' }, h('span', { class: 'spinner' }), h('span', { dataset: { runningSince: String(sp.startTime) } }, fmtDuration(Date.now() - sp.startTime))) : h('span', { class: 'dur' }, spanDuration(sp)),
    ];
    const card = this.details(`tool:${n.id}`, subagents.length > 0, `tool-card${error ? ' error' : ''}${interrupted ? ' interrupted' : ''}`, summary, () => {
      const parts: Child[] = [section('Input', toolInputView(name, sp.input, cwd))];
      for (const s of subagents) parts.push(this.subagent(s));
      for (const c of n.children) if (c.span.kind !== 'subagent') parts.push(this.block(c));
      if (sp.output !== undefined || running) {
        parts.push(section(error ? 'Error' : 'Output', running && sp.output === undefined ? h('div', { class: 'dim' }, 'running…') : contentView(sp.output, { cls: error ? 'error-output' : '' })));
      }
      if (error && sp.statusMessage && sp.statusMessage !== sp.output) parts.push(h('div', { class: 'error-box' }, oneLine(sp.statusMessage, 400)));
      if (events.length) parts.push(section('Events', events.map((e) => this.eventMarker(e, n))));
      return h('div', { class: 'card-body' }, parts);
    });
    if (error) {
      const msg = typeof sp.output === 'string' ? sp.output : sp.statusMessage;
      if (msg) card.querySelector('summary')?.appendChild(h('div', { class: 'error-line' }, oneLine(msg, 200)));
    }
    // the link sits beside the card's <summary>, not inside it (no button nested in a button)
    return this.selectable(h('div', { class: 'card-wrap' }, card, h('div', { class: 'card-actions' }, this.toWaterfall(n))), n);
  }

  private subagent(n: SpanNode): HTMLElement {
    const sp = n.span;
    const st = subtreeStats(n, this.page.info.prices);
    const m = this.page.model;
    const head: Child[] = [
      kindIcon('subagent'),
      h('span', { class: 'tool-name' }, spanTitle(sp, m.header)),
      h('span', { class: 'dim' }, `${fmtInt(st.generations)} model calls · ${fmtInt(st.tools)} tools · ${fmtTokens(st.tokens)} tokens${st.priced ? ` · ${fmtCost(st.usd)}` : ''}`),
      h('span', { class: 'spacer' }),
      sp.status === 'error' ? h('span', { class: 'chip err' }, 'failed') : null,
      sp.endTime === undefined ? h('span', { class: 'chip run' }, h('span', { class: 'spinner' }), 'running') : h('span', { class: 'dur' }, spanDuration(sp)),
    ];
    const el = this.details(`sub:${n.id}`, true, `subagent${sp.status === 'error' ? ' error' : ''}`, head, () => {
      const parts: Child[] = [];
      if (typeof sp.input === 'string') parts.push(h('div', { class: 'msg user sub-prompt' }, h('div', { class: 'msg-head' }, h('span', { class: 'who' }, 'Task prompt')), h('div', { class: 'msg-body' }, valueView(sp.input, { cls: 'prompt-text' }))));
      let spoke = false;
      for (const item of this.items(n)) {
        if ('node' in item) {
          if (item.node.span.kind === 'generation' && generationOutput(item.node.span).text) spoke = true;
          parts.push(this.block(item.node));
        } else parts.push(this.eventMarker(item.event, item.owner));
      }
      if (!spoke && sp.output !== undefined) {
        const body = h('div', { class: 'msg-body' });
        if (typeof sp.output === 'string') renderMarkdown(body, sp.output);
        else body.appendChild(valueView(sp.output));
        parts.push(h('div', { class: 'msg assistant' }, h('div', { class: 'msg-head' }, h('span', { class: 'who' }, 'Subagent result')), body));
      }
      return h('div', { class: 'subagent-body' }, parts);
    });
    return this.selectable(h('div', { class: 'card-wrap' }, el, h('div', { class: 'card-actions' }, this.toWaterfall(n))), n);
  }

  private compaction(n: SpanNode): HTMLElement {
    const sp = n.span;
    const trig = sp.attributes['agent_trace.compaction.trigger'];
    const before = sp.attributes['agent_trace.compaction.tokens_before'];
    const after = sp.attributes['agent_trace.compaction.tokens_after'];
    const text = `Context compacted${typeof trig === 'string' ? ` (${trig})` : ''}${typeof before === 'number' ? `: ${fmtTokens(before)}${typeof after === 'number' ? ` → ${fmtTokens(after)}` : ''} tokens` : ''}`;
    return this.selectable(
      h(
        'div',
        { class: 'marker compaction' },
        h('div', { class: 'marker-line' }, kindIcon('compaction'), h('span', null, text), h('span', { class: 'dim' }, fmtClock(sp.startTime)), this.toWaterfall(n)),
        sp.output !== undefined ? this.details(`compact:${n.id}`, false, 'compact-summary', 'Summary kept after compaction', () => valueView(sp.output, { cls: 'prompt-text' })) : null,
      ),
      n,
    );
  }

  private nestedTurn(n: SpanNode): HTMLElement {
    const parts: Child[] = [];
    for (const item of this.items(n)) parts.push('node' in item ? this.block(item.node) : this.eventMarker(item.event, item.owner));
    return this.selectable(h('div', { class: 'nested' }, h('div', { class: 'dim small' }, spanTitle(n.span, this.page.model.header)), parts), n);
  }

  private otherSpan(n: SpanNode): HTMLElement {
    const sp = n.span;
    return this.selectable(
      this.details(`other:${n.id}`, false, `tool-card${sp.status === 'error' ? ' error' : ''}`, [kindIcon(sp.kind), h('span', { class: 'tool-name' }, sp.name), h('span', { class: 'spacer' }), sp.endTime !== undefined ? h('span', { class: 'dur' }, spanDuration(sp)) : null], () =>
        h('div', { class: 'card-body' }, sp.input !== undefined ? section('Input', valueView(sp.input)) : null, sp.output !== undefined ? section('Output', valueView(sp.output)) : null, n.children.map((c) => this.block(c))),
      ),
      n,
    );
  }

  private eventMarker(e: SpanEventRecord, owner: SpanNode): HTMLElement {
    const a = e.attributes ?? {};
    const msg = a.message ?? a.content ?? a.reason ?? a['exception.message'];
    const text = msg === undefined ? '' : String(msg);
    const at = h('span', { class: 'dim' }, fmtClock(e.time));
    switch (e.name) {
      case 'gen_ai.assistant.message': {
        const body = h('div', { class: 'msg-text' });
        renderMarkdown(body, text);
        return h('div', { class: 'msg assistant' }, h('div', { class: 'msg-head' }, kindIcon('generation'), h('span', { class: 'who' }, 'Assistant'), at), body);
      }
      case 'api_error':
        return h('div', { class: 'marker error' }, h('div', { class: 'marker-line' }, icon('error'), h('span', null, 'API error', text ? `: ${oneLine(text, 300)}` : ''), at));
      case 'crash':
        return h('div', { class: 'marker error' }, h('div', { class: 'marker-line' }, icon('error'), h('span', null, 'Crashed', text ? `: ${oneLine(text, 300)}` : ''), at));
      case 'interrupt':
        return h('div', { class: 'marker warn' }, h('div', { class: 'marker-line' }, icon('bolt'), h('span', null, text ? oneLine(text, 300) : 'Interrupted'), at));
      case 'permission_request': {
        const tool = a['gen_ai.tool.name'];
        return h('div', { class: 'marker perm' }, h('div', { class: 'marker-line' }, icon('lock'), h('span', null, text ? oneLine(text, 300) : `Permission requested${typeof tool === 'string' ? `: ${tool}` : ''}`), at));
      }
      case 'notification':
        return h('div', { class: 'marker note' }, h('div', { class: 'marker-line' }, icon('bell'), h('span', null, text ? oneLine(text, 300) : 'Notification'), at));
      default:
        return h('div', { class: 'marker note' }, h('div', { class: 'marker-line' }, icon('bell'), h('span', null, e.name, text ? `: ${oneLine(text, 200)}` : ''), at), owner.span.kind === 'session' ? null : null);
    }
  }

  private endMarker(): HTMLElement {
    const hd = this.page.model.header;
    const root = this.page.model.root;
    switch (hd.status) {
      case 'running':
        return h('div', { class: 'marker end running' }, h('div', { class: 'marker-line' }, h('span', { class: 'pulse' }), h('span', null, 'Running — new messages appear here as they happen')));
      case 'completed':
        return h('div', { class: 'marker end' }, h('div', { class: 'marker-line' }, h('span', null, `Session completed after ${fmtDuration(hd.summary.durationMs)}`)));
      case 'crashed':
        return h('div', { class: 'marker end error' }, h('div', { class: 'marker-line' }, icon('error'), h('span', null, `Session crashed${root?.span.statusMessage ? `: ${root.span.statusMessage}` : ''}`)));
      case 'interrupted':
        return h('div', { class: 'marker end warn' }, h('div', { class: 'marker-line' }, icon('bolt'), h('span', null, 'Session interrupted: the agent went away without a clean end')));
      default:
        return h('div', { class: 'marker end error' }, h('div', { class: 'marker-line' }, icon('error'), h('span', null, `Session ended with an error${root?.span.statusMessage ? `: ${root.span.statusMessage}` : ''}`)));
    }
  }

  /** A <details> whose body is built on first open and whose open state survives re-renders. */
  private details(key: string, defaultOpen: boolean, cls: string, summary: Child, body: () => HTMLElement): HTMLDetailsElement {
    const isOpen = this.open.get(key) ?? this.allOpen ?? defaultOpen;
    const d = h('details', { class: cls, open: isOpen }, h('summary', null, h('div', { class: 'summary-row' }, summary)));
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      d.appendChild(body());
    };
    if (isOpen) build();
    d.addEventListener('toggle', () => {
      this.open.set(key, d.open);
      if (d.open) build();
    });
    return d;
  }
}

/**
 * What the chat's search looks through for one block. A model call's block shows only what it answered: the
 * input it received (the prompt, tool results) is shown by the blocks before it, so matching it there would
 * count one prompt twice.
 */
function chatSearchText(node: SpanNode): string {
  if (node.span.kind !== 'generation') return searchText(node);
  return `${node.span.name}\n${node.span.statusMessage ?? ''}\n${stringify(node.span.output, 20_000)}`.toLowerCase();
}

/** A finished span's duration, or says it is unknown when the source recorded no timing (never a measured-looking 0 ms). */
function spanDuration(sp: SpanNode['span']): string {
  return durationKnown(sp) ? fmtDuration(sp.endTime! - sp.startTime) : 'duration unknown';
}
