import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import type { Usage } from '../../src/events/types.js';
import { embeddedSession } from './source.js';
import { apiSession, loadSessionPages, type LoadedSession, type TraceHeader } from './span-pages.js';

export type { TraceHeader, TraceSpan };

/** A span with its place in the tree. `rev` changes whenever the span changes; `subRev` when its subtree does. */
export interface SpanNode {
  span: TraceSpan;
  id: string;
  parent: SpanNode | null;
  children: SpanNode[];
  depth: number;
  rev: number;
  subRev: number;
  /** Position in document order (start time). */
  order: number;
  search?: string;
}

export interface ModelChange {
  /** Spans added or changed. */
  changed: Set<string>;
  /** Whether spans were added, moved or removed (the tree shape changed). */
  structural: boolean;
  reset: boolean;
}

interface Delta {
  epoch: number;
  version: number;
  total: number;
  header: TraceHeader;
  spans: TraceSpan[];
}

/**
 * The client-side trace of one session: loads the document once, then follows the server's deltas over
 * Server-Sent Events and applies them in place, so views keep their tab, scroll, selection and expanded rows.
 */
export class SessionModel {
  readonly id: string;
  header!: TraceHeader;
  epoch = 0;
  version = 0;
  nodes = new Map<string, SpanNode>();
  ordered: SpanNode[] = [];
  roots: SpanNode[] = [];
  private rev = 0;
  private listeners = new Set<(change: ModelChange) => void>();
  private source: EventSource | undefined;
  private pending: Delta[] = [];
  private flushScheduled = false;
  private closed = false;
  /** What the server noticed while reading the session (skipped journal lines, a time not trusted). */
  problems: string[] = [];
  /** Whether spans are still arriving (the model holds the first page of a big session meanwhile). */
  loading = false;
  /** Spans arrived so far while the session loads page by page. */
  progress: { loaded: number; total: number } | undefined;
  onLoadProgress?: (loaded: number, total: number) => void;
  /** connect() was called while loading: the live stream starts once every page has arrived. */
  private wantLive = false;
  /** Whether the live stream is connected. */
  connected = false;
  onConnection?: (connected: boolean) => void;

  constructor(id: string) {
    this.id = id;
  }

  async load(early = true): Promise<void> {
    const shared = embeddedSession();
    if (shared) {
      this.setDocument(shared.doc, 0, 0);
      performance.mark('agent-trace:model-ready');
      return;
    }
    // By pages: a 300k-span session never travels as one document (viewer/web/span-pages.ts). A session of
    // more than one page is ready with its first page; the rest arrives in the background and replaces it as a
    // reset (views keep their tab and scroll), then the live stream starts.
    this.loading = true;
    let ready: () => void = () => undefined;
    const firstReady = new Promise<void>((resolve) => (ready = resolve));
    const showFirstPage = (start: LoadedSession) => {
      this.applyLoaded(start);
      this.progress = { loaded: start.spans.length, total: start.spans.length };
      ready();
    };
    const whole = loadSessionPages(this.id, {
      // a reload (the session was rebuilt) keeps showing the old spans until the new ones are all in
      first: early ? showFirstPage : undefined,
      progress: (loaded, total) => {
        this.progress = { loaded, total };
        this.onLoadProgress?.(loaded, total);
      },
    });
    const firstOrWhole = await Promise.race([firstReady.then(() => undefined), whole]);
    if (firstOrWhole) {
      this.finishLoad(firstOrWhole, false);
      return;
    }
    performance.mark('agent-trace:first-page-ready');
    whole.then(
      (loaded) => this.finishLoad(loaded, true),
      (error: unknown) => {
        this.loading = false;
        this.problems = [...this.problems, `only ${this.nodes.size} spans could be loaded: ${(error as Error).message}`];
        this.emit({ changed: new Set(), structural: false, reset: true });
      },
    );
  }

  private applyLoaded(loaded: LoadedSession): void {
    this.problems = loaded.problems;
    this.setDocument({ ...loaded.header, spans: loaded.spans }, loaded.epoch, loaded.version);
  }

  /** The whole session has arrived: the model holds it, views redraw (when they showed a first page), live starts. */
  private finishLoad(loaded: LoadedSession, announce: boolean): void {
    if (this.closed) return;
    performance.mark('agent-trace:trace-parsed');
    this.applyLoaded(loaded);
    this.loading = false;
    this.progress = undefined;
    performance.mark('agent-trace:model-ready');
    if (announce) {
      this.emit({ changed: new Set(this.nodes.keys()), structural: true, reset: true });
      performance.mark('agent-trace:spans-complete');
      document.documentElement.dataset.spansComplete = '1';
    }
    if (this.wantLive) this.connect();
  }

  private setDocument(doc: TraceDocument, epoch: number, version: number): void {
    const { spans, ...header } = doc;
    this.header = header;
    this.epoch = epoch;
    this.version = version;
    this.nodes = new Map();
    for (const span of spans) this.nodes.set(span.spanId, this.newNode(span));
    this.relink();
  }

