/**
 * The waterfall's time axis with idle gaps compressed: an agent session of 17 hours may hold 40 minutes of
 * work. Stretches where no span is active (apart from the session itself) that last longer than a threshold
 * are drawn as narrow gaps ("⋯ 4 h later ⋯"); active stretches keep their real scale. Positions are in
 * "axis milliseconds": real milliseconds inside active stretches.
 */
export interface Gap {
  /** Real offsets from the session start. */
  from: number;
  to: number;
  /** Where the gap starts on the axis, and its width there. */
  at: number;
  width: number;
}

export class Timeline {
  readonly gaps: Gap[];
  /** The axis length. */
  readonly total: number;

  private constructor(gaps: Gap[], total: number, readonly realTotal: number) {
    this.gaps = gaps;
    this.total = total;
  }

  static identity(realTotal: number): Timeline {
    return new Timeline([], realTotal, realTotal);
  }

  /**
   * Compresses the gaps between the busy intervals (real offsets) longer than `minGap` and than 4 % of the
   * whole; each gap keeps a width of 2 % of the compressed length (at least a sliver of real time).
   */
  static compress(busy: Array<[number, number]>, realTotal: number, minGap = 5 * 60_000): Timeline {
    if (!busy.length) return Timeline.identity(realTotal);
    busy.sort((a, b) => a[0] - b[0]);
    const idle: Array<[number, number]> = [];
    let end = 0;
    for (const [s, e] of busy) {
      if (s > end) idle.push([end, s]);
      end = Math.max(end, e);
    }
    if (realTotal > end) idle.push([end, realTotal]);
    const threshold = Math.max(minGap, realTotal * 0.04);
    const long = idle.filter(([s, e]) => e - s >= threshold);
    if (!long.length) return Timeline.identity(realTotal);
    const removed = long.reduce((sum, [s, e]) => sum + (e - s), 0);
    const active = Math.max(1, realTotal - removed);
    // every gap the same narrow width; all of them together at most a fifth of the active time
    const width = Math.max(1, Math.min(active * 0.03, (active * 0.2) / long.length));
    const gaps: Gap[] = [];
    let shift = 0;
    for (const [s, e] of long) {
      gaps.push({ from: s, to: e, at: s - shift, width });
      shift += e - s - width;
    }
    return new Timeline(gaps, realTotal - shift, realTotal);
  }

  get compressed(): boolean {
    return this.gaps.length > 0;
  }

  /** Real offset → axis position. */
  toAxis(real: number): number {
    let shift = 0;
    for (const g of this.gaps) {
      if (real < g.from) break;
      if (real < g.to) return g.at + ((real - g.from) / (g.to - g.from)) * g.width;
      shift += g.to - g.from - g.width;
    }
    return real - shift;
  }

  /** Axis position → real offset (the inverse of toAxis). */
  toReal(axis: number): number {
    let shift = 0;
    for (const g of this.gaps) {
      if (axis < g.at) break;
      if (axis < g.at + g.width) return g.from + ((axis - g.at) / g.width) * (g.to - g.from);
      shift += g.to - g.from - g.width;
    }
    return axis + shift;
  }

  /** The active stretches as [real from, real to] (between the gaps). */
  stretches(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let from = 0;
    for (const g of this.gaps) {
      if (g.from > from) out.push([from, g.from]);
      from = g.to;
    }
    if (this.realTotal > from) out.push([from, this.realTotal]);
    return out;
  }
}

/** "4 h", "35 min", "2 days": how long a gap lasted, in words short enough for the axis. */
export function gapLabel(ms: number): string {
  const min = ms / 60_000;
  if (min < 90) return `${Math.round(min)} min`;
  const hours = min / 60;
  if (hours < 36) return `${Number(hours.toFixed(hours < 10 ? 1 : 0))} h`;
  return `${Math.round(hours / 24)} days`;
}
