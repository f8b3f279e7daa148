import { ChatView } from './chat.js';
import { h, isTyping, replaceChildren } from './dom.js';
import { fmtCost, fmtDuration, fmtInt, fmtTokens } from './format.js';
import { SessionModel, type ModelChange } from './model.js';
import { sessionHref, statusBadge, TABS, type Tab } from './shared.js';
import { SummaryView } from './summary.js';
import { WaterfallView } from './waterfall.js';
import type { SessionHost, TabView, ViewerInfo } from './host.js';
import { embeddedSession } from './source.js';

export type { ViewerInfo } from './host.js';

const TAB_LABEL: Record<Tab, string> = { summary: 'Summary', chat: 'Chat', waterfall: 'Waterfall' };

/** One session: a header, three tabs (each with its own URL), a shared selection, live updates. */
export class SessionPage implements SessionHost {
  readonly el: HTMLElement;
  readonly model: SessionModel;
  info: ViewerInfo = { version: '', dir: '', pricesAsOf: '', priceSource: '', prices: {}, priceOverrides: [] };
  private readonly infoReady: Promise<ViewerInfo>;
  tab: Tab = 'summary';
  selected: string | undefined;
  private readonly views = new Map<Tab, TabView>();
  private readonly body: HTMLElement;
  private readonly headerInfo: HTMLElement;
  private readonly tabLinks = new Map<Tab, HTMLAnchorElement>();
  private readonly liveDot: HTMLElement;
  private readonly titleEl = h('h1', { class: 'session-head-title', tabIndex: -1 });
  private readonly badgeSlot = h('span', { class: 'badge-slot' });
  private readonly statsSlot = h('span', { class: 'session-head-stats' });
  /** Spans still loading (a big session) and what the server noticed while reading it. */
  private readonly noteSlot = h('span', { class: 'session-head-note', attrs: { role: 'status' } });
  private timer: ReturnType<typeof setInterval> | undefined;
  private ready = false;
  private pendingRoute: { tab: Tab; span: string | undefined } | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(id: string, info: Promise<ViewerInfo>) {
    this.infoReady = info;
    this.model = new SessionModel(id);
    this.headerInfo = h('div', { class: 'session-head-info' }, h('span', { class: 'dim' }, 'loading…'));
    this.liveDot = h('span', { class: 'live-dot', hidden: true, title: 'Live: updates as the session runs' }, h('span', { class: 'pulse' }), 'live');
    // the ARIA tabs pattern: one tab stop, arrow keys move between tabs, each tab names its panel
    const nav = h(
      'nav',
      { class: 'tabs', role: 'tablist', attrs: { 'aria-label': 'Session views' }, on: { keydown: (e) => this.onTabKey(e) } },
      TABS.map((t, i) => {
        const a = h(
          'a',
          { class: 'tab', id: `tab-${t}`, href: sessionHref(id, t), role: 'tab', title: `${TAB_LABEL[t]} (${i + 1})`, dataset: { tab: t }, attrs: { 'aria-controls': `panel-${t}`, 'aria-selected': 'false' }, tabIndex: -1 },
          TAB_LABEL[t],
        );
        this.tabLinks.set(t, a);
        return a;
      }),
    );
    this.body = h('div', { class: 'session-body' });
    this.el = h('div', { class: 'page session-page' }, h('div', { class: 'session-head' }, this.headerInfo, nav, this.liveDot), this.body);
    void this.start();
  }

  private async start(): Promise<void> {
    this.model.onLoadProgress = () => this.renderNote();
    try {
      [, this.info] = await Promise.all([this.model.load(), this.infoReady]);
    } catch (error) {
      replaceChildren(
        this.body,
        h('div', { class: 'page-error' }, h('h2', null, 'Cannot open this session'), h('p', null, (error as Error).message), h('p', null, h('a', { href: '#/' }, '← back to the sessions'))),
      );
      replaceChildren(this.headerInfo, h('a', { class: 'back', href: '#/' }, '← Sessions'));
      return;
    }
    this.ready = true;
    this.renderHeader();
    this.unsubscribe = this.model.subscribe((change) => this.onChange(change));
    this.model.onConnection = () => this.renderLive();
    this.model.connect();
    this.timer = setInterval(() => this.tick(), 1000);
    const route = this.pendingRoute ?? { tab: this.tab, span: undefined };
    this.pendingRoute = undefined;
    this.show(route.tab, route.span);
  }

  destroy(): void {
    this.model.close();
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    for (const v of this.views.values()) v.destroy?.();
  }

  /** Shows a tab (and a span) as the URL says. */
  show(tab: Tab, span: string | undefined): void {
    if (!this.ready) {
      this.pendingRoute = { tab, span };
      this.tab = tab;
      return;
    }
    const jump = span !== undefined && (span !== this.selected || tab !== this.tab || !this.views.has(tab));
    // a deep link to a span of a big session that has not arrived yet: selected once every page is in
    this.awaitedSpan = span !== undefined && this.model.loading && !this.model.nodes.has(span) ? span : undefined;
    if (span !== undefined && span !== this.selected) {
      this.selected = this.model.nodes.has(span) ? span : undefined;
      for (const v of this.views.values()) v.selectionChanged?.(this.selected);
    }
    if (this.tab !== tab) this.views.get(this.tab)?.hide();
    this.tab = tab;
    let view = this.views.get(tab);
    if (!view) {
      view = tab === 'summary' ? new SummaryView(this) : tab === 'chat' ? new ChatView(this) : new WaterfallView(this);
      view.el.id = `panel-${tab}`;
      view.el.setAttribute('role', 'tabpanel');
      view.el.setAttribute('aria-labelledby', `tab-${tab}`);
      this.views.set(tab, view);
      this.body.appendChild(view.el);
    }
    for (const [t, v] of this.views) v.el.hidden = t !== tab;
    for (const [t, a] of this.tabLinks) {
      a.classList.toggle('active', t === tab);
      a.setAttribute('aria-selected', String(t === tab));
      a.tabIndex = t === tab ? 0 : -1;
      a.setAttribute('href', sessionHref(this.model.id, t, this.selected));
    }
    view.show(this.selected, jump);
    if (this.tabFocus === tab) {
      this.tabFocus = undefined;
      this.tabLinks.get(tab)?.focus();
    }
    document.title = `${this.model.header.title ?? this.model.id} · ${TAB_LABEL[tab]} · agent-trace`;
  }

