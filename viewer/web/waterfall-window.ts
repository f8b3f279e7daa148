import { h } from './dom.js';
import type { SpanNode } from './model.js';

/** A row's height in pixels (styles.css draws rows this tall). */
export const ROW_H = 26;
/** Rows kept ready above and below the visible ones, so a fast scroll shows no blank. */
const OVERSCAN = 8;

interface RowEl {
  el: HTMLElement;
  key: string;
  index: number;
}

/**
 * The virtual row window: only the rows in view (and a few either side) exist in the DOM, a pool of elements
 * recycled while scrolling and placed over a spacer as tall as all the rows, so sessions of tens of thousands
 * of spans scroll smoothly. It also knows the scroll arithmetic (reveal a row, a page of rows).
 */
export class RowWindow {
  private pool: RowEl[] = [];
  private paintedOnce = false;

  constructor(
    readonly scroller: HTMLElement,
    private readonly spacer: HTMLElement,
    private readonly layer: HTMLElement,
  ) {}

  /** Whether rows were ever painted (the first paint sets the page's `waterfallPainted` mark). */
  get painted(): boolean {
    return this.paintedOnce;
  }

  /** The number of rows: the scrollable height. */
  setCount(rows: number): void {
    this.spacer.style.height = `${rows * ROW_H}px`;
  }

  /**
   * Places the rows in view. A pooled element is filled again only when `keyOf` differs from what it shows
   * (or when `force`d, it is at least moved to its place).
   */
  render(rows: readonly SpanNode[], keyOf: (node: SpanNode, index: number) => string, fill: (el: HTMLElement, node: SpanNode, index: number) => void, force = false): void {
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
    const last = Math.min(rows.length, first + size);
    const used = new Set<RowEl>();
    for (let i = first; i < last; i++) {
      const r = this.pool[i % size]!;
      used.add(r);
      const node = rows[i]!;
      const key = keyOf(node, i);
      if (force || r.key !== key || r.index !== i) {
        if (r.key !== key) fill(r.el, node, i);
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
    if (!this.paintedOnce && rows.length) {
      performance.mark('agent-trace:waterfall-rows');
      this.paintedOnce = true;
      // after the next frame is painted (a task queued from rAF runs once the frame is out)
      requestAnimationFrame(() =>
        setTimeout(() => {
          performance.mark('agent-trace:waterfall-painted');
          document.documentElement.dataset.waterfallPainted = '1';
        }, 0),
      );
    }
  }

  /** Scrolls so that row `index` is at the top. */
  scrollToRow(index: number): void {
    this.scroller.scrollTop = index * ROW_H;
  }

  /** Scrolls row `index` into view: centred when `center` and it is out of view, else just enough. */
  reveal(index: number, center: boolean): void {
    const top = index * ROW_H;
    const viewTop = this.scroller.scrollTop;
    const viewH = this.scroller.clientHeight || 600;
    if (center && (top < viewTop || top + ROW_H > viewTop + viewH)) this.scroller.scrollTop = Math.max(0, top - viewH / 2 + ROW_H / 2);
    else if (top < viewTop) this.scroller.scrollTop = top;
    else if (top + ROW_H > viewTop + viewH) this.scroller.scrollTop = top + ROW_H - viewH;
  }

  /** How many rows PageUp/PageDown move. */
  pageRows(): number {
    return Math.max(1, Math.floor((this.scroller.clientHeight || 600) / ROW_H) - 1);
  }
}
