import { h, icon, kindIcon, type Child } from './dom.js';
import { fmtClock, fmtCost, fmtDuration, fmtInt, fmtOffset, fmtTokens, shortModel } from './format.js';
import { renderMarkdown } from './markdown.js';
import { durationKnown, generationOutput, isInterrupted, modelOf, toolName, usageOf, type SpanNode } from './model.js';
import { contentView, promptImages, section, toolInputView, valueView } from './content.js';
import { turnWaits, type WaitKind } from './critical-path.js';
import type { SessionHost } from './host.js';
import { sessionHref } from './shared.js';
import { spanCost, spanSubtitle, spanTitle, sideCost } from './spans.js';

/** The detail panel of a span: facts, input, output, events and every attribute. */
export function spanDetail(page: SessionHost, node: SpanNode, actions: { zoom: () => void; close: () => void }): HTMLElement {
  const m = page.model;
  const sp = node.span;
  const hd = m.header;
  const running = sp.endTime === undefined;
  const u = usageOf(sp);
  const cost = spanCost(sp, page.info.prices);
  const model = modelOf(sp);
  const facts: Child[] = [];
  const fact = (label: string, ...value: Child[]) => facts.push(h('dt', null, label), h('dd', null, ...value));
  fact('Kind', sp.kind);
  fact('Status', h('span', { class: `status-text st-${sp.status}` }, sp.status), isInterrupted(sp) ? h('span', { class: 'chip warn' }, icon('bolt'), 'interrupted') : null, running ? h('span', { class: 'chip run' }, 'open') : null);
  fact('Start', `${fmtClock(sp.startTime)} (${fmtOffset(sp.startTime - hd.startTime)})`);
  fact('Duration', running ? `${fmtDuration(m.now() - sp.startTime)} so far` : durationKnown(sp) ? fmtDuration(sp.endTime! - sp.startTime) : h('span', { class: 'dim unknown' }, 'unknown (not recorded by the source)'));
  if (sp.attributes['agent_trace.subagent.unrecorded'] === true) fact('Record', h('span', { class: 'warn-text' }, 'its transcript is missing: its model calls, tools and tokens are not known'));
  if (sp.attributes['agent_trace.tool.orphan_result'] === true) fact('Call', h('span', { class: 'warn-text' }, 'this result has no recorded call: its tool name and input are not known'));
  if (model) fact('Model', shortModel(model));
  if (u) fact('Tokens', `${fmtInt(u.input)} in · ${fmtInt(u.output)} out${sp.attributes['agent_trace.usage.provisional'] === true ? ' (provisional: the count streamed so far; the final one was not recorded)' : ''} · ${fmtInt(u.cacheRead)} cache read · ${fmtInt(u.cacheWrite)} cache write${u.cacheWrite1h ? ` (${fmtInt(u.cacheWrite1h)} for 1 hour)` : ''}${u.reasoning ? ` · ${fmtInt(u.reasoning)} reasoning` : ''}`);
  if (cost !== undefined) {
    const basis = sp.attributes['agent_trace.cost.basis'];
    const pricedAs = sp.attributes['agent_trace.cost.priced_as'];
    fact('Cost', `${fmtCost(cost)} (estimated${basis === 'family' ? `: model not in the price source, priced as ${String(pricedAs)}` : basis === 'override' ? ': price from your config file' : ''})`);
  } else if (u && model) fact('Cost', h('span', { class: 'dim' }, 'unknown: no price for this model'));
  fact('Span id', h('code', { class: 'selectable' }, sp.spanId));
  if (node.parent) fact('Parent', h('a', { href: sessionHref(m.id, 'waterfall', node.parent.id) }, spanTitle(node.parent.span, hd)));
  if (node.children.length) fact('Children', fmtInt(node.children.length));

  const sections: Child[] = [];
  if (sp.status === 'error' && sp.statusMessage) sections.push(h('div', { class: 'error-box', role: 'alert' }, sp.statusMessage));
  switch (sp.kind) {
    case 'session':
    case 'turn':
      if (sp.kind === 'turn') sections.push(criticalPath(page, node));
      if (sp.input !== undefined) sections.push(section(sp.kind === 'turn' ? 'Prompt' : 'First prompt', valueView(sp.input, { cls: 'prompt-text' }), promptImages(sp.attributes)));
      if (typeof sp.output === 'string') sections.push(section('Final message', markdownBlock(sp.output)));
      else if (sp.output !== undefined) sections.push(section('Output', valueView(sp.output)));
      break;
    case 'generation':
      sections.push(...generationSections(page, node));
      break;
    case 'tool':
      sections.push(section('Input', toolInputView(toolName(sp), sp.input, hd.cwd)));
      // a failed call whose output is its error message: the message is already shown above
      if (sp.output !== undefined && !(sp.status === 'error' && typeof sp.output === 'string' && sp.output.trim() === (sp.statusMessage ?? '').trim()))
        sections.push(section(sp.status === 'error' ? 'Error output' : 'Output', contentView(sp.output, { cls: sp.status === 'error' ? 'error-output' : '' })));
      break;
    case 'subagent':
      if (sp.input !== undefined) sections.push(section('Prompt', valueView(sp.input, { cls: 'prompt-text' })));
      if (typeof sp.output === 'string') sections.push(section('Result', markdownBlock(sp.output)));
      else if (sp.output !== undefined) sections.push(section('Result', valueView(sp.output)));
      break;
    default:
      if (sp.input !== undefined) sections.push(section('Input', valueView(sp.input)));
      if (sp.output !== undefined) sections.push(section(sp.kind === 'compaction' ? 'Summary' : 'Output', valueView(sp.output, { cls: 'prompt-text' })));
  }
  // an event that repeats the error shown above is not shown twice
  const events = (sp.events ?? []).filter((e) => !(sp.statusMessage && (e.name === 'api_error' || e.name === 'exception') && String(e.attributes?.message ?? e.attributes?.['exception.message'] ?? '') === sp.statusMessage));
  if (events.length) {
    sections.push(
      section(
        `Events (${events.length})`,
        h(
          'table',
          { class: 'attr-table events-table' },
          h(
            'tbody',
            null,
            events.map((e) =>
              h(
                'tr',
                { class: e.name === 'api_error' || e.name === 'crash' ? 'row-error' : '' },
                h('td', { class: 'mono dim' }, fmtOffset(e.time - hd.startTime)),
                h('td', null, h('div', { class: 'ev-name' }, e.name), e.attributes ? Object.entries(e.attributes).map(([k, v]) => h('div', { class: 'ev-attr' }, h('span', { class: 'dim' }, `${k}: `), typeof v === 'string' ? v : JSON.stringify(v))) : null),
              ),
            ),
          ),
        ),
      ),
    );
  }
  const attrs = Object.entries(sp.attributes).sort(([a], [b]) => a.localeCompare(b));
  sections.push(
    section(
      `Attributes (${attrs.length})`,
      h('table', { class: 'attr-table' }, h('tbody', null, attrs.map(([k, v]) => h('tr', null, h('td', { class: 'mono attr-key' }, k), h('td', { class: 'mono attr-value' }, typeof v === 'string' ? v : JSON.stringify(v)))))),
    ),
  );

  return h(
    'div',
    { class: 'detail-inner' },
    h(
      'div',
      { class: 'detail-head' },
      kindIcon(sp.kind),
      h('div', { class: 'detail-title' }, h('div', { class: 'detail-name' }, spanTitle(sp, hd)), h('div', { class: 'detail-sub' }, spanSubtitle(sp, hd))),
      h('button', { class: 'icon-button ghost', type: 'button', title: 'Close (Esc)', attrs: { 'aria-label': 'Close the detail panel' }, on: { click: actions.close } }, icon('close')),
    ),
    h(
      'div',
      { class: 'detail-actions' },
      h('a', { class: 'button small', href: sessionHref(m.id, 'chat', sp.spanId), title: 'Show in the chat (c)' }, 'Show in chat'),
      h('button', { class: 'button small', type: 'button', title: 'Zoom the time axis to this span (z)', on: { click: actions.zoom } }, 'Zoom to span'),
      h(
        'button',
        {
          class: 'button small',
          type: 'button',
          title: 'Copy the span as JSON',
          on: {
            click: (e) => {
              const b = e.currentTarget as HTMLButtonElement;
              void navigator.clipboard?.writeText(JSON.stringify(sp, null, 2)).then(
                () => (b.textContent = 'Copied'),
                () => (b.textContent = 'Copy failed'),
              );
            },
          },
        },
        'Copy JSON',
      ),
    ),
    h('dl', { class: 'facts' }, facts),
    sections,
  );
}

