/**
 * DOM building without HTML strings: text always goes in as text nodes, attributes through setAttribute, so
 * nothing from a trace can become markup. (The one exception, markdown-it output with raw HTML disabled, goes
 * through the 'markdown' Trusted Types policy in markdown.ts.)
 */
export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  class?: string | undefined;
  title?: string | undefined;
  href?: string | undefined;
  id?: string | undefined;
  role?: string | undefined;
  tabIndex?: number | undefined;
  hidden?: boolean | undefined;
  type?: string | undefined;
  value?: string | undefined;
  placeholder?: string | undefined;
  dataset?: Record<string, string> | undefined;
  attrs?: Record<string, string | undefined> | undefined;
  open?: boolean | undefined;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void } | undefined;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

function applyProps(el: HTMLElement, p: Props): void {
  if (p.class) el.className = p.class;
  if (p.title !== undefined) el.title = p.title;
  if (p.href !== undefined) el.setAttribute('href', p.href);
  if (p.id !== undefined) el.id = p.id;
  if (p.role !== undefined) el.setAttribute('role', p.role);
  if (p.tabIndex !== undefined) el.tabIndex = p.tabIndex;
  if (p.hidden) el.hidden = true;
  if (p.type !== undefined) el.setAttribute('type', p.type);
  if (p.value !== undefined) (el as HTMLInputElement).value = p.value;
  if (p.placeholder !== undefined) el.setAttribute('placeholder', p.placeholder);
  if (p.open) (el as HTMLDetailsElement).open = true;
  if (p.dataset) for (const [k, v] of Object.entries(p.dataset)) el.dataset[k] = v;
  if (p.attrs) for (const [k, v] of Object.entries(p.attrs)) if (v !== undefined) el.setAttribute(k, v);
  if (p.on) for (const [k, fn] of Object.entries(p.on)) if (fn) el.addEventListener(k, fn as EventListener);
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (typeof c === 'string' || typeof c === 'number') el.appendChild(document.createTextNode(String(c)));
    else el.appendChild(c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replaceChildren(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, children);
}

/** Text with every occurrence of `query` (case-insensitive) wrapped in <mark>. */
export function highlighted(text: string, query: string): Child[] {
  if (!query) return [text];
  const lower = text.toLowerCase();
  const out: Child[] = [];
  let at = 0;
  for (;;) {
    const i = lower.indexOf(query, at);
    if (i < 0) break;
    if (i > at) out.push(text.slice(at, i));
    out.push(h('mark', null, text.slice(i, i + query.length)));
    at = i + query.length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

const SVG = 'http://www.w3.org/2000/svg';

/** Small line icons (24×24 paths), drawn with SVG elements, never markup. */
const ICONS: Record<string, string[]> = {
  session: ['M12 2l8.5 5v10L12 22l-8.5-5V7z', 'M12 8v8M8 10l8 4M16 10l-8 4'],
  turn: ['M4 5h16v10H9l-5 4z'],
  generation: ['M12 3l2.2 6.3L20.5 12l-6.3 2.2L12 21l-2.2-6.8L3.5 12l6.3-2.7z'],
  tool: ['M14.5 6.5a4 4 0 0 0 5 5l-8.6 8.6a2.1 2.1 0 0 1-3-3l8.6-8.6a4 4 0 0 0-2-2z', 'M14.5 6.5l3-3'],
  subagent: ['M6 3v12', 'M18 9a3 3 0 1 0 0-.1', 'M6 21a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M18 9c0 6-12 3-12 9'],
  compaction: ['M4 14h6v6', 'M20 10h-6V4', 'M14 10l7-7', 'M3 21l7-7'],
  search: ['M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14z', 'M21 21l-5-5'],
  chevron: ['M9 6l6 6-6 6'],
  error: ['M12 3l10 18H2z', 'M12 10v5', 'M12 18v.5'],
  bolt: ['M13 2L4 14h7l-1 8 9-12h-7z'],
  link: ['M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1', 'M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1'],
  lock: ['M6 11h12v10H6z', 'M8.5 11V7.5a3.5 3.5 0 0 1 7 0V11'],
  bell: ['M6 16V11a6 6 0 0 1 12 0v5l2 2H4z', 'M10 21h4'],
  user: ['M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M4 21a8 8 0 0 1 16 0'],
  copy: ['M9 9h11v11H9z', 'M5 15H4V4h11v1'],
  close: ['M6 6l12 12M18 6L6 18'],
  plus: ['M12 5v14M5 12h14'],
  minus: ['M5 12h14'],
  reset: ['M4 12a8 8 0 1 0 2.3-5.7', 'M4 4v5h5'],
  expand: ['M7 9l5 5 5-5'],
  collapse: ['M7 15l5-5 5 5'],
  clock: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z', 'M12 7v5l3 3'],
};

export function icon(name: string, cls = ''): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', `icon icon-${name}${cls ? ` ${cls}` : ''}`);
  for (const d of ICONS[name] ?? ICONS.session!) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
  }
  return svg;
}

/** The coloured badge of a span kind. */
export function kindIcon(kind: string): HTMLElement {
  return h('span', { class: `kind-icon kind-${kind}`, title: kind }, icon(kind));
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Whether a keyboard event comes from a text field (where single-key shortcuts must not fire). */
export function isTyping(event: KeyboardEvent): boolean {
  const t = event.target as HTMLElement | null;
  if (!t) return false;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}
