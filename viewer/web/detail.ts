import { h, icon, kindIcon, type Child } from './dom.js';
import { fmtClock, fmtCost, fmtDuration, fmtInt, fmtOffset, fmtTokens, shortModel } from './format.js';
import { renderMarkdown } from './markdown.js';
import { durationKnown, generationOutput, isInterrupted, modelOf, toolName, usageOf, type SpanNode } from './model.js';
import { section, toolInputView, toolOutputText, valueView } from './content.js';
import type { SessionPage } from './session-page.js';
import { sessionHref } from './shared.js';
import { spanCost, spanSubtitle, spanTitle } from './spans.js';

/** The detail panel of a span: facts, input, output, events and every attribute. */
export function spanDetail(page: SessionPage, node: SpanNode, actions: { zoom: () => void; close: () => void }): HTMLElement {
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
  if (sp.status === 'error' && sp.statusMessage) sections.push(h('div', { class: 'error-box' }, sp.statusMessage));
  switch (sp.kind) {
    case 'session':
    case 'turn':
      if (sp.input !== undefined) sections.push(section(sp.kind === 'turn' ? 'Prompt' : 'First prompt', valueView(sp.input, { cls: 'prompt-text' })));
      if (typeof sp.output === 'string') sections.push(section('Final message', markdownBlock(sp.output)));
      else if (sp.output !== undefined) sections.push(section('Output', valueView(sp.output)));
      break;
    case 'generation': {
      const out = generationOutput(sp);
      if (sp.input !== undefined) sections.push(section('Input', valueView(sp.input)));
      if (out.thinking) sections.push(h('details', { class: 'thinking' }, h('summary', null, 'Thinking'), valueView(out.thinking, { cls: 'thinking-text' })));
      if (out.text) sections.push(section('Text', markdownBlock(out.text)));
      if (out.toolCalls?.length) {
        sections.push(
          section(
            'Tool calls',
            h(
              'ul',
              { class: 'plain-list' },
              out.toolCalls.map((c) => {
                const target = findToolCall(page, c.id);
                return h('li', null, target ? h('a', { href: sessionHref(m.id, 'waterfall', target.id) }, c.name) : c.name, h('code', { class: 'dim' }, ` ${c.id}`));
              }),
            ),
          ),
        );
      }
      if (!out.text && !out.thinking && !out.toolCalls && sp.output !== undefined) sections.push(section('Output', valueView(sp.output)));
      break;
    }
    case 'tool':
      sections.push(section('Input', toolInputView(toolName(sp), sp.input, hd.cwd)));
      if (sp.output !== undefined) sections.push(section(sp.status === 'error' ? 'Error output' : 'Output', valueView(toolOutputText(sp.output), { cls: sp.status === 'error' ? 'error-output' : '' })));
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
  const events = sp.events ?? [];
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

function markdownBlock(text: string): HTMLElement {
  const div = h('div', { class: 'msg-text' });
  renderMarkdown(div, text);
  return div;
}

function findToolCall(page: SessionPage, callId: string): SpanNode | undefined {
  for (const n of page.model.ordered) if (n.span.kind === 'tool' && n.span.attributes['gen_ai.tool.call.id'] === callId) return n;
  return undefined;
}

export function emptyDetail(page: SessionPage): HTMLElement {
  const hd = page.model.header;
  return h(
    'div',
    { class: 'detail-inner detail-empty' },
    h('p', null, 'Select a span to see its input, output, events and attributes.'),
    h(
      'table',
      { class: 'kv-table shortcuts' },
      h(
        'tbody',
        null,
        [
          ['↑ ↓', 'previous / next span'],
          ['← →', 'collapse / expand, parent / child'],
          ['Enter', 'toggle children'],
          ['/', 'search; Enter for the next match'],
          ['n  N', 'next / previous match'],
          ['z  0', 'zoom to span / reset zoom'],
          ['+  −', 'zoom in / out'],
          ['c', 'show the span in the chat'],
          ['Esc', 'clear the selection'],
        ].map(([k, v]) => h('tr', null, h('td', null, h('kbd', null, k!)), h('td', null, v!))),
      ),
    ),
    h('p', { class: 'dim small' }, `${fmtInt(page.model.nodes.size)} spans · ${fmtTokens(hd.summary.tokens.input + hd.summary.tokens.output + hd.summary.tokens.cacheRead + hd.summary.tokens.cacheWrite)} tokens`),
  );
}
