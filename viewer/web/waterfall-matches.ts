import { searchText, type SpanNode } from './model.js';

/**
 * The waterfall's search: the spans whose text holds the query, in document order, and the match the cursor
 * is on; keeps the "3 / 12" counter beside the search box up to date.
 */
export class SpanMatches {
  /** The query, trimmed and lower-cased ('' when there is none). */
  query = '';
  list: SpanNode[] = [];
  set = new Set<string>();
  /** The cursor's place in `list` (-1: not on a match yet). */
  at = -1;

  constructor(private readonly count: HTMLElement) {}

  /** The span the cursor is on. */
  get current(): string | undefined {
    return this.list[this.at]?.id;
  }

  /** Takes a new query; false when it is the same as before. */
  setQuery(q: string): boolean {
    const query = q.trim().toLowerCase();
    if (query === this.query) return false;
    this.query = query;
    return true;
  }

  /** Finds the matches among `dfs` (every span, in document order); the cursor stays on its span unless `resetCursor`. */
  compute(dfs: readonly SpanNode[], resetCursor: boolean): void {
    const q = this.query;
    const current = this.current;
    this.list = q ? dfs.filter((n) => searchText(n).includes(q)) : [];
    this.set = new Set(this.list.map((n) => n.id));
    this.at = resetCursor ? -1 : this.list.findIndex((n) => n.id === current);
    this.count.textContent = q ? (this.list.length ? `${this.at >= 0 ? this.at + 1 : 0} / ${this.list.length}` : 'no match') : '';
    this.count.classList.toggle('none', q !== '' && this.list.length === 0);
  }

  /**
   * Moves the cursor to the next (1) or previous (-1) match, the first time from the selected span on; the
   * match it lands on, undefined when there is none.
   */
  step(dir: 1 | -1, dfs: readonly SpanNode[], selected: string | undefined): SpanNode | undefined {
    if (!this.list.length) return undefined;
    if (this.at < 0) {
      // start from the selection
      const from = selected ? dfs.findIndex((n) => n.id === selected) : -1;
      const order = dfs.map((n) => n.id);
      const pos = (n: SpanNode) => order.indexOf(n.id);
      const next = dir > 0 ? this.list.findIndex((n) => pos(n) > from) : this.list.findLastIndex((n) => pos(n) < from);
      this.at = next >= 0 ? next : dir > 0 ? 0 : this.list.length - 1;
    } else this.at = (this.at + dir + this.list.length) % this.list.length;
    this.count.textContent = `${this.at + 1} / ${this.list.length}`;
    return this.list[this.at]!;
  }
}
