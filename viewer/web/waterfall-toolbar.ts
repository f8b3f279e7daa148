import { h, icon, replaceChildren } from './dom.js';
import type { SpanNode, TraceHeader } from './model.js';
import { searchField } from './search-field.js';
import { spanSubtitle } from './spans.js';

/** What the toolbar's controls do (the waterfall carries them out). */
export interface ToolbarActions {
  setQuery(q: string): void;
  nextMatch(dir: 1 | -1): void;
  /** The search box was cleared (Escape): the focus goes back to the rows. */
  searchCleared(): void;
  setOnlyMatches(on: boolean): void;
  expandAll(): void;
  collapseToTurns(): void;
  zoomBy(factor: number): void;
  resetZoom(): void;
  zoomToTurn(id: string): void;
  setCompress(on: boolean): void;
  setFollow(on: boolean): void;
}

export interface Toolbar {
  readonly el: HTMLElement;
  readonly searchInput: HTMLInputElement;
  /** The "3 / 12" counter beside the search box. */
  readonly matchCount: HTMLElement;
  /** Zoom to a turn (shown when there are two turns or more; see fillTurnSelect). */
  readonly turnSelect: HTMLSelectElement;
}

/** The Waterfall's toolbar: search, expand/collapse, zoom, per-turn zoom, idle compression, follow, the legend. */
export function waterfallToolbar(a: ToolbarActions): Toolbar {
  const searchInput = searchField({
    placeholder: 'Search spans, inputs, outputs…  ( / )',
    label: 'Search spans',
    onQuery: (q) => a.setQuery(q),
    onStep: (d) => a.nextMatch(d),
    onClear: () => a.searchCleared(),
  });
  const matchCount = h('span', { class: 'match-count' });
  const button = (name: string, title: string, onclick: () => void, label?: string) =>
    h('button', { class: `button${label ? ' small' : ' icon-button'}`, type: 'button', title, attrs: { 'aria-label': title }, on: { click: onclick } }, icon(name), label ?? null);
  const onlyBox = h('input', { type: 'checkbox', attrs: { 'aria-label': 'Show only matching spans' }, on: { change: (e) => a.setOnlyMatches((e.target as HTMLInputElement).checked) } });
  const idleBox = h('input', { type: 'checkbox', attrs: { 'aria-label': 'Compress idle gaps' }, on: { change: (e) => a.setCompress((e.target as HTMLInputElement).checked) } });
  idleBox.checked = true;
  const followBox = h('input', { type: 'checkbox', attrs: { 'aria-label': 'Follow the newest spans' }, on: { change: (e) => a.setFollow((e.target as HTMLInputElement).checked) } });
  const turnSelect: HTMLSelectElement = h('select', { class: 'turn-select', attrs: { 'aria-label': 'Zoom to a turn' }, on: { change: () => a.zoomToTurn(turnSelect.value) } });
  const el = h(
    'div',
    { class: 'wf-toolbar' },
    h('div', { class: 'search-box' }, icon('search'), searchInput),
    matchCount,
    button('collapse', 'Previous match (Shift+Enter, N)', () => a.nextMatch(-1)),
    button('expand', 'Next match (Enter, n)', () => a.nextMatch(1)),
    h('label', { class: 'check' }, onlyBox, 'only matches'),
    h('span', { class: 'sep' }),
    button('plus', 'Expand all', () => a.expandAll(), 'Expand all'),
    button('minus', 'Collapse to turns', () => a.collapseToTurns(), 'Collapse'),
    h('span', { class: 'sep' }),
    button('plus', 'Zoom in (+)', () => a.zoomBy(0.5)),
    button('minus', 'Zoom out (−)', () => a.zoomBy(2)),
    button('reset', 'Reset zoom (0)', () => a.resetZoom()),
    turnSelect,
    h('label', { class: 'check', title: 'Draw long idle stretches as narrow gaps' }, idleBox, 'compress idle'),
    h('label', { class: 'check', title: 'Keep the newest spans in view while the session runs' }, followBox, 'follow'),
    h('span', { class: 'spacer' }),
    h('span', { class: 'legend' }, ['turn', 'generation', 'tool', 'subagent', 'compaction'].map((k) => h('span', { class: 'legend-item' }, h('span', { class: `legend-swatch kind-${k}` }), k === 'generation' ? 'model call' : k)), h('span', { class: 'legend-item' }, h('span', { class: 'legend-swatch error' }), 'error')),
  );
  return { el, searchInput, matchCount, turnSelect };
}

/** Lists the session's turns in the per-turn zoom menu, keeping the choice when its turn is still there. */
export function fillTurnSelect(select: HTMLSelectElement, turns: readonly SpanNode[], header: TraceHeader): void {
  const current = select.value;
  replaceChildren(
    select,
    h('option', { value: '' }, turns.length ? `All ${turns.length} turns` : 'No turns'),
    turns.map((n, i) => h('option', { value: n.id }, `Turn ${i + 1}: ${spanSubtitle(n.span, header).slice(0, 60)}`)),
  );
  select.value = turns.some((n) => n.id === current) ? current : '';
  select.hidden = turns.length < 2;
}
