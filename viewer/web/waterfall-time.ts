import type { SessionModel } from './model.js';
import { Timeline } from './timeline.js';

export const MIN_SPAN_MS = 1;

/** A stretch of the axis, in axis milliseconds. */
export interface TimeWindow {
  from: number;
  to: number;
}

/**
 * The waterfall's horizontal scale: the session's range on the time axis (idle gaps compressed or not, see
 * timeline.ts) and the zoom window shown of it. No DOM: the axis, the rows and the minimap all draw from it.
 */
export class TimeScale {
  /** The session's start (real milliseconds): axis position 0. */
  t0 = 0;
  /** The axis length. */
  total = 1;
  timeline = Timeline.identity(1);
  /** The zoomed part of the axis; undefined shows all of it. */
  window: TimeWindow | undefined;

  /** Measures the session's range again (it grows while the session runs). */
  measure(m: SessionModel, compressIdle: boolean): void {
    const now = m.now();
    let t0 = m.header.startTime || Number.POSITIVE_INFINITY;
    for (const n of m.roots) t0 = Math.min(t0, n.span.startTime);
    if (!Number.isFinite(t0)) t0 = now;
    let end = now;
    if (!m.running) for (const n of m.ordered) end = Math.max(end, n.span.endTime ?? n.span.startTime);
    this.t0 = t0;
    const realTotal = Math.max(MIN_SPAN_MS, end - t0);
    if (compressIdle) {
      const busy: Array<[number, number]> = [];
      for (const n of m.ordered) if (n.span.kind !== 'session') busy.push([n.span.startTime - t0, (n.span.endTime ?? now) - t0]);
      this.timeline = Timeline.compress(busy, realTotal);
    } else this.timeline = Timeline.identity(realTotal);
    this.total = Math.max(MIN_SPAN_MS, this.timeline.total);
  }

  /** Real milliseconds since the session start → a position on the (possibly compressed) axis. */
  ax(time: number): number {
    return this.timeline.toAxis(time - this.t0);
  }

  /** What is shown: the zoom window, or the whole axis. */
  view(): TimeWindow {
    if (!this.window) return { from: 0, to: this.total };
    return this.window;
  }

  /** An axis position → percent of the lane's width. */
  pct(ms: number): number {
    const v = this.view();
    return ((ms - v.from) / Math.max(MIN_SPAN_MS, v.to - v.from)) * 100;
  }

  /** Sets the zoom window, clamped to the axis; one that is empty or covers the whole axis is no zoom. */
  setWindow(w: TimeWindow | undefined): void {
    if (w) {
      const from = Math.max(0, Math.min(w.from, w.to));
      const to = Math.min(this.total, Math.max(w.from, w.to));
      this.window = to - from < MIN_SPAN_MS || (from <= 0 && to >= this.total) ? undefined : { from, to: Math.max(to, from + MIN_SPAN_MS) };
    } else this.window = undefined;
  }

  /** The view scaled by `factor` around `at` (its middle by default), kept inside the axis. */
  zoomedBy(factor: number, at?: number): TimeWindow {
    const v = this.view();
    const center = at ?? (v.from + v.to) / 2;
    const width = Math.max(MIN_SPAN_MS * 10, (v.to - v.from) * factor);
    const ratio = (center - v.from) / Math.max(MIN_SPAN_MS, v.to - v.from);
    let from = center - width * ratio;
    let to = from + width;
    if (from < 0) {
      to -= from;
      from = 0;
    }
    if (to > this.total) {
      from -= to - this.total;
      to = this.total;
    }
    return { from: Math.max(0, from), to };
  }

  /** A window around the real times `start`…`end`, with a margin. */
  around(start: number, end: number): TimeWindow {
    const from = this.ax(start);
    const to = this.ax(end);
    const pad = Math.max(MIN_SPAN_MS * 5, (to - from) * 0.08);
    return { from: from - pad, to: to + pad };
  }

  /** The view moved to start at `from` (its width kept), inside the axis. */
  movedTo(from: number): TimeWindow {
    const v = this.view();
    const width = v.to - v.from;
    const start = Math.max(0, Math.min(this.total - width, from));
    return { from: start, to: start + width };
  }

  /** A zoom window keeps its width and moves to the end of the axis (following a running session). */
  keepEndInView(): void {
    if (this.window) {
      const width = this.window.to - this.window.from;
      this.window = { from: Math.max(0, this.total - width), to: this.total };
    }
  }
}
