import { h, replaceChildren } from './dom.js';
import type { Entry } from './chat-entries.js';

/** Blocks kept in the DOM at once; the rest of the conversation is two spacers of estimated height. */
export const WINDOW = 120;
const SHIFT = 40;

/**
 * The chat's scrolling window: of the conversation's blocks only `WINDOW` are in the DOM, reconciled by key
 * and revision (a live update replaces only what changed and keeps the scroll position); two spacers of the
 * average block height stand for the rest, and the window moves as the reader scrolls near its edges.
 */
export class ChatWindow {
  readonly inner = h('div', { class: 'chat' });
  readonly scroller: HTMLElement;
  private readonly topSpacer = h('div', { class: 'chat-spacer' });
  private readonly bottomSpacer = h('div', { class: 'chat-spacer' });
  private readonly rendered = new Map<string, { rev: number; el: HTMLElement }>();
  /** The blocks, in order (the window shows [start, start + WINDOW)). */
  entries: Entry[] = [];
  start = 0;
  private avgHeight = 90;
  private shifting = false;

  constructor(
    private readonly hooks: {
      /** Whether a block arrived a moment ago (it is marked). */
      isFresh(key: string): boolean;
      /** After every render (the selection is marked again). */
      rendered(): void;
    },
  ) {
    this.scroller = h('div', { class: 'chat-scroll', tabIndex: -1 }, this.topSpacer, this.inner, this.bottomSpacer);
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
  }

  /** Forgets the rendered elements (they are built again); `empty` also takes them out of the DOM. */
  forget(empty = false): void {
    this.rendered.clear();
    if (empty) replaceChildren(this.inner);
  }

  /** The element of a block, when it is in the window. */
  elementOf(key: string): HTMLElement | undefined {
    return this.rendered.get(key)?.el;
  }

  /** Puts the window's blocks in the DOM, reusing the element of every block whose revision did not change. */
  render(): void {
    this.start = Math.max(0, Math.min(this.start, this.entries.length - WINDOW));
    const end = Math.min(this.entries.length, this.start + WINDOW);
    const entries = this.entries.slice(this.start, end);
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
      r.el.classList.toggle('fresh', this.hooks.isFresh(entry.key));
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
    this.topSpacer.style.height = `${Math.round(this.start * this.avgHeight)}px`;
    this.bottomSpacer.style.height = `${Math.round((this.entries.length - end) * this.avgHeight)}px`;
    this.hooks.rendered();
    document.documentElement.dataset.chatBlocks = String(entries.length);
  }

  /** Brings block `index` into the window and into view, flashing it; returns its element. */
  show(index: number, flash = 'flash'): HTMLElement | undefined {
    if (index < this.start || index >= this.start + WINDOW) {
      this.start = Math.max(0, Math.min(index - 20, this.entries.length - WINDOW));
      this.render();
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

  toEnd(): void {
    this.start = Math.max(0, this.entries.length - WINDOW);
    this.render();
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** The index of the first block on screen. */
  firstVisibleIndex(): number {
    const top = this.scroller.getBoundingClientRect().top;
    for (const el of this.inner.children) {
      if ((el as HTMLElement).getBoundingClientRect().bottom > top + 4) {
        const key = (el as HTMLElement).dataset.key;
        const i = this.entries.findIndex((e) => e.key === key);
        if (i >= 0) return i;
      }
    }
    return this.start;
  }

  /** Moves the window when the reader scrolls near its edges, keeping what is on screen where it is. */
  private onScroll(): void {
    if (this.shifting) return;
    const st = this.scroller.scrollTop;
    const viewH = this.scroller.clientHeight;
    const top = this.topSpacer.offsetHeight;
    const bottom = top + this.inner.offsetHeight;
    let next = this.start;
    if (st + viewH < top || st > bottom) next = Math.floor(st / this.avgHeight) - 20; // a jump (scrollbar drag)
    else if (st < top + viewH && this.start > 0) next = this.start - SHIFT;
    else if (st + 2 * viewH > bottom && this.start + WINDOW < this.entries.length) next = this.start + SHIFT;
    next = Math.max(0, Math.min(next, this.entries.length - WINDOW));
    if (next === this.start) return;
    const anchor = this.anchor();
    this.start = next;
    this.shifting = true;
    this.render();
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
}
