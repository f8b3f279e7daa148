import { buildEntries, chatSearchText, filterEntries, isTurnEntry } from './chat-entries.js';
import { ChatBlocks } from './chat-blocks.js';
import { ChatWindow } from './chat-window.js';
import { h, icon, isTyping, replaceChildren } from './dom.js';
import { fmtDuration, oneLine } from './format.js';
import type { SessionHost, TabView } from './host.js';
import type { ModelChange } from './model.js';
import { searchField } from './search-field.js';
import { spanTitle } from './spans.js';

/**
 * The Chat tab: the conversation as it happened. Its blocks (chat-entries.ts, drawn by chat-blocks.ts) are
 * reconciled by key and revision in a scrolling window (chat-window.ts), so a live update replaces only what
 * changed and keeps the scroll position, the open cards and the selection. This class holds the toolbar: the
 * search, the filters, the turn menu and outline, following the end, and jumps to a span.
 */
export class ChatView implements TabView {
  readonly el: HTMLElement;
  private readonly win: ChatWindow;
  private readonly blocks: ChatBlocks;
  /** A span's block: the index of its entry in the unfiltered build; `ownerKeys` finds that entry after filtering. */
  private owner = new Map<string, number>();
  private ownerKeys: string[] = [];
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
  /** The turn outline beside the chat on wide screens (the turn menu stands in for it on narrow ones). */
  private readonly outline = h('nav', { class: 'chat-outline', attrs: { 'aria-label': 'Turns' } });

  constructor(private readonly page: SessionHost) {
    this.win = new ChatWindow({ isFresh: (key) => this.fresh.has(key), rendered: () => this.markSelected(this.page.selected) });
    this.blocks = new ChatBlocks(page, this, (id) => this.markSelected(id));
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
        if (v) this.win.toEnd();
      }),
    );
    this.el = h('div', { class: 'tab-pane chat-pane' }, toolbar, h('div', { class: 'chat-body' }, this.outline, this.win.scroller));
  }

  show(span: string | undefined, jump: boolean): void {
    if (this.dirty) this.refresh();
    if (span && (jump || span !== this.lastJumped)) this.jumpTo(span);
    this.markSelected(span);
  }

  hide(): void {}

  update(change: ModelChange): void {
    this.dirty = true;
    if (change.reset) this.win.forget();
    if (!this.el.hidden) this.refresh();
  }

  selectionChanged(id: string | undefined): void {
    this.markSelected(id);
  }

  tick(): void {
    for (const el of this.win.inner.querySelectorAll<HTMLElement>('[data-running-since]')) {
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
    this.win.inner.classList.toggle('hide-thinking', !this.filters.thinking);
    this.win.start = 0;
    this.win.scroller.scrollTop = 0;
    this.refresh();
  }

  private setAllOpen(open: boolean): void {
    this.blocks.setAllOpen(open);
    this.win.forget(true);
    this.win.render();
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
      this.win.entries.forEach((e, i) => {
        if (e.node && !isTurnEntry(e) && chatSearchText(e.node).includes(q)) this.matches.push(i);
      });
    }
    this.matchAt = -1;
    this.matchCount.textContent = q ? (this.matches.length ? `${this.matches.length} found` : 'no match') : '';
    for (const el of this.win.inner.querySelectorAll('.search-hit')) el.classList.remove('search-hit');
  }

  private nextMatch(dir: 1 | -1): void {
    if (!this.matches.length) return;
    this.matchAt = this.matchAt < 0 ? (dir > 0 ? 0 : this.matches.length - 1) : (this.matchAt + dir + this.matches.length) % this.matches.length;
    this.matchCount.textContent = `${this.matchAt + 1} / ${this.matches.length}`;
    const entry = this.win.entries[this.matches[this.matchAt]!];
    if (!entry?.node) return;
    for (const el of this.win.inner.querySelectorAll('.search-hit')) el.classList.remove('search-hit');
    this.win.show(this.matches[this.matchAt]!, 'search-hit');
  }

  private turnIndexes(): number[] {
    const out: number[] = [];
    this.win.entries.forEach((e, i) => isTurnEntry(e) && out.push(i));
    return out;
  }

  /** The skip between turns: to the next (or previous) turn's header, focused. */
  private skipTurn(dir: 1 | -1): void {
    const turns = this.turnIndexes();
    if (!turns.length) return;
    const current = this.win.firstVisibleIndex();
    const target = dir > 0 ? turns.find((i) => i > current) : turns.findLast((i) => i < current);
    if (target === undefined) return;
    const el = this.win.show(target);
    el?.focus({ preventScroll: true });
  }

  private fillTurns(): void {
    const turns = this.win.entries.filter((e) => isTurnEntry(e) && e.node);
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

  // ——— building ———

  private refresh(): void {
    this.dirty = false;
    const sc = this.win.scroller;
    const atBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 80;
    const built = buildEntries(this.page.model, this.blocks);
    this.owner = built.owner;
    this.ownerKeys = built.ownerKeys;
    this.win.entries = filterEntries(built.entries, this.filters);
    // blocks that arrived live are marked for a moment
    const now = Date.now();
    const first = this.known.size === 0;
    for (const e of this.win.entries) {
      if (!this.known.has(e.key)) {
        this.known.add(e.key);
        if (!first) this.fresh.set(e.key, now);
      }
    }
    for (const [k, at] of this.fresh) if (now - at > 3000) this.fresh.delete(k);
    this.fillTurns();
    if (this.query) this.computeMatches();
    if ((this.follow || atBottom) && this.page.model.running && !first) this.win.toEnd();
    else this.win.render();
  }

  // ——— selection and jumps ———

  private markSelected(id: string | undefined): void {
    for (const el of this.win.inner.querySelectorAll('.selected')) el.classList.remove('selected');
    if (!id) return;
    this.win.inner.querySelector(`[data-span="${CSS.escape(id)}"]`)?.classList.add('selected');
  }

  private jumpTo(id: string): void {
    this.lastJumped = id;
    const index = this.owner.get(id);
    if (index === undefined) return;
    const key = this.ownerKeys[index];
    const entryIndex = this.win.entries.findIndex((e) => e.key === key);
    // a block the filters hide cannot be shown: stay where the reader is
    if (entryIndex < 0) return;
    const el = this.win.show(entryIndex, 'jump');
    if (!el) return;
    let target = el.dataset.span === id ? el : el.querySelector<HTMLElement>(`[data-span="${CSS.escape(id)}"]`);
    if (!target) {
      // inside a closed card: open the cards on the way down
      for (const d of el.querySelectorAll('details')) d.open = true;
      if (el instanceof HTMLDetailsElement) el.open = true;
      target = el.querySelector<HTMLElement>(`[data-span="${CSS.escape(id)}"]`) ?? el;
    }
    for (let p = target.parentElement; p && p !== this.win.inner; p = p.parentElement) if (p instanceof HTMLDetailsElement) p.open = true;
    const t = target;
    requestAnimationFrame(() => {
      t.scrollIntoView({ block: 'center' });
      t.classList.remove('flash');
      void t.offsetWidth;
      t.classList.add('flash');
    });
    this.markSelected(id);
  }
}
