import type {
  AgentEvent,
  AgentInfo,
  Attributes,
  GenerationOutput,
  MarkEvent,
  OtelSpanEvent,
} from '../events/types.js';
import { shortHash, spanIdFor, traceIdFor } from './ids.js';
import { cleanUsage, compact, hasTokens, imageParts, mergeOutput, titleFrom } from './builder-content.js';
import { applyOtelSpan, isAgentSpan, newOtelSpan } from './builder-otel.js';
import { spanAttributes, spanName, type AttributeContext } from './builder-naming.js';
import { summarize } from './builder-summary.js';
import type { ChatMessage } from './messages.js';
import { priceCall, type CallCost, type PriceTable } from './pricing.js';
import type {
  SpanKind,
  SpanStatus,
  TraceDocument,
  TraceSpan,
} from './trace.js';
import { documentChunks, orderDocFields, orderSpanFields } from './serialize.js';
import { byStart, isDocumentOrder, type Lifecycle, type SpanState } from './span-state.js';

export interface TraceBuilderOptions {
  prices?: PriceTable;
}

const SPAWNING_TOOLS = new Set(['Task', 'Agent', 'task', 'spawn_agent']);

/**
 * The reducer from events to the trace document. It is pure (no clock, no I/O) and incremental: each
 * `apply` costs O(1) amortized, and `serialize` reuses the cached JSON of spans that did not change, so the
 * in-process tracer can keep a 20,000-span session in memory and write it cheaply.
 */
export class TraceBuilder {
  readonly sessionId: string;
  traceId: string;
  private readonly prices: PriceTable | undefined;
  private readonly spans = new Map<string, SpanState>();
  private readonly order: SpanState[] = [];
  private sorted: SpanState[] | undefined;
  private readonly turns: SpanState[] = [];
  private readonly ordinalCounters = new Map<string, number>();
  /** Per source, the keyless compaction it started and has not yet ended. */
  private readonly openCompactions = new Map<string, string>();
  private seq = 0;
  private eventCount = 0;

  private agent: AgentInfo = { name: 'unknown' };
  /** The sources (hook, import, sdk) that have reported the session's start. */
  private readonly startSources = new Set<string>();
  private lifecycle: Lifecycle = 'running';
  private lifecycleMessage: string | undefined;
  private startTime = Number.POSITIVE_INFINITY;
  private lastTime = 0;
  private endTime: number | undefined;
  private title: string | undefined;
  private firstPrompt: string | undefined;
  private cwd: string | undefined;
  private gitBranch: string | undefined;
  private provider: string | undefined;
  private agentPid: number | undefined;
  private readonly models: string[] = [];
  private readonly root: SpanState;
  /** Whether the session has events of its own (not only OTel spans). */
  private native = false;
  /** The OTel root span that became the session span, if any. */
  private adoptedRoot: string | undefined;
  private readonly waitingForParent = new Map<string, SpanState[]>();
  /** The latest model call of each thread ('' is the main thread, else the subagent's key). */
  private readonly lastGeneration = new Map<string, SpanState>();

  constructor(sessionId: string, options: TraceBuilderOptions = {}) {
    this.sessionId = sessionId;
    this.traceId = traceIdFor(sessionId);
    this.prices = options.prices;
    this.root = this.createSpan('session', 'session', null, 0);
  }

  get events(): number {
    return this.eventCount;
  }

  apply(event: AgentEvent): void {
    this.eventCount++;
    if (event.type !== 'otel.span') this.native = true;
    this.noteTime(event.time);
    switch (event.type) {
      case 'session.start':
        this.onSessionStart(event);
        break;
      case 'session.meta':
        this.onMeta(event);
        break;
      case 'session.end':
        this.closeOpenSpans(event.time, false);
        this.setLifecycle(event.status === 'error' ? 'error' : 'completed', event.time, event.reason);
        break;
      case 'session.interrupted':
        this.closeOpenSpans(event.time, true);
        this.setLifecycle('interrupted', event.time, event.reason);
        this.addEvent(this.root, 'interrupted', event.time, event.reason ? { reason: event.reason } : undefined);
        break;
      case 'session.crash':
        this.closeOpenSpans(event.time, true);
        this.setLifecycle('crashed', event.time, event.reason ?? event.error);
        this.addEvent(this.root, 'crash', event.time, compact({ reason: event.reason, 'exception.message': event.error }));
        break;
      case 'turn.start':
        this.onTurnStart(event.prompt, event.key, event.source, event.time, event.attributes);
        break;
      case 'turn.end':
        this.onTurnEnd(event.key, event.time, event.status, event.reason, event.output);
        break;
      case 'generation.start':
      case 'generation.end':
        this.onGeneration(event);
        break;
      case 'tool.start':
      case 'tool.end':
        this.onTool(event);
        break;
      case 'subagent.start':
      case 'subagent.end':
        this.onSubagent(event);
        break;
      case 'compaction.start':
      case 'compaction.end':
        this.onCompaction(event);
        break;
      case 'text':
        this.addEvent(this.placeMark(event), `gen_ai.${event.role}.message`, event.time, { content: event.text });
        break;
      case 'notification':
      case 'permission':
      case 'api.error':
      case 'interrupt':
        this.onMark(event);
        break;
      case 'otel.span':
        this.onOtelSpan(event);
        break;
    }
  }

