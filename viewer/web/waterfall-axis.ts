import { h, replaceChildren } from './dom.js';
import { fmtShort } from './format.js';
import { gapLabel } from './timeline.js';
import { MIN_SPAN_MS, type TimeScale } from './waterfall-time.js';

/** Tick spacings (milliseconds), the first that leaves ~90 px between ticks is used. */
const TICK_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 144e5, 288e5, 864e5];

/**
 * Draws the time axis over the lanes (`axis`: ticks at round real times, compressed idle gaps labelled with
 * their length) and the vertical lines and gap bands under the rows (`grid`), for the part of the axis in view.
 */
export function drawAxis(axis: HTMLElement, grid: HTMLElement, time: TimeScale, laneWidth: number): void {
  const v = time.view();
  const span = Math.max(MIN_SPAN_MS, v.to - v.from);
  const target = Math.max(2, Math.floor(laneWidth / 90));
  const step = TICK_STEPS.find((s) => span / s <= target) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  const ticks: HTMLElement[] = [];
  const lines: HTMLElement[] = [];
  const minGapPx = 60;
  let lastPx = Number.NEGATIVE_INFINITY;
  const px = (axisMs: number) => (time.pct(axisMs) / 100) * laneWidth;
  // gap labels first: ticks keep clear of them
  const gapPx = time.timeline.gaps.filter((g) => g.at + g.width >= v.from && g.at <= v.to).map((g) => [px(g.at), px(g.at + g.width)] as const);
  const centers = gapPx.map(([a, b]) => (a + b) / 2);
  // a gap's words fit when its neighbours leave room for them; else a bare ⋯ (the words in its tooltip)
  const roomy = centers.map((c, i) => Math.min(i ? c - centers[i - 1]! : Infinity, i < centers.length - 1 ? centers[i + 1]! - c : Infinity) > 120);
  const nearGap = (x: number) => gapPx.some(([a, b], i) => x > a - (roomy[i] ? 70 : 20) && x < b + (roomy[i] ? 70 : 20));
  let gapIndex = 0;
  // ticks at round real times inside each active stretch (between the compressed gaps)
  for (const [a, b] of time.timeline.stretches()) {
    if (time.timeline.toAxis(b) < v.from || time.timeline.toAxis(a) > v.to) continue;
    for (let t = Math.ceil(a / step) * step; t <= b; t += step) {
      const at = time.timeline.toAxis(t);
      if (at < v.from || at > v.to) continue;
      const x = px(at);
      if (x - lastPx < minGapPx || nearGap(x)) continue;
      lastPx = x;
      const left = `${time.pct(at)}%`;
      const tick = h('span', { class: 'tick' }, fmtShort(t));
      tick.style.left = left;
      ticks.push(tick);
      const line = h('span', { class: 'grid-line' });
      line.style.left = left;
      lines.push(line);
    }
  }
  for (const g of time.timeline.gaps) {
    if (g.at + g.width < v.from || g.at > v.to) continue;
    const left = time.pct(Math.max(v.from, g.at));
    const right = time.pct(Math.min(v.to, g.at + g.width));
    const band = h('span', { class: 'wf-gap', title: `idle for ${gapLabel(g.to - g.from)}` });
    band.style.left = `${left}%`;
    band.style.width = `${Math.max(0.2, right - left)}%`;
    lines.push(band);
    const wide = roomy[gapIndex++] ?? false;
    const label = h('span', { class: 'wf-gap-label', title: `${gapLabel(g.to - g.from)} later` }, wide ? `⋯ ${gapLabel(g.to - g.from)} later ⋯` : '⋯');
    label.style.left = `${(left + right) / 2}%`;
    ticks.push(label);
  }
  replaceChildren(axis, ticks);
  replaceChildren(grid, lines);
}
