import type { PriceTable } from '../../src/model/pricing.js';
import { ChatView } from './chat.js';
import { h, isTyping, replaceChildren } from './dom.js';
import { fmtCost, fmtDuration, fmtTokens } from './format.js';
import { SessionModel, type ModelChange } from './model.js';
import { sessionHref, statusBadge, TABS, type Tab } from './shared.js';
import { SummaryView } from './summary.js';
import { WaterfallView } from './waterfall.js';

export interface ViewerInfo {
  version: string;
  dir: string;
  pricesAsOf: string;
  /** The price source, named and dated. */
  priceSource: string;
  /** The config file's `prices` overrides. */
  prices: PriceTable;
  priceOverrides: string[];
}

/** What every tab implements. */
export interface TabView {
  readonly el: HTMLElement;
  /** Called when the tab becomes visible, with the span the URL selects (if any). */
  show(span: string | undefined, jump: boolean): void;
  hide(): void;
  update(change: ModelChange): void;
  /** The selection changed elsewhere (another tab, the URL). */
  selectionChanged?(id: string | undefined): void;
  /** Every second while the session runs (open spans grow). */
  tick?(): void;
  onKey?(e: KeyboardEvent): boolean;
  destroy?(): void;
}

const TAB_LABEL: Record<Tab, string> = { summary: 'Summary', chat: 'Chat', waterfall: 'Waterfall' };

/** One session: a header, three tabs (each with its own URL), a shared selection, live updates. */
export class SessionPage {
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
  private timer: ReturnType<typeof setInterval> | undefined;
  private ready = false;
  private pendingRoute: { tab: Tab; span: string | undefined } | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(id: string, info: Promise<ViewerInfo>) {
    this.infoReady = info;
    this.model = new SessionModel(id);
    this.headerInfo = h('div', { class: 'session-head-info' }, h('span', { class: 'dim' }, 'loading…'));
    this.liveDot = h('span', { class: 'live-dot', hidden: true, title: 'Live: updates as the session runs' }, h('span', { class: 'pulse' }), 'live');
    const nav = h(
      'nav',
      { class: 'tabs', role: 'tablist' },
      TABS.map((t, i) => {
        const a = h('a', { class: 'tab', href: sessionHref(id, t), role: 'tab', title: `${TAB_LABEL[t]} (${i + 1})`, dataset: { tab: t } }, TAB_LABEL[t]);
        this.tabLinks.set(t, a);
        return a;
      }),
    );
    this.body = h('div', { class: 'session-body' });
    this.el = h('div', { class: 'page session-page' }, h('div', { class: 'session-head' }, this.headerInfo, nav, this.liveDot), this.body);
    void this.start();
  }

  private async start(): Promise<void> {
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
    if (span !== undefined && span !== this.selected) {
      this.selected = this.model.nodes.has(span) ? span : undefined;
      for (const v of this.views.values()) v.selectionChanged?.(this.selected);
    }
    if (this.tab !== tab) this.views.get(this.tab)?.hide();
    this.tab = tab;
    let view = this.views.get(tab);
    if (!view) {
      view = tab === 'summary' ? new SummaryView(this) : tab === 'chat' ? new ChatView(this) : new WaterfallView(this);
      this.views.set(tab, view);
      this.body.appendChild(view.el);
    }
    for (const [t, v] of this.views) v.el.hidden = t !== tab;
    for (const [t, a] of this.tabLinks) {
      a.classList.toggle('active', t === tab);
      a.setAttribute('aria-selected', String(t === tab));
      a.setAttribute('href', sessionHref(this.model.id, t, this.selected));
    }
    view.show(this.selected, jump);
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
  }

  private tick(): void {
    if (!this.model.running) return;
    this.renderHeader();
    this.views.get(this.tab)?.tick?.();
  }

  private renderLive(): void {
    this.liveDot.hidden = !(this.model.running && this.model.connected);
  }

  private renderHeader(): void {
    const hd = this.model.header;
    const t = hd.summary.tokens;
    const duration = this.model.running ? Math.max(hd.summary.durationMs, Date.now() - hd.startTime) : hd.summary.durationMs;
    replaceChildren(
      this.headerInfo,
      h('a', { class: 'back', href: '#/', title: 'All sessions' }, '←'),
      statusBadge(hd.status),
      h('span', { class: 'session-head-title', title: hd.title ?? this.model.id }, hd.title ?? this.model.id),
      h(
        'span',
        { class: 'session-head-stats' },
        h('span', { title: 'duration' }, fmtDuration(duration)),
        h('span', { title: 'tokens (input + output + cache)' }, `${fmtTokens(t.input + t.output + t.cacheRead + t.cacheWrite)} tok`),
        hd.summary.cost ? h('span', { title: 'estimated cost' }, fmtCost(hd.summary.cost.usd)) : null,
      ),
    );
    this.renderLive();
  }
}
