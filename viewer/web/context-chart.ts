import { h } from './dom.js';
import { fmtTokens } from './format.js';
import { usageOf, type SessionModel } from './model.js';
import { sessionHref } from './shared.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * The context size of every model call over the session (input + cache read + cache write tokens), one bar per
 * call in time order, compactions marked as vertical lines: where the context grew and where it was cut.
 */
export function contextChart(model: SessionModel): HTMLElement | undefined {
  const calls: Array<{ id: string; tokens: number }> = [];
  const compactions: number[] = [];
  for (const n of model.ordered) {
    if (n.span.kind === 'compaction') compactions.push(calls.length);
    const u = usageOf(n.span);
    if (u) calls.push({ id: n.id, tokens: u.input + u.cacheRead + u.cacheWrite });
  }
  if (calls.length < 2) return undefined;
  const W = 600;
  const H = 90;
  const max = Math.max(1, ...calls.map((c) => c.tokens));
  const bw = W / calls.length;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: 'context-chart', role: 'img', 'aria-label': `Context size of ${calls.length} model calls, up to ${fmtTokens(max)} tokens, ${compactions.length} compaction${compactions.length === 1 ? '' : 's'}` });
  calls.forEach((c, i) => {
    const bh = Math.max(1, (c.tokens / max) * (H - 4));
    const bar = svg('rect', { x: i * bw, y: H - bh, width: Math.max(0.5, bw * 0.85), height: bh, class: 'ctx-bar' });
    const title = svg('title', {});
    title.textContent = `call ${i + 1}: ${fmtTokens(c.tokens)} tokens`;
    bar.appendChild(title);
    chart.appendChild(bar);
  });
  for (const at of compactions) {
    const line = svg('line', { x1: at * bw, x2: at * bw, y1: 0, y2: H, class: 'ctx-compaction' });
    const title = svg('title', {});
    title.textContent = 'compaction';
    line.appendChild(title);
    chart.appendChild(line);
  }
  const last = calls[calls.length - 1]!;
  return h(
    'div',
    { class: 'context-chart-wrap' },
    chart,
    h(
      'div',
      { class: 'dim small chart-legend' },
      `${calls.length} model calls · peak ${fmtTokens(max)} tokens · last `,
      h('a', { href: sessionHref(model.id, 'waterfall', last.id) }, `${fmtTokens(last.tokens)}`),
      compactions.length ? h('span', null, h('span', { class: 'legend-line' }), ` ${compactions.length} compaction${compactions.length === 1 ? '' : 's'}`) : null,
    ),
  );
}
