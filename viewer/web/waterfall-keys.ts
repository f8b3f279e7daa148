import type { SpanNode } from './model.js';

/** What the waterfall's keys act on: its state at the key press and what it can do. */
export interface KeyTarget {
  /** The selected span's row (-1: none, or not shown). */
  readonly index: number;
  readonly selected: SpanNode | undefined;
  readonly rowCount: number;
  /** How many rows PageUp/PageDown move. */
  readonly pageRows: number;
  /** Selects the row at `index` (clamped to the rows). */
  go(index: number): void;
  isCollapsed(id: string): boolean;
  toggle(id: string, open?: boolean): void;
  select(id: string): void;
  deselect(): void;
  focusSearch(): void;
  nextMatch(dir: 1 | -1): void;
  zoomTo(node: SpanNode): void;
  resetZoom(): void;
  zoomBy(factor: number): void;
  openChat(id: string): void;
}

/**
 * The waterfall's keyboard (the tree keys of a file manager, plus vi's j/k/h/l): acts on `t` and says whether
 * the key was the waterfall's. The help overlay (app.ts) lists them.
 */
export function waterfallKey(key: string, t: KeyTarget): boolean {
  const i = t.index;
  const sel = t.selected;
  switch (key) {
    case 'ArrowDown':
    case 'j':
      t.go(i + 1);
      return true;
    case 'ArrowUp':
    case 'k':
      t.go(i < 0 ? 0 : i - 1);
      return true;
    case 'PageDown':
      t.go(i + t.pageRows);
      return true;
    case 'PageUp':
      t.go(i - t.pageRows);
      return true;
    case 'Home':
      t.go(0);
      return true;
    case 'End':
      t.go(t.rowCount - 1);
      return true;
    case 'ArrowRight':
    case 'l':
      if (!sel) t.go(0);
      else if (sel.children.length && t.isCollapsed(sel.id)) t.toggle(sel.id, true);
      else if (sel.children.length) t.select(sel.children[0]!.id);
      return true;
    case 'ArrowLeft':
    case 'h':
      if (!sel) return true;
      if (sel.children.length && !t.isCollapsed(sel.id)) t.toggle(sel.id, false);
      else if (sel.parent) t.select(sel.parent.id);
      return true;
    case 'Enter':
    case ' ':
      if (sel) t.toggle(sel.id);
      return true;
    case '/':
      t.focusSearch();
      return true;
    case 'n':
      t.nextMatch(1);
      return true;
    case 'N':
      t.nextMatch(-1);
      return true;
    case 'z':
      if (sel) t.zoomTo(sel);
      return true;
    case '0':
      t.resetZoom();
      return true;
    case '+':
    case '=':
      t.zoomBy(0.5);
      return true;
    case '-':
    case '_':
      t.zoomBy(2);
      return true;
    case 'c':
      if (sel) t.openChat(sel.id);
      return true;
    case 'Escape':
      t.deselect();
      return true;
    default:
      return false;
  }
}