  // ——— session ———

  private onSessionStart(e: Extract<AgentEvent, { type: 'session.start' }>): void {
    // The same start seen by a second source (the hook's SessionStart beside an imported transcript's start) is
    // not a new process picking the session up: no resume, nothing closed.
    const source = e.source ?? '';
    const hadStart = this.startSources.size > 0;
    const sameStart = hadStart && !this.startSources.has(source) && e.reason !== 'resume' && this.lifecycle === 'running';
    this.startSources.add(source);
    if (sameStart) {
      if (e.agentPid !== undefined) this.agentPid = e.agentPid;
      this.onMeta(e);
      this.touch(this.root);
      return;
    }
    // Continuing: a start seen before, or a resume. A first start journaled after events that a transcript
    // catch-up read first (the same drain) is the session's start, not a new process picking it up.
    const continuing = hadStart || (e.reason === 'resume' && this.eventCount > 1);
    const sameProcess = e.reason === 'compact' || e.reason === 'clear';
    if (continuing && !sameProcess && (e.reason === 'resume' || this.lifecycle !== 'running' || e.source === 'sdk')) {
      // A new process picked the session up: whatever the previous one left open will never finish — but what
      // started after this start (read from the transcript first) is the new process's own work.
      this.closeOpenSpans(this.lastTimeBefore(e.time), true, e.time);
    }
    if (continuing) this.addEvent(this.root, 'session.resume', e.time, e.reason ? { reason: e.reason } : undefined);
    this.lifecycle = 'running';
    this.lifecycleMessage = undefined;
    this.endTime = undefined;
    if (e.agentPid !== undefined) this.agentPid = e.agentPid;
    this.onMeta(e);
    this.touch(this.root);
  }

  private onMeta(e: {
    agent?: AgentInfo;
    cwd?: string;
    gitBranch?: string;
    title?: string;
    model?: string;
    provider?: string;
  }): void {
    if (e.agent?.name) {
      // A start that names the agent without its version (a resume, /compact, /clear) keeps the version known.
      const version = e.agent.version ?? (e.agent.name === this.agent.name ? this.agent.version : undefined);
      this.agent = { name: e.agent.name, ...(version ? { version } : {}) };
    }
    else if (e.agent?.version) this.agent = { ...this.agent, version: e.agent.version };
    if (e.cwd) this.cwd = e.cwd;
    if (e.gitBranch) this.gitBranch = e.gitBranch;
    if (e.title) this.title = e.title;
    if (e.provider) this.provider = e.provider;
    if (e.model) this.noteModel(e.model);
    this.touch(this.root);
  }

  private setLifecycle(state: Lifecycle, time: number, message?: string): void {
    this.lifecycle = state;
    this.lifecycleMessage = message;
    this.endTime = Math.max(time, this.lastTime);
    this.touch(this.root);
  }

  // ——— turns ———

  private onTurnStart(prompt: string, key: string | undefined, source: string | undefined, time: number, attrs?: Attributes): void {
    // Without an explicit key, the nth time a source reports a prompt text identifies the turn, so the hook's
    // UserPromptSubmit and the transcript's user line of the same prompt meet on one span.
    const turnKey = key ?? `p:${shortHash(prompt, 12)}:${this.nextOrdinal(`turn|${source ?? ''}|${prompt}`)}`;
    const id = spanIdFor(this.sessionId, 'turn', turnKey);
    let turn = this.spans.get(id);
    if (this.lifecycle === 'interrupted' && time > (this.endTime ?? 0)) {
      // A new prompt after the session was presumed gone (idle past the limit): the agent is alive after all.
      this.lifecycle = 'running';
      this.lifecycleMessage = undefined;
      this.endTime = undefined;
      this.touch(this.root);
    }
    const notice = attrs?.['agent_trace.notice'];
    if (!turn) {
      for (const open of this.turns) {
        if (open.endTime === undefined) this.endTurnQuietly(open, time);
      }
      turn = this.createSpan('turn', turnKey, this.root.id, time);
      if (typeof notice === 'string' && notice) turn.notice = notice;
      else turn.ordinal = this.turns.filter((t) => !t.notice).length + 1;
      turn.input = prompt;
      this.insertTurn(turn);
      if (this.firstPrompt === undefined && !turn.notice) this.firstPrompt = prompt;
    } else if (time < turn.startTime) {
      turn.startTime = time;
      this.turns.sort(byStart);
    }
    if (attrs) turn.extra = { ...turn.extra, ...attrs };
    this.touch(turn);
  }