/**
 * A model call with its context: what it received (the whole input when the trace has it; otherwise what is
 * new since the previous call of the same thread: the turn's prompt, then the tool results that came back in
 * between), what it answered (thinking, text, tool calls with their arguments) and its tokens and cost by kind.
 */
function generationSections(page: SessionHost, node: SpanNode): Child[] {
  const m = page.model;
  const sp = node.span;
  const out = generationOutput(sp);
  const parts: Child[] = [];
  const received = receivedSince(node);
  const items: Child[] = [];
  if (received.prompt !== undefined) items.push(h('li', { class: 'ctx-item prompt' }, h('div', { class: 'ctx-role' }, 'User prompt'), markdownBlock(received.prompt, 'prompt-text')));
  for (const t of received.tools) {
    items.push(
      h(
        'li',
        { class: `ctx-item${t.span.status === 'error' ? ' error' : ''}` },
        h('div', { class: 'ctx-role' }, 'Tool result · ', h('a', { href: sessionHref(m.id, 'waterfall', t.id) }, toolName(t.span)), t.span.status === 'error' ? h('span', { class: 'chip err' }, 'failed') : null),
        contentView(t.span.output ?? t.span.statusMessage ?? '(no output)', { cls: 'compact' }),
      ),
    );
  }
  if (items.length) parts.push(section(received.prompt !== undefined && !received.tools.length ? 'Received: the prompt' : 'Received since the previous call', h('ol', { class: 'ctx-list' }, items)));
  if (sp.input !== undefined) parts.push(h('details', { class: 'full-input' }, h('summary', null, 'Full input of this call'), contentView(sp.input)));
  if (out.thinking?.trim()) parts.push(h('details', { class: 'thinking' }, h('summary', null, `Thinking · ${fmtInt(out.thinking.trim().split(/\s+/).length)} words`), valueView(out.thinking, { cls: 'thinking-text' })));
  if (out.text?.trim()) parts.push(section('Answer', markdownBlock(out.text)));
  if (out.toolCalls?.length) {
    parts.push(
      section(
        `Tool calls (${out.toolCalls.length})`,
        h(
          'ul',
          { class: 'plain-list tool-calls' },
          out.toolCalls.map((c) => {
            const target = findToolCall(page, c.id);
            return h(
              'li',
              null,
              h('div', null, target ? h('a', { href: sessionHref(m.id, 'waterfall', target.id) }, c.name) : c.name, h('code', { class: 'dim' }, ` ${c.id}`)),
              target?.span.input !== undefined ? toolInputView(c.name, target.span.input, m.header.cwd) : null,
            );
          }),
        ),
      ),
    );
  }
  if (!out.text?.trim() && !out.thinking?.trim() && !out.toolCalls?.length && sp.output !== undefined && typeof sp.output !== 'object') parts.push(section('Output', valueView(sp.output)));
  const u = usageOf(sp);
  if (u) {
    // Costs as the trace computed them: the input side (uncached, cache reads, 5-minute and 1-hour writes at
    // their rates) on the first input row, the output on its row.
    const kinds: Array<[string, number, number | undefined]> = [
      ['Input', u.input, undefined],
      ['Cache read', u.cacheRead, undefined],
      ['Cache write', u.cacheWrite, undefined],
      ...(u.cacheWrite1h ? ([['of which 1 hour', u.cacheWrite1h, undefined]] as Array<[string, number, number | undefined]>) : []),
      ['Output', u.output, sideCost(sp, 'output')],
    ];
    const inputCost = sideCost(sp, 'input');
    const rows = kinds.filter(([, n]) => n > 0).map(([label, n, c], i) => {
      const cost = i === 0 ? inputCost : c;
      return h('tr', null, h('td', null, label), h('td', { class: 'num' }, fmtInt(n)), h('td', { class: 'num', title: i === 0 ? 'all input tokens, cached or not, at their rates' : '' }, cost === undefined ? '' : `${fmtCost(cost)}${i === 0 ? ' (all input)' : ''}`));
    });
    const total = sideCost(sp, 'total');
    parts.push(
      section(
        'Tokens and cost',
        h(
          'table',
          { class: 'data-table tokens-table' },
          h('thead', null, h('tr', null, h('th', null, 'Kind'), h('th', { class: 'num' }, 'Tokens'), h('th', { class: 'num' }, 'Cost'))),
          h('tbody', null, rows, h('tr', { class: 'total' }, h('td', null, 'Total'), h('td', { class: 'num' }, fmtInt(u.input + u.cacheRead + u.cacheWrite + u.output)), h('td', { class: 'num' }, total === undefined ? '–' : fmtCost(total)))),
        ),
        u.reasoning ? h('p', { class: 'dim small' }, `${fmtInt(u.reasoning)} of the output tokens were reasoning.`) : null,
        h('p', { class: 'dim small' }, `Context of this call: ${fmtTokens(u.input + u.cacheRead + u.cacheWrite)} tokens.`),
      ),
    );
  }
  return parts;
}