  /** Selects a span from inside a tab: the URL follows (without a new history entry). */
  select(id: string | undefined, from?: TabView): void {
    if (id === this.selected) return;
    this.selected = id;
    history.replaceState(null, '', sessionHref(this.model.id, this.tab, id));
    for (const [t, a] of this.tabLinks) a.setAttribute('href', sessionHref(this.model.id, t, id));
    for (const v of this.views.values()) if (v !== from) v.selectionChanged?.(id);
  }

  /** Opens a span in a tab (a new history entry). */
  open(tab: Tab, id: string | undefined): void {
    location.hash = sessionHref(this.model.id, tab, id);
  }

  /** Left/Right/Home/End on the tab list: move to (and open) the neighbouring tab, focus following it. */
  private onTabKey(e: KeyboardEvent): void {
    // From the tab that has the focus: `this.tab` follows the hash only once its change event has run, so two
    // quick key presses would otherwise both start from the old tab.
    const focused = TABS.find((t) => this.tabLinks.get(t) === e.target) ?? this.tab;
    const i = TABS.indexOf(focused);
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : -1;
    if (next < 0) return;
    e.preventDefault();
    e.stopPropagation();
    this.tabFocus = TABS[next];
    this.open(TABS[next]!, this.selected);
    this.tabLinks.get(TABS[next]!)?.focus();
  }

  /** A tab chosen from the tab list keeps the focus on the tab list (the panel does not take it). */
  private tabFocus: Tab | undefined;

  /** Puts the keyboard focus on the session's title (after opening a session from the list). */
  focusHeading(): void {
    if (this.titleEl.isConnected) this.titleEl.focus({ preventScroll: true });
    else this.focusOnReady = true;
  }

  private focusOnReady = false;
  private awaitedSpan: string | undefined;

  onKey(e: KeyboardEvent): boolean {
    if (!this.ready) return false;
    if (!isTyping(e) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const i = ['1', '2', '3'].indexOf(e.key);
      if (i >= 0) {
        this.open(TABS[i]!, this.selected);
        return true;
      }
    }
    return this.views.get(this.tab)?.onKey?.(e) ?? false;
  }

  private onChange(change: ModelChange): void {
    this.renderHeader();
    for (const v of this.views.values()) v.update(change);
    if (change.reset && this.awaitedSpan && this.model.nodes.has(this.awaitedSpan)) this.show(this.tab, this.awaitedSpan);
  }

  private tick(): void {
    if (!this.model.running) return;
    this.renderHeader();
    this.views.get(this.tab)?.tick?.();
  }

  private renderLive(): void {
    this.liveDot.hidden = !(this.model.running && this.model.connected);
  }

  private renderNote(): void {
    const p = this.model.progress;
    const problems = this.model.problems;
    replaceChildren(
      this.noteSlot,
      p ? h('span', { class: 'dim small loading-note' }, `loading spans… ${fmtInt(p.loaded)} of ${fmtInt(p.total)}`) : null,
      problems.length ? h('span', { class: 'problems small', title: problems.join('\n') }, `⚠ ${problems.join('; ')}`) : null,
    );
  }

  private renderHeader(): void {
    const hd = this.model.header;
    const t = hd.summary.tokens;
    const duration = this.model.running ? Math.max(hd.summary.durationMs, Date.now() - hd.startTime) : hd.summary.durationMs;
    // the title stays the same element (it may hold the focus); the badge and the numbers are redrawn
    if (!this.titleEl.isConnected) {
      replaceChildren(
        this.headerInfo,
        embeddedSession() ? null : h('a', { class: 'back', href: '#/', title: 'All sessions', attrs: { 'aria-label': 'All sessions' } }, '←'),
        this.badgeSlot,
        this.titleEl,
        this.statsSlot,
        this.noteSlot,
      );
    }
    const title = hd.title ?? this.model.id;
    if (this.titleEl.textContent !== title) {
      this.titleEl.textContent = title;
      this.titleEl.title = title;
    }
    replaceChildren(this.badgeSlot, statusBadge(hd.status));
    replaceChildren(
      this.statsSlot,
      h('span', { title: 'duration' }, fmtDuration(duration)),
      h('span', { title: 'tokens (input + output + cache)' }, `${fmtTokens(t.input + t.output + t.cacheRead + t.cacheWrite)} tok`),
      hd.summary.cost ? h('span', { title: 'estimated cost' }, fmtCost(hd.summary.cost.usd)) : null,
    );
    this.renderNote();
    this.renderLive();
    if (this.focusOnReady) {
      this.focusOnReady = false;
      this.titleEl.focus({ preventScroll: true });
    }
  }
}