  private onTurnEnd(key: string | undefined, time: number, status?: 'ok' | 'error', reason?: string, output?: string): void {
    const turn = key ? this.spans.get(spanIdFor(this.sessionId, 'turn', key)) : this.turnAt(time, true);
    if (!turn) return;
    turn.endTime = Math.max(turn.endTime ?? 0, time, turn.startTime);
    if (status === 'error') {
      turn.status = 'error';
      if (reason) turn.statusMessage = reason;
    } else if (turn.status !== 'error') {
      turn.status = 'ok';
    }
    if (output !== undefined) turn.output = output;
    // An interrupted turn (Esc, Ctrl-C) is not the agent's error, nor a normal end.
    if (turn.interrupted && turn.status === 'ok') turn.status = 'unset';
    this.touch(turn);
  }

  /** A turn superseded by a new prompt without a Stop (the person interrupted): it ends where its work ended. */
  private endTurnQuietly(turn: SpanState, before: number): void {
    const end = Math.max(turn.activity ?? turn.startTime, turn.startTime);
    turn.endTime = Math.min(Math.max(end, turn.startTime), Math.max(before, turn.startTime));
    this.touch(turn);
  }

  private insertTurn(turn: SpanState): void {
    this.turns.push(turn);
    const n = this.turns.length;
    if (n > 1 && this.turns[n - 2]!.startTime > turn.startTime) this.turns.sort(byStart);
  }

