import { h, highlighted, icon, kindIcon, replaceChildren } from './dom.js';
import { fmtDuration } from './format.js';
import { durationKnown, isInterrupted, type SessionModel, type SpanNode } from './model.js';
import { spanSubtitle, spanTitle } from './spans.js';
import type { TimeScale } from './waterfall-time.js';

const INDENT = 14;

/** What a row's look depends on besides its span: the same for every row of one paint. */
export interface RowLook {
  readonly model: SessionModel;
  readonly time: TimeScale;
  readonly selected: string | undefined;
  readonly collapsed: ReadonlySet<string>;
  readonly query: string;
  readonly matchSet: ReadonlySet<string>;
  /** The match the search cursor is on. */
  readonly currentMatch: string | undefined;
  /** Spans that arrived live a moment ago. */
  readonly fresh: ReadonlyMap<string, number>;
  /** The model's "now" at the start of the paint (open spans grow with it). */
  readonly now: number;
}

/** Everything a row's content depends on: a row element whose key did not change is not filled again. */
export function rowKey(node: SpanNode, index: number, look: RowLook): string {
  const v = look.time.view();
  const open = node.span.endTime === undefined;
  return `${node.id}|${node.rev}|${index}|${node.id === look.selected ? 1 : 0}|${look.collapsed.has(node.id) ? 1 : 0}|${node.children.length}|${look.matchSet.has(node.id) ? 1 : 0}|${look.currentMatch === node.id ? 1 : 0}|${v.from}:${v.to}:${look.query}|${open ? look.now : 0}|${look.fresh.has(node.id) ? 1 : 0}`;
}

/** Fills a row element: the name cell (indent, twisty, icon, title, flags) and the lane (bar, events, duration). */
export function fillRow(el: HTMLElement, node: SpanNode, index: number, look: RowLook): void {
  const sp = node.span;
  const m = look.model;
  const hd = m.header;
  const time = look.time;
  const isSel = node.id === look.selected;
  const hasKids = node.children.length > 0;
  const collapsed = look.collapsed.has(node.id);
  const error = sp.status === 'error';
  const interrupted = isInterrupted(sp);
  const open = sp.endTime === undefined;
  const q = look.query;
  el.className = `wf-row rk-${sp.kind}${isSel ? ' selected' : ''}${error ? ' error' : ''}${look.matchSet.has(node.id) ? ' match' : ''}${look.currentMatch === node.id ? ' current-match' : ''}${index % 2 ? ' odd' : ''}${look.fresh.has(node.id) ? ' fresh' : ''}`;
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
  const start = time.ax(realStart);
  const end = time.ax(realEnd);
  const v = time.view();
  const visibleFrom = Math.max(start, v.from);
  const visibleTo = Math.min(end, v.to);
  if (visibleTo >= visibleFrom || (start <= v.to && end >= v.from)) {
    const bar = h('div', { class: `wf-bar kind-${sp.kind}${error ? ' error' : ''}${open ? ' open' : ''}${interrupted ? ' interrupted' : ''}` });
    const left = time.pct(Math.max(start, v.from));
    const right = time.pct(Math.min(end, v.to));
    bar.style.left = `${left}%`;
    bar.style.width = `max(2px, ${Math.max(0, right - left)}%)`;
    lane.appendChild(bar);
    for (const ev of sp.events ?? []) {
      const t = time.ax(ev.time);
      if (t < v.from || t > v.to) continue;
      const mark = h('span', { class: `wf-event ev-${ev.name.replace(/[^a-z_]/gi, '')}`, title: `${ev.name}${ev.attributes?.message ? `: ${String(ev.attributes.message)}` : ''}` });
      mark.style.left = `${time.pct(t)}%`;
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
