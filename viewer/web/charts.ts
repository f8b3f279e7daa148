import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartEvent } from 'chart.js';
import { h } from './dom.js';

// Chart.js, bundled by esbuild with only the parts a stacked bar chart needs; it draws on a canvas and loads
// nothing from the network, so the viewer's CSP (default-src 'self') still holds.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** Distinct, colour-blind-friendlier series colours (Okabe–Ito, then neutrals). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#999999'];

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

export interface StackedBars {
  labels: string[];
  series: Array<{ name: string; values: number[] }>;
  /** The chart's accessible name, e.g. "Cost per day, stacked by model". */
  title: string;
  format: (value: number) => string;
  /** A bar was clicked: its label index and series name. */
  onSelect?: (index: number, series: string) => void;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * A stacked bar chart in a figure. The canvas is an image with a label that states what it shows; the same
 * numbers are in a table below it (collapsed), which is also the keyboard path to the bars' links.
 */
export function stackedBarChart(spec: StackedBars, table: HTMLElement): { el: HTMLElement; destroy(): void } {
  const canvas = h('canvas', { role: 'img', attrs: { 'aria-label': describe(spec) } });
  const holder = h('div', { class: 'chart-canvas' }, canvas);
  const el = h('figure', { class: 'chart' }, holder, h('details', { class: 'chart-table' }, h('summary', null, 'Show the numbers as a table'), table));
  const text = cssVar('--text-2', '#4a5466');
  const grid = cssVar('--border', '#e3e6eb');
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s, i) => ({ label: s.name, data: s.values, backgroundColor: seriesColor(i), borderWidth: 0, maxBarThickness: 48 })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'nearest', intersect: true },
      scales: {
        x: { stacked: true, ticks: { color: text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
        y: { stacked: true, ticks: { color: text, callback: (v) => spec.format(Number(v)) }, grid: { color: grid } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { color: text, boxWidth: 12, boxHeight: 12 } },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${spec.format(Number(c.raw))}` } },
      },
      onClick: (_e: ChartEvent, elements) => {
        const hit = elements[0];
        if (hit && spec.onSelect) spec.onSelect(hit.index, spec.series[hit.datasetIndex]!.name);
      },
      onHover: (e: ChartEvent, elements) => {
        const target = e.native?.target as HTMLElement | undefined;
        if (target) target.style.cursor = elements.length && spec.onSelect ? 'pointer' : 'default';
      },
    },
  });
  // follow the viewer's theme (the toggle sets data-theme on <html>; "system" follows the media query)
  const recolor = () => {
    const t = cssVar('--text-2', '#4a5466');
    const g = cssVar('--border', '#e3e6eb');
    const scales = chart.options.scales as Record<string, { ticks?: { color?: string }; grid?: { color?: string } }>;
    for (const axis of Object.values(scales)) if (axis.ticks) axis.ticks.color = t;
    if (scales.y?.grid) scales.y.grid.color = g;
    const legend = chart.options.plugins?.legend?.labels;
    if (legend) legend.color = t;
    chart.update('none');
  };
  const observer = new MutationObserver(recolor);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  const media = matchMedia('(prefers-color-scheme: dark)');
  media.addEventListener('change', recolor);
  return {
    el,
    destroy: () => {
      observer.disconnect();
      media.removeEventListener('change', recolor);
      chart.destroy();
    },
  };
}

function describe(spec: StackedBars): string {
  const total = spec.series.reduce((a, s) => a + s.values.reduce((x, y) => x + y, 0), 0);
  const names = spec.series.map((s) => s.name).slice(0, 5).join(', ');
  return `${spec.title}: ${spec.format(total)} in total over ${spec.labels.length} periods${names ? `; series: ${names}${spec.series.length > 5 ? ' and more' : ''}` : ''}. The numbers are in the table below.`;
}