const WAIT_LABEL: Record<WaitKind, string> = { model: 'Model', tool: 'Tools', permission: 'Permission prompts', other: 'Other (hooks, the agent, the person)' };

/** What the turn waited on (model, tools, permission prompts) and the spans that held it longest. */
function criticalPath(page: SessionHost, node: SpanNode): HTMLElement {
  const w = turnWaits(node, page.model.now());
  const kinds = (['model', 'tool', 'permission', 'other'] as WaitKind[]).filter((k) => w.by[k] > 0);
  const bar = h(
    'div',
    { class: 'token-bar critical-path', role: 'img', attrs: { 'aria-label': kinds.map((k) => `${WAIT_LABEL[k]} ${fmtDuration(w.by[k])}`).join(', ') } },
    kinds.map((k) => {
      const seg = h('span', { class: `seg cp-${k}`, title: `${WAIT_LABEL[k]}: ${fmtDuration(w.by[k])}` });
      seg.style.width = `${(100 * w.by[k]) / Math.max(1, w.total)}%`;
      return seg;
    }),
  );
  return section(
    'What this turn waited on',
    h('div', { class: 'critical-path' }, bar),
    h('table', { class: 'kv-table' }, h('tbody', null, kinds.map((k) => h('tr', null, h('td', null, h('span', { class: `swatch seg cp-${k}` }), WAIT_LABEL[k]), h('td', { class: 'num' }, fmtDuration(w.by[k])), h('td', { class: 'num dim' }, `${Math.round((100 * w.by[k]) / Math.max(1, w.total))} %`))))),
    w.longest.length
      ? h(
          'ol',
          { class: 'plain-list critical-list' },
          w.longest.map((x) => h('li', null, h('a', { href: sessionHref(page.model.id, 'waterfall', x.node.id) }, spanTitle(x.node.span, page.model.header)), h('span', { class: 'dim' }, ` ${spanSubtitle(x.node.span, page.model.header).slice(0, 60)} · `), fmtDuration(x.ms))),
        )
      : null,
  );
}

