import { h, isTyping, replaceChildren } from './dom.js';
import type { ViewerInfo } from './host.js';
import { InsightsPage } from './insights.js';
import { ListView } from './list.js';
import { SearchPage } from './search.js';
import { SessionPage } from './session-page.js';
import { parseRoute, type Route } from './shared.js';
import { embeddedSession } from './source.js';
import { themeToggle } from './theme.js';

/**
 * The viewer's entry point: a hash router over the session list and the session pages. A shared file
 * (`agent-trace share`) carries one session and no server: the router shows that session only.
 */
const app = document.getElementById('app')!;
const shared = embeddedSession();
let info: ViewerInfo = shared?.info ?? { version: '', dir: '', pricesAsOf: '', prices: {}, priceOverrides: [] };
// fetched alongside the first page's data, not before it
const infoReady: Promise<ViewerInfo> = shared
  ? Promise.resolve(info)
  : fetch('/api/info')
      .then((res) => (res.ok ? (res.json() as Promise<ViewerInfo>) : info))
      .catch(() => info)
      .then((value) => (info = value));

/**
 * Links of the top bar, one per page of the viewer. Another page (insights, search) adds its link here, its
 * route in shared.ts's parseRoute and a case in route() below; the top bar keeps room for them.
 */
const TOP_LINKS: Array<{ href: string; label: string; page: Route['page'] }> = shared
  ? []
  : [
      { href: '#/', label: 'Sessions', page: 'list' },
      { href: '#/insights', label: 'Insights', page: 'insights' },
      { href: '#/search', label: 'Search', page: 'search' },
    ];
let list: ListView | undefined;
let session: SessionPage | undefined;
let help: HTMLElement | undefined;
let insights: InsightsPage | undefined;
let search: SearchPage | undefined;

const topbar = h(
  'header',
  { class: 'topbar' },
  h('a', { class: 'brand', href: '#/', title: 'All sessions' }, h('span', { class: 'brand-mark' }), 'agent-trace'),
  h('nav', { class: 'top-links', attrs: { 'aria-label': 'Pages' } }, TOP_LINKS.map((l) => h('a', { href: l.href, class: 'top-link', dataset: { page: l.page } }, l.label))),
  h('span', { class: 'spacer' }),
  shared ? h('span', { class: 'dim small shared-note' }, 'shared copy · offline') : null,
  themeToggle(),
  h('button', { class: 'button ghost small', type: 'button', title: 'Keyboard shortcuts (?)', attrs: { 'aria-label': 'Keyboard shortcuts' }, on: { click: () => toggleHelp() } }, '?'),
);
const main = h('main', { class: 'main', id: 'main', tabIndex: -1 });
replaceChildren(app, topbar, main);

function currentRoute(): Route {
  const r = parseRoute(location.hash);
  if (!shared) return r;
  const id = shared.doc.sessionId;
  return r.page === 'session' && r.id === id ? r : { page: 'session', id, tab: 'summary' };
}

let firstRoute = true;

function route(): void {
  const r = currentRoute();
  const initial = firstRoute;
  firstRoute = false;
  for (const a of topbar.querySelectorAll<HTMLAnchorElement>('a.top-link')) {
    if (a.dataset.page === r.page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (routeExtra(r)) return;
  if (r.page === 'list') {
    if (session) {
      session.destroy();
      session = undefined;
    }
    if (!list) {
      list = new ListView(r.query);
      replaceChildren(main, list.el);
      if (!initial) list.focusHeading();
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
    // the keyboard follows the navigation: focus lands on the session's title, not on the body
    if (!initial) session.focusHeading();
  }
  session.show(r.tab, r.span);
}

/** The Insights and Search pages (viewer/web/insights.ts, search.ts); true when the route was one of them. */
function routeExtra(r: Route): r is Extract<Route, { page: 'insights' | 'search' }> {
  if (r.page !== 'insights' && insights) {
    insights.destroy();
    insights = undefined;
  }
  if (r.page !== 'search' && search) {
    search.destroy();
    search = undefined;
  }
  if (r.page !== 'insights' && r.page !== 'search') return false;
  session?.destroy();
  session = undefined;
  list?.destroy();
  list = undefined;
  if (r.page === 'insights') {
    if (insights) insights.setQuery(r.query);
    else replaceChildren(main, (insights = new InsightsPage(r.query)).el);
    document.title = 'Insights · agent-trace';
  } else {
    if (search) search.setQuery(r.query);
    else replaceChildren(main, (search = new SearchPage(r.query)).el);
    document.title = 'Search · agent-trace';
  }
  return true;
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
  const handled = session ? session.onKey(e) : list ? list.onKey(e) : search ? search.onKey(e) : false;
  if (handled) e.preventDefault();
});

window.addEventListener('hashchange', route);

route();
