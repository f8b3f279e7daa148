import { h, icon, kindIcon, type Child } from './dom.js';
import { fmtClock, fmtCost, fmtDuration, fmtInt, fmtTokens, oneLine, shortModel } from './format.js';
import { renderMarkdown } from './markdown.js';
import { generationOutput, isInterrupted, modelOf, toolName, usageOf, type ModelChange, type SpanNode } from './model.js';
import { section, toolInputView, toolOutputText, toolSummary, valueView } from './content.js';
import type { SessionHost, TabView } from './host.js';
import type { SpanEventRecord } from '../../src/model/trace.js';
import { spanCost, spanTitle, subtreeStats } from './spans.js';

/** One block of the conversation at the top level; `rev` tells whether its element can be reused. */
interface Entry {
  key: string;
  rev: number;
  node: SpanNode | undefined;
  render: () => HTMLElement;
}

type Item = { node: SpanNode; time: number } | { event: SpanEventRecord; owner: SpanNode; index: number; time: number };

const FIRST_BATCH = 120;
const BATCH = 250;
const QUIET_EVENTS = new Set(['interrupted', 'session.resume', 'gen_ai.user.message']);

/**
 * The Chat tab: the conversation as it happened. Top-level blocks are reconciled by key and revision, so a
 * live update replaces only what changed and keeps the scroll position, the open cards and the selection.
 * Long sessions are rendered in batches (the first screen at once) and tool bodies only when opened.
 */
export class ChatView implements TabView {
  readonly el: HTMLElement;
  private readonly inner: HTMLElement;
  private entries: Entry[] = [];
  private readonly rendered = new Map<string, { rev: number; el: HTMLElement }>();
  private limit = FIRST_BATCH;
  private owner = new Map<string, number>();
  private readonly open = new Map<string, boolean>();
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private dirty = true;
  private lastJumped: string | undefined;

  constructor(private readonly page: SessionHost) {
    this.inner = h('div', { class: 'chat' });
    this.el = h('div', { class: 'tab-pane chat-scroll', role: 'tabpanel', tabIndex: -1 }, this.inner);
  }

  show(span: string | undefined, jump: boolean): void {
    if (this.dirty) this.refresh();
    if (span && (jump || span !== this.lastJumped)) this.jumpTo(span);
    this.markSelected(span);
  }

  hide(): void {}

  destroy(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
  }

  update(change: ModelChange): void {
    this.dirty = true;
    if (change.reset) this.rendered.clear();
    if (!this.el.hidden) this.refresh();
  }

  selectionChanged(id: string | undefined): void {
    this.markSelected(id);
  }

  tick(): void {
    for (const el of this.inner.querySelectorAll<HTMLElement>('[data-running-since]')) {
      el.textContent = fmtDuration(Date.now() - Number(el.dataset.runningSince));
    }
  }

  onKey(e: KeyboardEvent): boolean {
    if (e.key === 'w' && this.page.selected) {
      this.page.open('waterfall', this.page.selected);
      return true;
    }
    return false;
  }

  // ——— building ———

  private refresh(): void {
    this.dirty = false;
    const atBottom = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < 80;
    this.entries = this.buildEntries();
    this.reconcile();
    if (atBottom && this.page.model.running && this.el.scrollTop > 0) this.el.scrollTop = this.el.scrollHeight;
  }

  private buildEntries(): Entry[] {
    const m = this.page.model;
    const root = m.root;
    const out: Entry[] = [];
    this.owner = new Map();
    if (!root) return out;
    const own = (node: SpanNode, index: number) => {
      this.owner.set(node.id, index);
      const stack = [...node.children];
      while (stack.length) {
        const n = stack.pop()!;
        if (this.owner.has(n.id)) continue;
        this.owner.set(n.id, index);
        stack.push(...n.children);
      }
    };
    for (const item of this.items(root)) {
      if ('node' in item && item.node.span.kind === 'turn') {
        const turn = item.node;
        this.owner.set(turn.id, out.length);
        out.push({ key: `turn:${turn.id}`, rev: turn.subRev, node: turn, render: () => this.turnHeader(turn) });
        if (typeof turn.span.input === 'string') out.push({ key: `prompt:${turn.id}`, rev: turn.rev, node: turn, render: () => this.prompt(turn) });
        let spoke = false;
        for (const sub of this.items(turn)) {
          if ('node' in sub) {
            const out0 = sub.node.span.kind === 'generation' ? generationOutput(sub.node.span) : undefined;
            if (out0?.text) spoke = true;
            own(sub.node, out.length);
            out.push(this.entryFor(sub));
          } else {
            if (sub.event.name === 'gen_ai.assistant.message') spoke = true;
            out.push(this.entryFor(sub));
          }
        }
        if (!spoke && typeof turn.span.output === 'string' && turn.span.output) {
          out.push({ key: `final:${turn.id}`, rev: turn.rev, node: turn, render: () => this.finalMessage(turn) });
        }
      } else {
        if ('node' in item) own(item.node, out.length);
        out.push(this.entryFor(item));
      }
    }
    out.push({ key: 'end', rev: root.rev * 1e6 + (m.running ? 1 : 0), node: root, render: () => this.endMarker() });
    return out;
  }

