import type { SpanEventRecord } from '../../src/model/trace.js';
import { items, QUIET_EVENTS, type BlockRenderers } from './chat-entries.js';
import { contentView, promptImages, section, toolInputView, toolSummary, valueView } from './content.js';
import { h, icon, kindIcon, type Child } from './dom.js';
import { foldedMarkdown } from './fold.js';
import { fmtClock, fmtCost, fmtDuration, fmtInt, fmtTokens, oneLine, shortModel } from './format.js';
import type { SessionHost, TabView } from './host.js';
import { renderMarkdown } from './markdown.js';
import { durationKnown, generationOutput, isInterrupted, modelOf, toolName, usageOf, type SpanNode } from './model.js';
import { spanCost, spanTitle, subtreeStats } from './spans.js';

/**
 * The chat's blocks as elements: a turn's header and prompt, a model call's message, tool cards (their body
 * built on first open), subagents, compactions, event marks and the end marker. Every block that shows a span
 * selects it on click; cards remember whether the reader opened them across re-renders.
 */
export class ChatBlocks implements BlockRenderers {
  private readonly open = new Map<string, boolean>();
  /** Set by "Expand all" / "Collapse all": every card's state until the reader toggles one. */
  private allOpen: boolean | undefined;

  constructor(
    private readonly page: SessionHost,
    private readonly view: TabView,
    private readonly onSelected: (id: string) => void,
  ) {}

  /** Opens or closes every card (the blocks are then built again). */
  setAllOpen(open: boolean): void {
    this.allOpen = open;
    this.open.clear();
  }

  private selectable(el: HTMLElement, node: SpanNode): HTMLElement {
    el.dataset.span = node.id;
    el.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('a, button')) return;
      e.stopPropagation();
      this.page.select(node.id, this.view);
      this.onSelected(node.id);
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

    turnHeader(turn: SpanNode): HTMLElement {
    const m = this.page.model;
    const st = subtreeStats(turn, this.page.info.prices);
    const sp = turn.span;
    return this.selectable(
      h(
        'div',
        { class: `turn-sep${sp.status === 'error' ? ' error' : ''}` },
        h('span', { class: 'turn-name' }, spanTitle(sp, m.header)),
        h('span', null, fmtClock(sp.startTime)),
        sp.endTime !== undefined ? h('span', null, spanDuration(sp)) : h('span', { class: 'running-text' }, 'running'),
        st.tools ? h('span', null, `${fmtInt(st.tools)} tool call${st.tools === 1 ? '' : 's'}`) : null,
        st.tokens ? h('span', null, `${fmtTokens(st.tokens)} tokens`) : null,
        st.priced ? h('span', null, fmtCost(st.usd)) : null,
      ),
      turn,
    );
  }

  prompt(turn: SpanNode): HTMLElement {
    return this.selectable(
      h(
        'div',
        { class: 'msg user' },
        h('div', { class: 'msg-head' }, h('span', { class: 'avatar user' }, icon('user')), h('span', { class: 'who' }, 'You'), h('span', { class: 'dim' }, fmtClock(turn.span.startTime))),
        h('div', { class: 'msg-body' }, foldedMarkdown(String(turn.span.input)), promptImages(turn.span.attributes)),
      ),
      turn,
    );
  }

  finalMessage(turn: SpanNode): HTMLElement {
    const body = h('div', { class: 'msg-body' });
    renderMarkdown(body, String(turn.span.output));
    return h('div', { class: 'msg assistant' }, h('div', { class: 'msg-head' }, kindIcon('generation'), h('span', { class: 'who' }, 'Assistant')), body);
  }

