import { h } from './dom.js';
import type { SpanNode } from './model.js';
import type { TimeScale, TimeWindow } from './waterfall-time.js';

const KIND_COLOR: Record<string, string> = {
  session: '#94a3b8',
  turn: '#6366f1',
  generation: '#8b5cf6',
  tool: '#0ea5e9',
  subagent: '#f59e0b',
  compaction: '#14b8a6',
};

/** What the minimap reads from its waterfall and asks of it. */
export interface MinimapHost {
  /** Every span, in document order (one thin bar each). */
  nodes(): readonly SpanNode[];
  now(): number;
  visible(): boolean;
  setWindow(w: TimeWindow | undefined): void;
}

/**
 * The minimap over the time axis: every span of the session drawn on a canvas, the zoom window as a box.
 * Dragging selects a time range to zoom to, a click moves the window there, a double click resets it.
 */
export class Minimap {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly windowBox: HTMLElement;
  private readonly brush: HTMLElement;
  private dirty = true;
  private lastDrawn = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly time: TimeScale,
    private readonly host: MinimapHost,
  ) {
    this.canvas = h('canvas', { class: 'wf-minimap-canvas' });
    this.windowBox = h('div', { class: 'wf-window' });
    this.brush = h('div', { class: 'wf-brush', hidden: true });
    this.el = h('div', { class: 'wf-minimap', title: 'Drag to zoom to a time range; click to move the window; double-click to reset' }, this.canvas, this.windowBox, this.brush);
    this.listen();
  }

  /** The spans or the axis changed: draw again at the next paint. */
  invalidate(): void {
    this.dirty = true;
  }

  /** Draws again when the last drawing is older than `ms` (a running session's open spans grow). */
  invalidateIfOlder(ms: number): void {
    if (Date.now() - this.lastDrawn > ms) this.dirty = true;
  }

  /**
   * The minimap is drawn after the rows are on screen (it is the one part whose cost grows with the spans):
   * right after the next paint once rows were painted (`painted`), a little later before that.
   */
  schedule(painted: boolean): void {
    if (!this.dirty || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.host.visible() && this.dirty) this.draw();
    }, painted ? 0 : 50);
  }

  /** Shows the zoom window as a box over the minimap. */
  drawWindow(): void {
    const box = this.windowBox;
    const w = this.time.window;
    if (!w) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.style.left = `${(w.from / this.time.total) * 100}%`;
    box.style.width = `${((w.to - w.from) / this.time.total) * 100}%`;
  }

  private draw(): void {
    this.dirty = false;
    this.lastDrawn = Date.now();
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(canvas.clientWidth * dpr));
    const hgt = Math.max(1, Math.floor(canvas.clientHeight * dpr));
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== hgt) canvas.height = hgt;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, w, hgt);
    const nodes = this.host.nodes();
    const n = Math.max(1, nodes.length);
    const rowH = Math.max(1, hgt / n);
    const now = this.host.now();
    const time = this.time;
    for (let i = 0; i < nodes.length; i++) {
      const sp = nodes[i]!.span;
      if (sp.kind === 'session') continue;
      const x0 = (time.ax(sp.startTime) / time.total) * w;
      const x1 = (time.ax(sp.endTime ?? now) / time.total) * w;
      ctx.fillStyle = sp.status === 'error' ? '#ef4444' : (KIND_COLOR[sp.kind] ?? '#94a3b8');
      ctx.fillRect(x0, (i / n) * hgt, Math.max(1, x1 - x0), Math.max(1, rowH));
    }
  }

  private listen(): void {
    const minimap = this.el;
    let startX: number | undefined;
    const timeAt = (clientX: number) => {
      const rect = minimap.getBoundingClientRect();
      return Math.max(0, Math.min(1, (clientX - rect.left) / Math.max(1, rect.width))) * this.time.total;
    };
    minimap.addEventListener('pointerdown', (e) => {
      startX = e.clientX;
      minimap.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    minimap.addEventListener('pointermove', (e) => {
      if (startX === undefined) return;
      const rect = minimap.getBoundingClientRect();
      const a = Math.min(startX, e.clientX) - rect.left;
      const b = Math.max(startX, e.clientX) - rect.left;
      this.brush.hidden = b - a < 3;
      this.brush.style.left = `${Math.max(0, a)}px`;
      this.brush.style.width = `${Math.min(rect.width, b) - Math.max(0, a)}px`;
    });
    minimap.addEventListener('pointerup', (e) => {
      if (startX === undefined) return;
      const x0 = startX;
      startX = undefined;
      this.brush.hidden = true;
      if (Math.abs(e.clientX - x0) >= 3) this.host.setWindow({ from: timeAt(Math.min(x0, e.clientX)), to: timeAt(Math.max(x0, e.clientX)) });
      else if (this.time.window) {
        const width = this.time.window.to - this.time.window.from;
        this.host.setWindow(this.time.movedTo(timeAt(e.clientX) - width / 2));
      }
    });
    minimap.addEventListener('dblclick', () => this.host.setWindow(undefined));
  }
}
