import { h, isTyping, replaceChildren } from './dom.js';
import { ListView } from './list.js';
import { SessionPage, type ViewerInfo } from './session-page.js';
import { parseRoute } from './shared.js';

/** The viewer's entry point: a hash router over the session list and the session pages. */
const app = document.getElementById('app')!;
let info: ViewerInfo = { version: '', dir: '', pricesAsOf: '', priceSource: '', prices: {}, priceOverrides: [] };
// fetched alongside the first page's data, not before it
const infoReady: Promise<ViewerInfo> = fetch('/api/info')
  .then((res) => (res.ok ? (res.json() as Promise<ViewerInfo>) : info))
  .catch(() => info)
  .then((value) => (info = value));
let list: ListView | undefined;
let session: SessionPage | undefined;
let help: HTMLElement | undefined;

const topbar = h(
  'header',
  { class: 'topbar' },
  h('a', { class: 'brand', href: '#/', title: 'All sessions' }, h('span', { class: 'brand-mark' }), 'agent-trace'),
  h('span', { class: 'spacer' }),
  h('button', { class: 'button ghost small', type: 'button', title: 'Keyboard shortcuts (?)', on: { click: () => toggleHelp() } }, '?'),
);
const main = h('main', { class: 'main' });
replaceChildren(app, topbar, main);

function route(): void {
  const r = parseRoute(location.hash);
  if (r.page === 'list') {
    if (session) {
      session.destroy();
      session = undefined;
    }
    if (!list) {
      list = new ListView(r.query);
      replaceChildren(main, list.el);
    } else list.setQuery(r.query);
    document.title = 'Sessions · agent-trace';
    return;
  }
  if (list) {
    list.destroy();
    list = undefined;
  }
  if (!session || session.model.id !== r.id) {
    session?.destroy();
    session = new SessionPage(r.id, infoReady);
    replaceChildren(main, session.el);
  }
  session.show(r.tab, r.span);
}

function toggleHelp(): void {
  if (help) {
    help.remove();
    help = undefined;
    return;
  }
  const rows: Array<[string, string]> = [
    ['1  2  3', 'Summary, Chat, Waterfall'],
    ['↑ ↓  j k', 'previous / next span (waterfall), session (list)'],
    ['← →  h l', 'collapse / expand; parent / first child'],
    ['Enter  Space', 'toggle children; open a session in the list'],
    ['/', 'search'],
    ['n  N', 'next / previous match'],
    ['z  0  +  −', 'zoom to span, reset, zoom in, zoom out'],
    ['c  w', 'show the selected span in the chat / the waterfall'],
    ['Esc', 'clear the selection or the search'],
    ['?', 'this help'],
  ];
  help = h(
    'div',
    { class: 'overlay', on: { click: (e) => e.target === help && toggleHelp() } },
    h(
      'div',
      { class: 'dialog', role: 'dialog', attrs: { 'aria-label': 'Keyboard shortcuts' } },
      h('h2', null, 'Keyboard shortcuts'),
      h('table', { class: 'kv-table shortcuts' }, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('td', null, h('kbd', null, k)), h('td', null, v))))),
      h('p', { class: 'dim small' }, `agent-trace ${info.version} · data in ${info.dir}`),
    ),
  );
  document.body.appendChild(help);
}

document.addEventListener('keydown', (e) => {
  if (e.key === '?' && !isTyping(e)) {
    toggleHelp();
    e.preventDefault();
    return;
  }
  if (help && e.key === 'Escape') {
    toggleHelp();
    e.preventDefault();
    return;
  }
  const handled = session ? session.onKey(e) : list ? list.onKey(e) : false;
  if (handled) e.preventDefault();
});

window.addEventListener('hashchange', route);

route();