  /** A span inside the conversation (at any depth). */
  block(n: SpanNode): HTMLElement {
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
    foot.push(running ? h('span', { dataset: { runningSince: String(sp.startTime) } }, fmtDuration(Date.now() - sp.startTime)) : h('span', { title: 'duration' }, spanDuration(sp)));
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
      running ? h('span', { class: 'chip run' }, h('span', { class: 'spinner' }), h('span', { dataset: { runningSince: String(sp.startTime) } }, fmtDuration(Date.now() - sp.startTime))) : h('span', { class: 'dur' }, spanDuration(sp)),
    ];
    const card = this.details(`tool:${n.id}`, subagents.length > 0, `tool-card${error ? ' error' : ''}${interrupted ? ' interrupted' : ''}`, summary, () => {
      const parts: Child[] = [section('Input', toolInputView(name, sp.input, cwd))];
      for (const s of subagents) parts.push(this.subagent(s));
      for (const c of n.children) if (c.span.kind !== 'subagent') parts.push(this.block(c));
      if (sp.output !== undefined || running) {
        parts.push(section(error ? 'Error' : 'Output', running && sp.output === undefined ? h('div', { class: 'dim' }, 'running…') : contentView(sp.output, { cls: error ? 'error-output' : '' })));
      }
      if (error && sp.statusMessage && sp.statusMessage !== sp.output) parts.push(h('div', { class: 'error-box' }, oneLine(sp.statusMessage, 400)));
      if (events.length) parts.push(section('Events', events.map((e) => this.eventMarker(e, n))));
      return h('div', { class: 'card-body' }, parts);
    });
    if (error) {
      const msg = typeof sp.output === 'string' ? sp.output : sp.statusMessage;
      if (msg) card.querySelector('summary')?.appendChild(h('div', { class: 'error-line' }, oneLine(msg, 200)));
    }
    // the link sits beside the card's <summary>, not inside it (no button nested in a button)
    return this.selectable(h('div', { class: 'card-wrap' }, card, h('div', { class: 'card-actions' }, this.toWaterfall(n))), n);
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
      sp.endTime === undefined ? h('span', { class: 'chip run' }, h('span', { class: 'spinner' }), 'running') : h('span', { class: 'dur' }, spanDuration(sp)),
    ];
    const el = this.details(`sub:${n.id}`, true, `subagent${sp.status === 'error' ? ' error' : ''}`, head, () => {
      const parts: Child[] = [];
      if (typeof sp.input === 'string') parts.push(h('div', { class: 'msg user sub-prompt' }, h('div', { class: 'msg-head' }, h('span', { class: 'who' }, 'Task prompt')), h('div', { class: 'msg-body' }, valueView(sp.input, { cls: 'prompt-text' }))));
      let spoke = false;
      for (const item of items(n)) {
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
    return this.selectable(h('div', { class: 'card-wrap' }, el, h('div', { class: 'card-actions' }, this.toWaterfall(n))), n);
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
    for (const item of items(n)) parts.push('node' in item ? this.block(item.node) : this.eventMarker(item.event, item.owner));
    return this.selectable(h('div', { class: 'nested' }, h('div', { class: 'dim small' }, spanTitle(n.span, this.page.model.header)), parts), n);
  }

  private otherSpan(n: SpanNode): HTMLElement {
    const sp = n.span;
    return this.selectable(
      this.details(`other:${n.id}`, false, `tool-card${sp.status === 'error' ? ' error' : ''}`, [kindIcon(sp.kind), h('span', { class: 'tool-name' }, sp.name), h('span', { class: 'spacer' }), sp.endTime !== undefined ? h('span', { class: 'dur' }, spanDuration(sp)) : null], () =>
        h('div', { class: 'card-body' }, sp.input !== undefined ? section('Input', valueView(sp.input)) : null, sp.output !== undefined ? section('Output', valueView(sp.output)) : null, n.children.map((c) => this.block(c))),
      ),
      n,
    );
  }

  eventMarker(e: SpanEventRecord, owner: SpanNode): HTMLElement {
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

  endMarker(): HTMLElement {
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
    const isOpen = this.open.get(key) ?? this.allOpen ?? defaultOpen;
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

/** A finished span's duration, or says it is unknown when the source recorded no timing (never a measured-looking 0 ms). */
function spanDuration(sp: SpanNode['span']): string {
  return durationKnown(sp) ? fmtDuration(sp.endTime! - sp.startTime) : 'duration unknown';
}