  private newNode(span: TraceSpan): SpanNode {
    const rev = ++this.rev;
    return { span, id: span.spanId, parent: null, children: [], depth: 0, rev, subRev: rev, order: 0 };
  }

  /** Rebuilds parents, children, depths and document order from the spans. */
  private relink(): void {
    const all = [...this.nodes.values()];
    all.sort((a, b) => a.span.startTime - b.span.startTime || a.order - b.order);
    // the session span first, as in the document
    const rootIndex = all.findIndex((n) => n.span.kind === 'session' && n.span.parentSpanId === null);
    if (rootIndex > 0) all.unshift(...all.splice(rootIndex, 1));
    this.ordered = all;
    this.roots = [];
    for (let i = 0; i < all.length; i++) {
      const n = all[i]!;
      n.order = i;
      n.children = [];
    }
    for (const n of all) {
      const parent = n.span.parentSpanId ? this.nodes.get(n.span.parentSpanId) : undefined;
      if (parent && parent !== n) {
        n.parent = parent;
        parent.children.push(n);
      } else {
        n.parent = null;
        this.roots.push(n);
      }
    }
    // depth by walking down from the roots (a cycle in hostile data cannot loop: unreached nodes become roots)
    const seen = new Set<SpanNode>();
    const stack: SpanNode[] = [];
    for (let i = this.roots.length - 1; i >= 0; i--) {
      this.roots[i]!.depth = 0;
      stack.push(this.roots[i]!);
    }
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      for (let i = n.children.length - 1; i >= 0; i--) {
        const c = n.children[i]!;
        c.depth = n.depth + 1;
        stack.push(c);
      }
    }
    if (seen.size < all.length) {
      for (const n of all) {
        if (!seen.has(n)) {
          if (n.parent) n.parent.children = n.parent.children.filter((c) => c !== n);
          n.parent = null;
          n.depth = 0;
          this.roots.push(n);
        }
      }
    }
  }

  // ——— live ———

  subscribe(fn: (change: ModelChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  connect(): void {
    // a shared file has no server to follow
    if (this.closed || this.source || embeddedSession()) return;
    this.wantLive = true;
    if (this.loading) return;
    const url = `${apiSession(this.id)}/live?since=${this.epoch}.${this.version}`;
    const source = new EventSource(url);
    this.source = source;
    source.addEventListener('open', () => this.setConnected(true));
    source.addEventListener('error', () => this.setConnected(source.readyState === EventSource.OPEN));
    source.addEventListener('delta', (e) => {
      try {
        this.pending.push(JSON.parse((e as MessageEvent<string>).data) as Delta);
        this.scheduleFlush();
      } catch {
        // ignore a malformed message; the next delta is cumulative
      }
    });
    source.addEventListener('reset', () => void this.reload());
  }

  private setConnected(value: boolean): void {
    if (this.connected === value) return;
    this.connected = value;
    this.onConnection?.(value);
  }

  private async reload(): Promise<void> {
    this.source?.close();
    this.source = undefined;
    try {
      await this.load(false);
    } catch {
      return;
    }
    this.emit({ changed: new Set(this.nodes.keys()), structural: true, reset: true });
    this.connect();
  }

  close(): void {
    this.closed = true;
    this.source?.close();
    this.source = undefined;
    this.listeners.clear();
  }

  /** Deltas are applied once per animation frame, however fast they arrive. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = () => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      if (batch.length) this.applyDeltas(batch);
    };
    if (document.hidden) setTimeout(run, 50);
    else requestAnimationFrame(run);
  }

  applyDeltas(deltas: Delta[]): void {
    const changed = new Set<string>();
    let structural = false;
    for (const d of deltas) {
      if (d.epoch !== this.epoch || d.version <= this.version) continue;
      this.version = d.version;
      this.header = d.header;
      for (const span of d.spans) {
        const node = this.nodes.get(span.spanId);
        if (node) {
          if (node.span.parentSpanId !== span.parentSpanId || node.span.startTime !== span.startTime) structural = true;
          node.span = span;
          node.rev = ++this.rev;
          node.search = undefined;
        } else {
          const n = this.newNode(span);
          n.order = Number.MAX_SAFE_INTEGER;
          this.nodes.set(span.spanId, n);
          structural = true;
        }
        changed.add(span.spanId);
      }
      if (d.total !== this.nodes.size) structural = true;
    }
    if (!changed.size && !deltas.length) return;
    if (structural) this.relink();
    // subtree revisions: a change anywhere below a span changes the span's subtree revision
    for (const id of changed) {
      let n: SpanNode | null | undefined = this.nodes.get(id);
      const rev = n?.rev ?? this.rev;
      const seen = new Set<SpanNode>();
      while (n && !seen.has(n)) {
        seen.add(n);
        n.subRev = Math.max(n.subRev, rev);
        n = n.parent;
      }
    }
    this.emit({ changed, structural, reset: false });
  }

  private emit(change: ModelChange): void {
    for (const fn of this.listeners) fn(change);
  }

  // ——— derived facts ———

  get root(): SpanNode | undefined {
    return this.ordered[0];
  }

  get running(): boolean {
    return this.header.status === 'running';
  }

  /** Where open spans end: now while the session runs, else the session's end. */
  now(): number {
    if (this.running) return Math.max(Date.now(), this.lastTime());
    return this.header.endTime ?? this.lastTime();
  }

  private lastTime(): number {
    let last = this.header.startTime;
    for (const n of this.ordered) last = Math.max(last, n.span.endTime ?? n.span.startTime);
    return last;
  }

  endOf(span: TraceSpan): number {
    return span.endTime ?? Math.max(span.startTime, this.now());
  }
}

export function isInterrupted(span: TraceSpan): boolean {
  return span.attributes['agent_trace.interrupted'] === true;
}

export function toolName(span: TraceSpan): string {
  if (span.attributes['agent_trace.tool.orphan_result'] === true) return 'result without a recorded call';
  const a = span.attributes['gen_ai.tool.name'] ?? span.attributes['tool.name'];
  return typeof a === 'string' ? a : span.name.replace(/^execute_tool /, '');
}

/** Whether a span's duration was measured: a source without timings (or a missing record) leaves it unknown. */
export function durationKnown(span: TraceSpan): boolean {
  return span.attributes['agent_trace.duration_unknown'] !== true && span.attributes['agent_trace.subagent.unrecorded'] !== true;
}

export function modelOf(span: TraceSpan): string | undefined {
  const m = span.attributes['gen_ai.response.model'] ?? span.attributes['gen_ai.request.model'] ?? span.attributes['llm.model_name'];
  return typeof m === 'string' ? m : undefined;
}

function num(span: TraceSpan, ...keys: string[]): number {
  for (const k of keys) {
    const v = span.attributes[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return 0;
}

/** Usage as billed (input without cache) from the GenAI / OpenInference attributes of a model call. */
export function usageOf(span: TraceSpan): Required<Usage> | undefined {
  if (span.kind !== 'generation') return undefined;
  const prompt = num(span, 'gen_ai.usage.input_tokens', 'llm.token_count.prompt');
  const output = num(span, 'gen_ai.usage.output_tokens', 'llm.token_count.completion');
  const cacheRead = num(span, 'gen_ai.usage.cache_read.input_tokens', 'llm.token_count.prompt_details.cache_read');
  const cacheWrite = num(span, 'gen_ai.usage.cache_creation.input_tokens', 'llm.token_count.prompt_details.cache_write');
  const reasoning = num(span, 'gen_ai.usage.reasoning.output_tokens', 'llm.token_count.completion_details.reasoning');
  const cacheWrite1h = num(span, 'agent_trace.usage.cache_creation.1h.input_tokens');
  if (!prompt && !output && !cacheRead && !cacheWrite) return undefined;
  return { input: Math.max(0, prompt - cacheRead - cacheWrite), output, cacheRead, cacheWrite, cacheWrite1h, reasoning };
}

export function totalTokens(u: Usage | undefined): number {
  if (!u) return 0;
  return (u.input ?? 0) + (u.output ?? 0) + (u.cacheRead ?? 0) + (u.cacheWrite ?? 0);
}

export interface GenerationOutputLike {
  text?: string;
  thinking?: string;
  toolCalls?: Array<{ id: string; name: string }>;
}

export function generationOutput(span: TraceSpan): GenerationOutputLike {
  const o = span.output;
  if (typeof o === 'string') return { text: o };
  if (o && typeof o === 'object' && !Array.isArray(o)) {
    const r = o as Record<string, unknown>;
    const out: GenerationOutputLike = {};
    if (typeof r.text === 'string') out.text = r.text;
    if (typeof r.thinking === 'string') out.thinking = r.thinking;
    if (Array.isArray(r.toolCalls)) {
      out.toolCalls = r.toolCalls
        .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object')
        .map((c) => ({ id: String(c.id ?? ''), name: String(c.name ?? '') }));
    }
    return out;
  }
  return {};
}

/** Text for search: name, tool name, status message, input and output (capped per span). */
export function searchText(node: SpanNode): string {
  if (node.search !== undefined) return node.search;
  const s = node.span;
  let text = `${s.name}\n${s.kind}\n${s.spanId}\n${s.statusMessage ?? ''}\n`;
  text += stringify(s.input, 20_000) + '\n' + stringify(s.output, 20_000);
  const tool = s.attributes['gen_ai.tool.name'];
  if (typeof tool === 'string') text += `\n${tool}`;
  node.search = text.toLowerCase();
  return node.search;
}

export function stringify(value: unknown, max = Number.POSITIVE_INFINITY): string {
  if (value === undefined || value === null) return '';
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value, null, 2) ?? '';
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? text.slice(0, max) : text;
}