  /** A span's children and its own events, in time order. */
  private items(node: SpanNode): Item[] {
    const items: Item[] = node.children.map((c) => ({ node: c, time: c.span.startTime }));
    (node.span.events ?? []).forEach((event, index) => {
      if (!QUIET_EVENTS.has(event.name)) items.push({ event, owner: node, index, time: event.time });
    });
    items.sort((a, b) => a.time - b.time);
    return items;
  }

  private entryFor(item: Item): Entry {
    if ('event' in item) {
      return { key: `ev:${item.owner.id}:${item.index}`, rev: item.owner.rev, node: item.owner, render: () => this.eventMarker(item.event, item.owner) };
    }
    const n = item.node;
    return { key: `span:${n.id}`, rev: n.subRev, node: n, render: () => this.block(n) };
  }

  private reconcile(): void {
    const entries = this.entries.slice(0, this.limit);
    const keep = new Set<string>();
    let cursor: ChildNode | null = this.inner.firstChild;
    for (const entry of entries) {
      keep.add(entry.key);
      let r = this.rendered.get(entry.key);
      if (!r || r.rev !== entry.rev) {
        const el = entry.render();
        el.dataset.key = entry.key;
        if (r) {
          if (cursor === r.el) cursor = el;
          r.el.replaceWith(el);
        }
        r = { rev: entry.rev, el };
        this.rendered.set(entry.key, r);
      }
      if (r.el !== cursor) this.inner.insertBefore(r.el, cursor);
      cursor = r.el.nextSibling;
    }
    for (const [key, r] of this.rendered) {
      if (!keep.has(key)) {
        r.el.remove();
        this.rendered.delete(key);
      }
    }
    this.markSelected(this.page.selected);
    if (this.limit < this.entries.length && !this.batchTimer) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined;
        this.limit += BATCH;
        this.reconcile();
      }, 16);
    }
  }

  // ——— selection and jumps ———

  private markSelected(id: string | undefined): void {
    for (const el of this.inner.querySelectorAll('.selected')) el.classList.remove('selected');
    if (!id) return;
    this.inner.querySelector(`[data-span="${CSS.escape(id)}"]`)?.classList.add('selected');
  }

  private jumpTo(id: string): void {
    this.lastJumped = id;
    const index = this.owner.get(id);
    if (index === undefined) return;
    if (index >= this.limit) {
      this.limit = index + FIRST_BATCH;
      this.reconcile();
    }
    let target = this.inner.querySelector<HTMLElement>(`[data-span="${CSS.escape(id)}"]`);
    if (!target) {
      // inside a closed card: open the cards on the way down
      const entry = this.entries[index];
      const el = entry ? this.rendered.get(entry.key)?.el : undefined;
      if (el) {
        for (const d of el.querySelectorAll('details')) d.open = true;
        if (el instanceof HTMLDetailsElement) el.open = true;
        target = this.inner.querySelector<HTMLElement>(`[data-span="${CSS.escape(id)}"]`) ?? el;
      }
    }
    if (!target) return;
    for (let p = target.parentElement; p && p !== this.inner; p = p.parentElement) if (p instanceof HTMLDetailsElement) p.open = true;
    const t = target;
    requestAnimationFrame(() => {
      t.scrollIntoView({ block: 'center' });
      t.classList.remove('flash');
      void t.offsetWidth;
      t.classList.add('flash');
    });
    this.markSelected(id);
  }

  private selectable(el: HTMLElement, node: SpanNode): HTMLElement {
    el.dataset.span = node.id;
    el.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('a, button')) return;
      e.stopPropagation();
      this.page.select(node.id, this);
      this.markSelected(node.id);
    });
    return el;
  }

  private toWaterfall(node: SpanNode): HTMLElement {
    return h(
      'button',
      {
        class: 'icon-button ghost',
        type: 'button',
        title: 'Show in the waterfall (w)',
        attrs: { 'aria-label': 'Show in the waterfall' },
        on: {
          click: (e) => {
            e.stopPropagation();
            e.preventDefault();
            this.page.open('waterfall', node.id);
          },
        },
      },
      icon('link'),
    );
  }

  // ——— blocks ———

  private turnHeader(turn: SpanNode): HTMLElement {
    const m = this.page.model;
    const st = subtreeStats(turn, this.page.info.prices);
    const sp = turn.span;
    return this.selectable(
      h(
        'div',
        { class: `turn-sep${sp.status === 'error' ? ' error' : ''}` },
        h('span', { class: 'turn-name' }, spanTitle(sp, m.header)),
        h('span', null, fmtClock(sp.startTime)),
        sp.endTime !== undefined ? h('span', null, fmtDuration(sp.endTime - sp.startTime)) : h('span', { class: 'running-text' }, 'running'),
        st.tools ? h('span', null, `${fmtInt(st.tools)} tool call${st.tools === 1 ? '' : 's'}`) : null,
        st.tokens ? h('span', null, `${fmtTokens(st.tokens)} tokens`) : null,
        st.priced ? h('span', null, fmtCost(st.usd)) : null,
      ),
      turn,
    );
  }

  private prompt(turn: SpanNode): HTMLElement {
    return this.selectable(
      h(
        'div',
        { class: 'msg user' },
        h('div', { class: 'msg-head' }, h('span', { class: 'avatar user' }, icon('user')), h('span', { class: 'who' }, 'You'), h('span', { class: 'dim' }, fmtClock(turn.span.startTime))),
        h('div', { class: 'msg-body' }, valueView(String(turn.span.input), { cls: 'prompt-text' })),
      ),
      turn,
    );
  }

  private finalMessage(turn: SpanNode): HTMLElement {
    const body = h('div', { class: 'msg-body' });
    renderMarkdown(body, String(turn.span.output));
    return h('div', { class: 'msg assistant' }, h('div', { class: 'msg-head' }, kindIcon('generation'), h('span', { class: 'who' }, 'Assistant')), body);
  }

  /** A span inside the conversation (at any depth). */
  private block(n: SpanNode): HTMLElement {
    switch (n.span.kind) {
      case 'generation':
        return this.assistant(n);
      case 'tool':
        return this.toolCard(n);
      case 'subagent':
        return this.subagent(n);
      case 'compaction':
        return this.compaction(n);
      case 'turn':
        return this.nestedTurn(n);
      default:
        return this.otherSpan(n);
    }
  }

  private assistant(n: SpanNode): HTMLElement {
    const sp = n.span;
    const out = generationOutput(sp);
    const u = usageOf(sp);
    const model = modelOf(sp);
    const running = sp.endTime === undefined;
    const cost = spanCost(sp, this.page.info.prices);
    const body: Child[] = [];
    if (out.thinking) {
      const words = out.thinking.trim().split(/\s+/).length;
      body.push(this.details(`thinking:${n.id}`, false, 'thinking', [icon('generation'), `Thinking · ${fmtInt(words)} words`], () => valueView(out.thinking!, { cls: 'thinking-text' })));
    }
    if (out.text) {
      const md = h('div', { class: 'msg-text' });
      renderMarkdown(md, out.text);
      body.push(md);
    }
    if (!out.text && !out.thinking && out.toolCalls?.length) body.push(h('div', { class: 'dim small calls' }, `Calls ${out.toolCalls.map((c) => c.name).join(', ')}`));
    if (running) body.push(h('div', { class: 'dim small' }, h('span', { class: 'spinner' }), ' generating…'));
    if (sp.status === 'error') body.push(h('div', { class: 'error-box' }, sp.statusMessage ?? 'error'));
    if (isInterrupted(sp)) body.push(h('div', { class: 'warn-box' }, icon('bolt'), ' interrupted'));
    const foot: Child[] = [];
    if (u) {
      foot.push(h('span', { title: 'input tokens (not cached)' }, `${fmtTokens(u.input)} in`));
      foot.push(h('span', { title: 'output tokens' }, `${fmtTokens(u.output)} out`));
      if (u.cacheRead) foot.push(h('span', { title: 'input tokens read from the cache' }, `${fmtTokens(u.cacheRead)} cache read`));
      if (u.cacheWrite) foot.push(h('span', { title: 'input tokens written to the cache' }, `${fmtTokens(u.cacheWrite)} cache write`));
    }
    foot.push(running ? h('span', { dataset: { runningSince: String(sp.startTime) } }, fmtDuration(Date.now() - sp.startTime)) : h('span', { title: 'duration' }, fmtDuration(sp.endTime! - sp.startTime)));
    if (cost !== undefined) foot.push(h('span', { title: 'estimated cost' }, fmtCost(cost)));
    return this.selectable(
      h(
        'div',
        { class: `msg assistant${sp.status === 'error' ? ' error' : ''}` },
        h('div', { class: 'msg-head' }, kindIcon('generation'), h('span', { class: 'who' }, 'Assistant'), model ? h('span', { class: 'chip' }, shortModel(model)) : null, h('span', { class: 'dim' }, fmtClock(sp.startTime)), h('span', { class: 'spacer' }), this.toWaterfall(n)),
        body,
        h('div', { class: 'msg-foot' }, foot),
      ),
      n,
    );
  }

  private toolCard(n: SpanNode): HTMLElement {
    const sp = n.span;
    const name = toolName(sp);
    const cwd = this.page.model.header.cwd;
    const running = sp.endTime === undefined;
    const interrupted = isInterrupted(sp);
    const error = sp.status === 'error';
    const subagents = n.children.filter((c) => c.span.kind === 'subagent');
    const events = (sp.events ?? []).filter((e) => !QUIET_EVENTS.has(e.name));
    const summary: Child[] = [
      kindIcon('tool'),
      h('span', { class: 'tool-name' }, name),
      h('span', { class: 'tool-arg' }, toolSummary(name, sp.input, cwd)),
      h('span', { class: 'spacer' }),
      events.some((e) => e.name === 'permission_request') ? h('span', { class: 'chip perm', title: 'a permission prompt was shown' }, icon('lock'), 'permission') : null,
      subagents.length ? h('span', { class: 'chip sub' }, `${subagents.length} subagent${subagents.length > 1 ? 's' : ''}`) : null,
      error ? h('span', { class: 'chip err' }, 'failed') : null,
      interrupted ? h('span', { class: 'chip warn' }, icon('bolt'), 'interrupted') : null,
      running ? h('span', { class: 'chip run' }, h('span', { class: 'spinner' }), h('span', { dataset: { runningSince: String(sp.startTime) } }, fmtDuration(Date.now() - sp.startTime))) : h('span', { class: 'dur' }, fmtDuration(sp.endTime! - sp.startTime)),
      this.toWaterfall(n),
    ];
    const card = this.details(`tool:${n.id}`, subagents.length > 0, `tool-card${error ? ' error' : ''}${interrupted ? ' interrupted' : ''}`, summary, () => {
      const parts: Child[] = [section('Input', toolInputView(name, sp.input, cwd))];
      for (const s of subagents) parts.push(this.subagent(s));
      for (const c of n.children) if (c.span.kind !== 'subagent') parts.push(this.block(c));
      if (sp.output !== undefined || running) {
        parts.push(section(error ? 'Error' : 'Output', running && sp.output === undefined ? h('div', { class: 'dim' }, 'running…') : valueView(toolOutputText(sp.output), { cls: error ? 'error-output' : '' })));
      }
      if (error && sp.statusMessage && sp.statusMessage !== sp.output) parts.push(h('div', { class: 'error-box' }, oneLine(sp.statusMessage, 400)));
      if (events.length) parts.push(section('Events', events.map((e) => this.eventMarker(e, n))));
      return h('div', { class: 'card-body' }, parts);
    });
    if (error) {
      const msg = typeof sp.output === 'string' ? sp.output : sp.statusMessage;
      if (msg) card.querySelector('summary')?.appendChild(h('div', { class: 'error-line' }, oneLine(msg, 200)));
    }
    return this.selectable(card, n);
  }

  private subagent(n: SpanNode): HTMLElement {
    const sp = n.span;
    const st = subtreeStats(n, this.page.info.prices);
    const m = this.page.model;
    const head: Child[] = [
      kindIcon('subagent'),
      h('span', { class: 'tool-name' }, spanTitle(sp, m.header)),
      h('span', { class: 'dim' }, `${fmtInt(st.generations)} model calls · ${fmtInt(st.tools)} tools · ${fmtTokens(st.tokens)} tokens${st.priced ? ` · ${fmtCost(st.usd)}` : ''}`),
      h('span', { class: 'spacer' }),
      sp.status === 'error' ? h('span', { class: 'chip err' }, 'failed') : null,
      sp.endTime === undefined ? h('span', { class: 'chip run' }, h('span', { class: 'spinner' }), 'running') : h('span', { class: 'dur' }, fmtDuration(sp.endTime - sp.startTime)),
      this.toWaterfall(n),
    ];
    const el = this.details(`sub:${n.id}`, true, `subagent${sp.status === 'error' ? ' error' : ''}`, head, () => {
      const parts: Child[] = [];
      if (typeof sp.input === 'string') parts.push(h('div', { class: 'msg user sub-prompt' }, h('div', { class: 'msg-head' }, h('span', { class: 'who' }, 'Task prompt')), h('div', { class: 'msg-body' }, valueView(sp.input, { cls: 'prompt-text' }))));
      let spoke = false;
      for (const item of this.items(n)) {
        if ('node' in item) {
          if (item.node.span.kind === 'generation' && generationOutput(item.node.span).text) spoke = true;
          parts.push(this.block(item.node));
        } else parts.push(this.eventMarker(item.event, item.owner));
      }
      if (!spoke && sp.output !== undefined) {
        const body = h('div', { class: 'msg-body' });
        if (typeof sp.output === 'string') renderMarkdown(body, sp.output);
        else body.appendChild(valueView(sp.output));
        parts.push(h('div', { class: 'msg assistant' }, h('div', { class: 'msg-head' }, h('span', { class: 'who' }, 'Subagent result')), body));
      }
      return h('div', { class: 'subagent-body' }, parts);
    });
    return this.selectable(el, n);
  }

  private compaction(n: SpanNode): HTMLElement {
    const sp = n.span;
    const trig = sp.attributes['agent_trace.compaction.trigger'];
    const before = sp.attributes['agent_trace.compaction.tokens_before'];
    const after = sp.attributes['agent_trace.compaction.tokens_after'];
    const text = `Context compacted${typeof trig === 'string' ? ` (${trig})` : ''}${typeof before === 'number' ? `: ${fmtTokens(before)}${typeof after === 'number' ? ` → ${fmtTokens(after)}` : ''} tokens` : ''}`;
    return this.selectable(
      h(
        'div',
        { class: 'marker compaction' },
        h('div', { class: 'marker-line' }, kindIcon('compaction'), h('span', null, text), h('span', { class: 'dim' }, fmtClock(sp.startTime)), this.toWaterfall(n)),
        sp.output !== undefined ? this.details(`compact:${n.id}`, false, 'compact-summary', 'Summary kept after compaction', () => valueView(sp.output, { cls: 'prompt-text' })) : null,
      ),
      n,
    );
  }

  private nestedTurn(n: SpanNode): HTMLElement {
    const parts: Child[] = [];
    for (const item of this.items(n)) parts.push('node' in item ? this.block(item.node) : this.eventMarker(item.event, item.owner));
    return this.selectable(h('div', { class: 'nested' }, h('div', { class: 'dim small' }, spanTitle(n.span, this.page.model.header)), parts), n);
  }

  private otherSpan(n: SpanNode): HTMLElement {
    const sp = n.span;
    return this.selectable(
      this.details(`other:${n.id}`, false, `tool-card${sp.status === 'error' ? ' error' : ''}`, [kindIcon(sp.kind), h('span', { class: 'tool-name' }, sp.name), h('span', { class: 'spacer' }), sp.endTime !== undefined ? h('span', { class: 'dur' }, fmtDuration(sp.endTime - sp.startTime)) : null], () =>
        h('div', { class: 'card-body' }, sp.input !== undefined ? section('Input', valueView(sp.input)) : null, sp.output !== undefined ? section('Output', valueView(sp.output)) : null, n.children.map((c) => this.block(c))),
      ),
      n,
    );
  }

  private eventMarker(e: SpanEventRecord, owner: SpanNode): HTMLElement {
    const a = e.attributes ?? {};
    const msg = a.message ?? a.content ?? a.reason ?? a['exception.message'];
    const text = msg === undefined ? '' : String(msg);
    const at = h('span', { class: 'dim' }, fmtClock(e.time));
    switch (e.name) {
      case 'gen_ai.assistant.message': {
        const body = h('div', { class: 'msg-text' });
        renderMarkdown(body, text);
        return h('div', { class: 'msg assistant' }, h('div', { class: 'msg-head' }, kindIcon('generation'), h('span', { class: 'who' }, 'Assistant'), at), body);
      }
      case 'api_error':
        return h('div', { class: 'marker error' }, h('div', { class: 'marker-line' }, icon('error'), h('span', null, 'API error', text ? `: ${oneLine(text, 300)}` : ''), at));
      case 'crash':
        return h('div', { class: 'marker error' }, h('div', { class: 'marker-line' }, icon('error'), h('span', null, 'Crashed', text ? `: ${oneLine(text, 300)}` : ''), at));
      case 'interrupt':
        return h('div', { class: 'marker warn' }, h('div', { class: 'marker-line' }, icon('bolt'), h('span', null, text ? oneLine(text, 300) : 'Interrupted'), at));
      case 'permission_request': {
        const tool = a['gen_ai.tool.name'];
        return h('div', { class: 'marker perm' }, h('div', { class: 'marker-line' }, icon('lock'), h('span', null, text ? oneLine(text, 300) : `Permission requested${typeof tool === 'string' ? `: ${tool}` : ''}`), at));
      }
      case 'notification':
        return h('div', { class: 'marker note' }, h('div', { class: 'marker-line' }, icon('bell'), h('span', null, text ? oneLine(text, 300) : 'Notification'), at));
      default:
        return h('div', { class: 'marker note' }, h('div', { class: 'marker-line' }, icon('bell'), h('span', null, e.name, text ? `: ${oneLine(text, 200)}` : ''), at), owner.span.kind === 'session' ? null : null);
    }
  }

  private endMarker(): HTMLElement {
    const hd = this.page.model.header;
    const root = this.page.model.root;
    switch (hd.status) {
      case 'running':
        return h('div', { class: 'marker end running' }, h('div', { class: 'marker-line' }, h('span', { class: 'pulse' }), h('span', null, 'Running — new messages appear here as they happen')));
      case 'completed':
        return h('div', { class: 'marker end' }, h('div', { class: 'marker-line' }, h('span', null, `Session completed after ${fmtDuration(hd.summary.durationMs)}`)));
      case 'crashed':
        return h('div', { class: 'marker end error' }, h('div', { class: 'marker-line' }, icon('error'), h('span', null, `Session crashed${root?.span.statusMessage ? `: ${root.span.statusMessage}` : ''}`)));
      case 'interrupted':
        return h('div', { class: 'marker end warn' }, h('div', { class: 'marker-line' }, icon('bolt'), h('span', null, 'Session interrupted: the agent went away without a clean end')));
      default:
        return h('div', { class: 'marker end error' }, h('div', { class: 'marker-line' }, icon('error'), h('span', null, `Session ended with an error${root?.span.statusMessage ? `: ${root.span.statusMessage}` : ''}`)));
    }
  }

  /** A <details> whose body is built on first open and whose open state survives re-renders. */
  private details(key: string, defaultOpen: boolean, cls: string, summary: Child, body: () => HTMLElement): HTMLDetailsElement {
    const isOpen = this.open.get(key) ?? defaultOpen;
    const d = h('details', { class: cls, open: isOpen }, h('summary', null, h('div', { class: 'summary-row' }, summary)));
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      d.appendChild(body());
    };
    if (isOpen) build();
    d.addEventListener('toggle', () => {
      this.open.set(key, d.open);
      if (d.open) build();
    });
    return d;
  }
}