/** What a model call saw that the previous call of its thread had not: the prompt (first call) or tool results. */
export function receivedSince(node: SpanNode): { prompt: string | undefined; tools: SpanNode[] } {
  const parent = node.parent;
  if (!parent) return { prompt: undefined, tools: [] };
  const siblings = parent.children;
  const at = siblings.indexOf(node);
  let prev: SpanNode | undefined;
  for (let i = at - 1; i >= 0; i--) if (siblings[i]!.span.kind === 'generation') {
    prev = siblings[i];
    break;
  }
  const from = prev ? prev.span.startTime : Number.NEGATIVE_INFINITY;
  const tools = siblings.filter((s) => s.span.kind === 'tool' && s.span.endTime !== undefined && s.span.endTime <= node.span.startTime && s.span.endTime >= from);
  const prompt = !prev && (parent.span.kind === 'turn' || parent.span.kind === 'subagent') && typeof parent.span.input === 'string' ? parent.span.input : undefined;
  return { prompt, tools };
}

function markdownBlock(text: string, cls = ''): HTMLElement {
  const div = h('div', { class: `msg-text ${cls}` });
  renderMarkdown(div, text);
  return div;
}

function findToolCall(page: SessionHost, callId: string): SpanNode | undefined {
  for (const n of page.model.ordered) if (n.span.kind === 'tool' && n.span.attributes['gen_ai.tool.call.id'] === callId) return n;
  return undefined;
}