  /** The turn a moment belongs to: the last one started at or before it (binary search over sorted turns). */
  private turnAt(time: number, openOnly = false): SpanState | undefined {
    let lo = 0;
    let hi = this.turns.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.turns[mid]!.startTime <= time) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return openOnly ? this.turns.findLast((t) => t.endTime === undefined) : undefined;
    if (!openOnly) return this.turns[found];
    for (let i = found; i >= 0; i--) if (this.turns[i]!.endTime === undefined) return this.turns[i];
    return this.turns[found];
  }

  // ——— generations, tools, subagents, compaction ———

  private onGeneration(e: Extract<AgentEvent, { type: 'generation.start' | 'generation.end' }>): void {
    const start = e.type === 'generation.end' && e.startTime !== undefined ? Math.min(e.startTime, e.time) : e.time;
    const isNew = !this.spans.has(spanIdFor(this.sessionId, 'generation', e.key));
    const span = this.upsert('generation', e.key, start, e);
    if (isNew) {
      // Calls of one thread follow each other: what a call received new is its predecessor's tool results.
      const thread = e.agentKey ?? '';
      const prev = this.lastGeneration.get(thread);
      if (prev) {
        span.prevGen = prev;
        prev.nextGen = span;
      }
      this.lastGeneration.set(thread, span);
    }
    if (e.model) {
      span.model = e.model;
      this.noteModel(e.model);
    }
    if (e.provider) span.provider = e.provider;
    if (e.type === 'generation.start') {
      if (e.input !== undefined && span.input === undefined) span.input = e.input;
    } else {
      span.endTime = Math.max(span.endTime ?? 0, e.time, span.startTime);
      if (e.usage) span.usage = cleanUsage(e.usage);
      if (e.responseId) span.responseId = e.responseId;
      if (e.finishReasons?.length) span.finishReasons = e.finishReasons;
      if (e.output) {
        span.output = mergeOutput(span.output as GenerationOutput | undefined, e.output);
        if (e.output.text?.trim()) this.noteFinalText(span, e.output.text);
      }
      if (e.error) {
        span.status = 'error';
        span.statusMessage = e.error;
        span.errorType = 'api_error';
      } else if (span.status !== 'error') span.status = 'ok';
      span.interrupted = undefined;
    }
    this.touch(span);
  }

  private onTool(e: Extract<AgentEvent, { type: 'tool.start' | 'tool.end' }>): void {
    const start = e.type === 'tool.end' && e.startTime !== undefined ? Math.min(e.startTime, e.time) : e.time;
    const span = this.upsert('tool', e.key, start, e);
    if (e.name && !span.name) span.name = e.name;
    if (e.input !== undefined && span.input === undefined) span.input = e.input;
    if (e.type === 'tool.start') {
      if (e.toolType) span.toolType = e.toolType;
    } else {
      // A call already closed as interrupted (its process went away) keeps the end it was given then: the
      // answer a resumed process writes for it later does not stretch it over the time nothing ran.
      const closedByExit = span.interrupted === true && span.endTime !== undefined && e.errorType === 'interrupted';
      if (!closedByExit) span.endTime = Math.max(span.endTime ?? 0, e.time, span.startTime);
      if (e.output !== undefined && span.output === undefined) span.output = e.output;
      if (e.error !== undefined && e.errorType === 'interrupted') {
        // Esc, Ctrl-C, a rejected tool use: the person stopped it; not the tool's failure.
        if (span.status !== 'error') span.status = 'unset';
        span.interrupted = true;
        span.statusMessage = e.error;
        if (span.output === undefined) span.output = e.error;
        this.touch(span);
        return;
      }
      if (e.error !== undefined) {
        span.status = 'error';
        span.statusMessage = e.error;
        span.errorType = e.errorType ?? 'tool_error';
        if (span.output === undefined) span.output = e.error;
      } else if (span.status !== 'error') span.status = 'ok';
      span.interrupted = undefined;
    }
    this.touch(span);
    // A spawning tool may learn its subagent only now (or the subagent may have arrived first).
    if (span.name && SPAWNING_TOOLS.has(span.name)) this.adoptOrphanSubagents(span);
  }

  private onSubagent(e: Extract<AgentEvent, { type: 'subagent.start' | 'subagent.end' }>): void {
    const id = spanIdFor(this.sessionId, 'subagent', e.key);
    let span = this.spans.get(id);
    if (!span) {
      span = this.createSpan('subagent', e.key, null, e.time);
      this.placeSubagent(span, e.time, e.agentType);
    } else if (e.time < span.startTime) span.startTime = e.time;
    if (e.agentType) span.name = e.agentType;
    if (e.type === 'subagent.start') {
      if (e.prompt !== undefined && span.input === undefined) span.input = e.prompt;
      if (e.parentToolKey) this.setParent(span, spanIdFor(this.sessionId, 'tool', e.parentToolKey), true);
      else if (e.agentKey) this.setParent(span, this.subagentSpan(e.agentKey, e.time).id, true);
    } else {
      span.endTime = Math.max(span.endTime ?? 0, e.time, span.startTime);
      span.status = e.status === 'error' ? 'error' : 'ok';
      if (e.output !== undefined) span.output = e.output;
      span.interrupted = undefined;
    }
    if (e.attributes) span.extra = { ...span.extra, ...e.attributes };
    this.touch(span);
  }

  private onCompaction(e: Extract<AgentEvent, { type: 'compaction.start' | 'compaction.end' }>): void {
    let key = e.key;
    if (!key) {
      // Each source numbers its compactions once each (a start, or an end with no start of its own), so the
      // PreCompact/PostCompact hooks and the transcript's boundary of the same compaction meet on one key.
      const source = e.source ?? '';
      const open = this.openCompactions.get(source);
      if (e.type === 'compaction.end' && open) {
        key = open;
        this.openCompactions.delete(source);
      } else {
        key = `compact:${this.nextOrdinal(`compact|${source}`)}`;
        if (e.type === 'compaction.start') this.openCompactions.set(source, key);
      }
    }
    const start = e.type === 'compaction.end' && e.startTime !== undefined ? Math.min(e.startTime, e.time) : e.time;
    const span = this.upsert('compaction', key, start, e);
    if (e.trigger) span.trigger = e.trigger;
    if (e.tokensBefore !== undefined) span.tokensBefore = e.tokensBefore;
    if (e.type === 'compaction.end') {
      span.endTime = Math.max(span.endTime ?? 0, e.time, span.startTime);
      span.status = 'ok';
      if (e.tokensAfter !== undefined) span.tokensAfter = e.tokensAfter;
      if (e.summary !== undefined) span.output = e.summary;
    }
    this.touch(span);
  }

  private onMark(e: MarkEvent): void {
    const target = this.markTool(e) ?? this.placeMark(e);
    const name = { notification: 'notification', permission: 'permission_request', 'api.error': 'api_error', interrupt: 'interrupt' }[e.type];
    const attrs = compact({ message: e.message, 'gen_ai.tool.name': e.toolName, ...e.attributes });
    if (e.type === 'interrupt' && target.kind === 'turn') {
      target.interrupted = true;
      if (target.status === 'ok') target.status = 'unset';
    }
    this.addEvent(target, name, e.time, attrs);
  }

  /** The tool a mark is about: by call id, else the latest open call of the named tool. */
  private markTool(e: MarkEvent): SpanState | undefined {
    if (e.toolKey) {
      const byKey = this.spans.get(spanIdFor(this.sessionId, 'tool', e.toolKey));
      if (byKey) return byKey;
    }
    if (!e.toolName) return undefined;
    for (let i = this.order.length - 1; i >= 0; i--) {
      const s = this.order[i]!;
      if (s.kind === 'tool' && s.name === e.toolName && s.endTime === undefined) return s;
    }
    return undefined;
  }

  /**
   * A span from an OpenTelemetry SDK pipeline. Its root, when it is an agent invocation and the session has no
   * events of its own, becomes the session span (keeping its id, so its children stay attached); any other
   * root is a top-level unit of work (a turn); GenAI spans map to their kinds; anything else is kept as a
   * generic span, shown but not counted in the summary.
   */
  private onOtelSpan(e: OtelSpanEvent): void {
    if (this.sessionId === `otel-${e.traceId}`) this.traceId = e.traceId;
    const attributes = e.attributes ?? {};
    const agentName = attributes['gen_ai.agent.name'];
    if (!e.parentSpanId && typeof agentName === 'string' && this.agent.name === 'unknown') this.agent = { name: agentName };
    this.noteTime(e.startTime);
    if (e.endTime !== undefined) this.noteTime(e.endTime);
    if (!e.parentSpanId && !this.native && isAgentSpan(attributes) && (this.adoptedRoot ?? e.spanId) === e.spanId) {
      this.adoptRoot(e, attributes);
      return;
    }
    let span = this.spans.get(e.spanId);
    if (!span) {
      span = newOtelSpan(e, attributes, this.seq++, this.root.id);
      this.spans.set(span.id, span);
      this.order.push(span);
      this.adoptWaitingChildren(span.id);
      if (span.parentId && !this.spans.has(span.parentId)) {
        const waiting = this.waitingForParent.get(span.parentId);
        if (waiting) waiting.push(span);
        else this.waitingForParent.set(span.parentId, [span]);
      }
    }
    const model = applyOtelSpan(span, e, attributes);
    if (model !== undefined) this.noteModel(model);
    this.touch(span);
  }

  /** Children that arrived before this span were serialized under the session: redo them. */
  private adoptWaitingChildren(id: string): void {
    const waiting = this.waitingForParent.get(id);
    if (!waiting) return;
    this.waitingForParent.delete(id);
    for (const child of waiting) this.touch(child);
  }

  private adoptRoot(e: OtelSpanEvent, attributes: Attributes): void {
    if (this.adoptedRoot === undefined) {
      this.spans.delete(this.root.id);
      this.root.id = e.spanId;
      this.spans.set(e.spanId, this.root);
      this.adoptedRoot = e.spanId;
      this.adoptWaitingChildren(e.spanId);
    }
    this.root.otel = { name: e.name, attributes };
    this.root.events = e.events ?? [];
    if (e.endTime !== undefined) this.setLifecycle(e.status === 'error' ? 'error' : 'completed', e.endTime, e.statusMessage);
    this.touch(this.root);
  }

  // ——— helpers ———

  private upsert(
    kind: 'generation' | 'tool' | 'compaction',
    key: string,
    start: number,
    e: { time: number; agentKey?: string; turnKey?: string; attributes?: Attributes },
  ): SpanState {
    const id = spanIdFor(this.sessionId, kind, key);
    let span = this.spans.get(id);
    if (!span) {
      span = this.createSpan(kind, key, null, start);
      this.place(span, e, start);
    } else {
      if (start < span.startTime) span.startTime = start;
      if (e.agentKey || e.turnKey) this.place(span, e, span.startTime);
    }
    if (e.attributes) span.extra = { ...span.extra, ...e.attributes };
    return span;
  }

  /** Explicit placement (subagent, turn) wins; otherwise the turn open at that moment, or the session. */
  private place(span: SpanState, e: { agentKey?: string; turnKey?: string }, time: number): void {
    if (e.agentKey) this.setParent(span, this.subagentSpan(e.agentKey, time).id, true);
    else if (e.turnKey) this.setParent(span, spanIdFor(this.sessionId, 'turn', e.turnKey), true);
    else if (!span.parentFixed) {
      const turn = this.turnAt(time);
      // A compaction after its turn ended (`/compact` between prompts) belongs to the session, not that turn.
      const between = span.kind === 'compaction' && turn?.endTime !== undefined && turn.endTime < time;
      this.setParent(span, (turn && !between ? turn : this.root).id, false);
    }
  }

  private placeMark(e: { agentKey?: string; turnKey?: string; time: number }): SpanState {
    if (e.agentKey) return this.subagentSpan(e.agentKey, e.time);
    if (e.turnKey) return this.spans.get(spanIdFor(this.sessionId, 'turn', e.turnKey)) ?? this.root;
    return this.turnAt(e.time) ?? this.root;
  }

  private setParent(span: SpanState, parentId: string, fixed: boolean): void {
    if (span.parentFixed && !fixed) return;
    if (span.parentId !== parentId) {
      if (span.kind === 'generation') this.countCall(span.parentId, -1);
      span.parentId = parentId;
      if (span.kind === 'generation') this.countCall(parentId, 1);
      this.touch(span);
    }
    if (fixed) span.parentFixed = true;
  }

  /** Keeps each subagent's count of model calls (a subagent with none has no record of its work). */
  private countCall(parentId: string | null, delta: number): void {
    const parent = parentId ? this.spans.get(parentId) : undefined;
    if (parent?.kind !== 'subagent') return;
    parent.calls = Math.max(0, (parent.calls ?? 0) + delta);
    parent.bytes = undefined;
  }

  private subagentSpan(key: string, time: number): SpanState {
    const id = spanIdFor(this.sessionId, 'subagent', key);
    let span = this.spans.get(id);
    if (!span) {
      span = this.createSpan('subagent', key, null, time);
      this.placeSubagent(span, time, undefined);
    }
    return span;
  }

  /** A subagent without a named parent belongs to the open spawning tool (Task/Agent) that has none yet. */
  private placeSubagent(span: SpanState, time: number, agentType: string | undefined): void {
    const tool = this.findSpawningTool(agentType, span);
    if (tool) this.setParent(span, tool.id, false);
    else this.setParent(span, (this.turnAt(time) ?? this.root).id, false);
  }

  private findSpawningTool(agentType: string | undefined, subagent: SpanState): SpanState | undefined {
    const taken = new Set<string>();
    for (const s of this.order) if (s.kind === 'subagent' && s !== subagent && s.parentId) taken.add(s.parentId);
    let fallback: SpanState | undefined;
    for (let i = this.order.length - 1; i >= 0; i--) {
      const s = this.order[i]!;
      if (s.kind !== 'tool' || !s.name || !SPAWNING_TOOLS.has(s.name) || taken.has(s.id)) continue;
      if (s.endTime !== undefined && s.endTime < subagent.startTime) continue;
      const wanted = (s.input as Record<string, unknown> | undefined)?.subagent_type;
      if (agentType && wanted === agentType) return s;
      fallback ??= s;
    }
    return fallback;
  }

  private adoptOrphanSubagents(tool: SpanState): void {
    for (const s of this.order) {
      if (s.kind !== 'subagent' || s.parentFixed) continue;
      const parent = s.parentId ? this.spans.get(s.parentId) : undefined;
      if (parent?.kind === 'tool') continue;
      if (s.startTime >= tool.startTime && (tool.endTime === undefined || s.startTime <= tool.endTime)) {
        const wanted = (tool.input as Record<string, unknown> | undefined)?.subagent_type;
        if (!s.name || !wanted || wanted === s.name) {
          this.setParent(s, tool.id, false);
          return;
        }
      }
    }
  }

  private createSpan(kind: SpanKind, key: string, parentId: string | null, start: number): SpanState {
    const span: SpanState = {
      id: spanIdFor(this.sessionId, kind, key),
      kind,
      key,
      seq: this.seq++,
      parentId,
      parentFixed: false,
      startTime: start,
      status: 'unset',
      events: [],
    };
    this.spans.set(span.id, span);
    this.order.push(span);
    return span;
  }

  /**
   * Work that was open when its process went away will never finish: close it where the session was last
   * seen alive, marked interrupted, with status unset — an interruption is not the agent's error.
   */
  private closeOpenSpans(time: number, interrupted: boolean, startedBefore = Number.POSITIVE_INFINITY): void {
    for (const span of this.order) {
      if (span === this.root || span.endTime !== undefined || span.otel || span.startTime >= startedBefore) continue;
      span.endTime = Math.max(span.startTime, time);
      if (span.kind !== 'turn' || interrupted) {
        span.interrupted = true;
        span.events.push({ name: 'interrupted', time: span.endTime });
      }
      this.touch(span);
    }
  }

  private addEvent(span: SpanState, name: string, time: number, attributes?: Attributes): void {
    span.events.push(attributes && Object.keys(attributes).length ? { name, time, attributes } : { name, time });
    this.touch(span);
  }

  private nextOrdinal(counter: string): number {
    const n = (this.ordinalCounters.get(counter) ?? 0) + 1;
    this.ordinalCounters.set(counter, n);
    return n;
  }

  private noteTime(time: number): void {
    // Epoch 0 (or earlier) is a missing time, never a real one: it must not start the session in 1970.
    if (!(time > 0)) return;
    if (time < this.startTime) {
      this.startTime = time;
      this.root.startTime = time;
      this.touch(this.root);
    }
    if (time > this.lastTime) this.lastTime = time;
  }

  private lastTimeBefore(time: number): number {
    let last = this.startTime;
    for (const s of this.order) {
      if (s.startTime < time) last = Math.max(last, s.startTime);
      if (s.endTime !== undefined && s.endTime < time) last = Math.max(last, s.endTime);
      for (const ev of s.events) if (ev.time < time) last = Math.max(last, ev.time);
    }
    return last;
  }

  private noteModel(model: string): void {
    if (!this.models.includes(model)) this.models.push(model);
  }

  private touch(span: SpanState): void {
    span.bytes = undefined;
    span.cost = undefined;
    // The next call's derived input names this call's tool calls.
    if (span.nextGen) span.nextGen.bytes = undefined;
    if (span.parentId === null) return;
    const parent = this.spans.get(span.parentId);
    if (parent) parent.activity = Math.max(parent.activity ?? 0, span.endTime ?? span.startTime);
  }

  // ——— output ———

  /** A turn's output is its last word: the text of the latest model call directly under it that said something. */
  private noteFinalText(gen: SpanState, text: string): void {
    const parent = gen.parentId ? this.spans.get(gen.parentId) : undefined;
    if (parent?.kind !== 'turn' || (parent.finalTextAt !== undefined && parent.finalTextAt > gen.startTime)) return;
    parent.finalText = text;
    parent.finalTextAt = gen.startTime;
    this.touch(parent);
  }

  /**
   * What was new in a model call, when the source did not record its input: the prompt, for the first call
   * of a turn or subagent, and the results of the previous call's tool calls (by call id; the results stay on
   * their tool spans).
   */
  private derivedInput(span: SpanState): ChatMessage[] | undefined {
    const parent = span.parentId ? this.spans.get(span.parentId) : undefined;
    const prev = span.prevGen && span.prevGen.parentId === span.parentId ? span.prevGen : undefined;
    const messages: ChatMessage[] = [];
    if (!prev && (parent?.kind === 'turn' || parent?.kind === 'subagent') && typeof parent.input === 'string') {
      messages.push({ role: 'user', parts: [{ type: 'text', content: parent.input }, ...imageParts(parent.extra?.['agent_trace.prompt.images'])] });
    }
    for (const call of (prev?.output as GenerationOutput | undefined)?.toolCalls ?? []) {
      // Only calls whose tool span is here: a reference must name a result the exporter can fill in.
      if (call.id && this.spans.get(spanIdFor(this.sessionId, 'tool', call.id))?.kind === 'tool') {
        messages.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: call.id }] });
      }
    }
    return messages.length ? messages : undefined;
  }

  /** The price of a model call, at the time it was made (a span's serialization is cached, so once per change). */
  private costOf(span: SpanState): CallCost | undefined {
    if (span.cost === undefined) {
      span.cost = span.usage && hasTokens(span.usage)
        ? priceCall(span.model, span.usage, { provider: span.provider ?? this.provider, time: span.startTime, table: this.prices }) ?? null
        : null;
    }
    return span.cost ?? undefined;
  }

  /** The session's last word: the final assistant text of its latest turn that has one. */
  private sessionOutput(): string | undefined {
    if (this.root.output !== undefined) return typeof this.root.output === 'string' ? this.root.output : undefined;
    for (let i = this.turns.length - 1; i >= 0; i--) {
      const t = this.turns[i]!;
      const text = typeof t.output === 'string' ? t.output : t.finalText;
      if (text) return text;
    }
    return undefined;
  }

  private rootStatus(): { status: SpanStatus; message?: string } {
    switch (this.lifecycle) {
      case 'completed':
        return { status: 'ok' };
      case 'crashed':
      case 'error':
        return { status: 'error', message: this.lifecycleMessage ?? this.lifecycle };
      default:
        return { status: 'unset' };
    }
  }

  private attributeContext(): AttributeContext {
    return {
      sessionId: this.sessionId,
      agent: this.agent,
      provider: this.provider,
      agentPid: this.agentPid,
      cwd: this.cwd,
      costOf: (span) => this.costOf(span),
    };
  }

  private toTraceSpan(span: SpanState): TraceSpan {
    const isRoot = span === this.root;
    const status = isRoot ? this.rootStatus() : { status: span.status, message: span.statusMessage };
    const endTime = isRoot ? this.endTime : span.endTime;
    const out: TraceSpan = {
      spanId: span.id,
      // An OTel child can arrive before its parent (processors export spans as they end): until the parent
      // comes, it hangs under the session so the document never names a span it does not hold.
      parentSpanId: span.parentId !== null && !this.spans.has(span.parentId) ? this.root.id : span.parentId,
      name: spanName(span, this.agent.name),
      kind: span.kind,
      startTime: span.startTime,
      status: status.status,
      attributes: spanAttributes(span, this.attributeContext()),
    };
    if (endTime !== undefined) out.endTime = endTime;
    if (status.message !== undefined) out.statusMessage = status.message;
    const input = isRoot ? this.firstPrompt : span.kind === 'generation' && span.input === undefined && !span.otel ? this.derivedInput(span) : span.input;
    if (input !== undefined) out.input = input;
    const output = isRoot ? this.sessionOutput() : span.output ?? (span.kind === 'turn' ? span.finalText : undefined);
    if (output !== undefined) out.output = output;
    if (span.events.length) out.events = span.events;
    // Keep the documented field order whatever optional fields were filled in.
    return orderSpanFields(out);
  }

  /**
   * Spans in document order: the root, then by start time (insertion order breaks ties). The last order is
   * reused when it still holds — a cheap check, since a snapshot or a crash write rarely moves a span.
   */
  private sortedSpans(): SpanState[] {
    if (this.root.startTime === Number.POSITIVE_INFINITY) this.root.startTime = 0;
    const cached = this.sorted;
    if (cached && cached.length === this.order.length && isDocumentOrder(cached, this.root)) return cached;
    this.sorted = [...this.order].sort((a, b) => {
      if (a === this.root) return -1;
      if (b === this.root) return 1;
      return byStart(a, b);
    });
    return this.sorted;
  }

  private header(spans: SpanState[]): Omit<TraceDocument, 'spans'> {
    const doc: Omit<TraceDocument, 'spans'> = {
      schemaVersion: 1,
      traceId: this.traceId,
      sessionId: this.sessionId,
      agent: this.agent,
      status: this.lifecycle,
      startTime: this.startTime === Number.POSITIVE_INFINITY ? 0 : this.startTime,
      models: [...this.models],
      summary: summarize(spans, { costOf: (span) => this.costOf(span), startTime: this.startTime, endTime: this.endTime, lastTime: this.lastTime }),
    };
    if (this.endTime !== undefined && this.lifecycle !== 'running') doc.endTime = this.endTime;
    const title = this.title ?? titleFrom(this.firstPrompt);
    if (title) doc.title = title;
    if (this.cwd) doc.cwd = this.cwd;
    if (this.gitBranch) doc.gitBranch = this.gitBranch;
    return orderDocFields(doc);
  }

  /** The tool span of a call id as the document has it (exporters fill model-call messages from it). */
  toolCallSpan(callId: string): TraceSpan | undefined {
    const span = this.spans.get(spanIdFor(this.sessionId, 'tool', callId));
    return span && span.kind === 'tool' ? this.toTraceSpan(span) : undefined;
  }

  /** The session's title as the document gives it. */
  sessionTitle(): string | undefined {
    return this.title ?? titleFrom(this.firstPrompt);
  }

  toDocument(): TraceDocument {
    const spans = this.sortedSpans();
    return { ...this.header(spans), spans: spans.map((s) => this.toTraceSpan(s)) };
  }

  /** A span's JSON as UTF-8; every span but the root (always first) carries the comma that precedes it. */
  private spanBytes(span: SpanState): Buffer {
    // The root's fields depend on session state (status, end), which changes without touching the root.
    if (span === this.root) return Buffer.from(JSON.stringify(this.toTraceSpan(span)));
    span.bytes ??= Buffer.from(`,${JSON.stringify(this.toTraceSpan(span))}`);
    return span.bytes;
  }

  /**
   * The document as UTF-8 JSON in pieces, so a writer can yield to the event loop between pieces and never
   * re-encode unchanged spans. Joined, the pieces equal `JSON.stringify(toDocument())`.
   */
  *serializeChunks(): Generator<Buffer> {
    const spans = this.sortedSpans();
    yield* documentChunks(this.header(spans), spans, (span) => this.spanBytes(span));
  }

  /** The same pieces as text, for callers that stream to a string sink (an HTTP response). */
  *serializeParts(): Generator<string> {
    for (const chunk of this.serializeChunks()) yield chunk.toString('utf8');
  }

  serializeBuffer(): Buffer {
    return Buffer.concat([...this.serializeChunks()]);
  }

  serialize(): string {
    return this.serializeBuffer().toString('utf8');
  }
}

/** Rebuilds a document from a list of events (the journal, an import). */
export function buildTrace(sessionId: string, events: Iterable<AgentEvent>, options?: TraceBuilderOptions): TraceBuilder {
  const builder = new TraceBuilder(sessionId, options);
  for (const e of events) builder.apply(e);
  return builder;
}
