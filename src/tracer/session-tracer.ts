import { randomUUID } from 'node:crypto';
import { FileExporter } from '../../exporters/file-exporter.js';
import { loadConfig, resolveDataDir, type AgentTraceConfig } from '../config.js';
import type { AgentEvent, AgentInfo, EventInput, GenerationOutput, Usage } from '../events/types.js';
import type { TraceDocument } from '../model/trace.js';
import type { TraceBuilder } from '../model/trace-builder.js';
import type { PriceTable } from '../model/pricing.js';
import { Redactor, type RedactionConfig } from '../redact.js';
import { validateEvent } from '../events/validate.js';
import { appendEvents, journalSize, readJournal } from '../store/journal.js';
import { logError } from '../store/log.js';
import { registerCrashHandling, unregisterCrashHandling } from './crash-handlers.js';
// OTLP export (issue 5): kept in its own module; the tracer only notifies it (see exporters/otlp/tracer-export.ts).
import { createTracerExport, type TracerExport, type TracerOtlpOptions } from '../../exporters/otlp/tracer-export.js';

export interface SessionTracerOptions {
  /** Defaults to a random UUID. An existing session id continues that session. */
  sessionId?: string;
  /** Data directory; defaults as the CLI does (AGENT_TRACE_DIR, the config file, the XDG data dir). */
  dir?: string;
  agent?: AgentInfo | string;
  cwd?: string;
  title?: string;
  model?: string;
  provider?: string;
  gitBranch?: string;
  /** Install exit, signal and uncaught-exception handlers that record a crash synchronously. */
  handleCrashes?: boolean;
  redaction?: RedactionConfig;
  prices?: PriceTable;
  /** Share one exporter between tracers (crash state stays per session). */
  exporter?: FileExporter;
  /** Shortest pause between two snapshot writes; grows with the cost of the last write. */
  snapshotDelayMs?: number;
  /** Called with any internal error (the tracer itself never throws into its host). */
  onError?: (error: unknown) => void;
  /**
   * OTLP export of finished spans (batched; flushed by `end()`; handed to a background export by the crash
   * path). On when an endpoint is set here, in OTEL_EXPORTER_OTLP_* or in the config file; `false` turns it off.
   */
  otlp?: TracerOtlpOptions | false;
}

export interface ModelCallStart {
  key?: string;
  model?: string;
  provider?: string;
  input?: unknown;
  agentKey?: string;
}

export interface ModelCallFinish {
  model?: string;
  usage?: Usage;
  text?: string;
  thinking?: string;
  toolCalls?: GenerationOutput['toolCalls'];
  finishReasons?: string[];
  responseId?: string;
  error?: string;
}

export interface ToolStart {
  key?: string;
  name: string;
  input?: unknown;
  agentKey?: string;
  toolType?: 'function' | 'extension';
}

export interface ToolFinish {
  output?: unknown;
  error?: string;
  errorType?: string;
}

export interface SessionTracer {
  readonly sessionId: string;
  readonly traceId: string;
  readonly dir: string;
  /** Records a normalized event (session id and time are filled in when missing). */
  record(event: EventInput): void;
  /** Starts a turn; returns its key. */
  userPrompt(prompt: string, options?: { key?: string }): string;
  turnEnd(options?: { key?: string; output?: string; error?: string }): void;
  modelCallStart(call?: ModelCallStart): string;
  modelCallFinish(key: string, result?: ModelCallFinish): void;
  toolStart(call: ToolStart): string;
  toolFinish(key: string, result?: ToolFinish): void;
  subagentStart(options: { key?: string; agentType: string; parentToolKey?: string; prompt?: string }): string;
  subagentFinish(key: string, options?: { status?: 'ok' | 'error'; output?: string }): void;
  compaction(options?: { trigger?: string; tokensBefore?: number; tokensAfter?: number; summary?: string }): void;
  text(text: string, options?: { agentKey?: string }): void;
  notify(message: string, options?: { kind?: 'notification' | 'permission' | 'api.error' }): void;
  /** Resolves when trace.json on disk equals the trace in memory. */
  flush(): Promise<void>;
  /** Finishes the session (completed unless told otherwise) and flushes. */
  end(status?: 'completed' | 'error'): Promise<void>;
  /** The crash path: records the crash and writes the trace synchronously. Safe in exit and signal handlers. */
  flushSync(reason: string): void;
  /** The trace as it stands in memory. */
  document(): TraceDocument;
}

const DEFAULT_DELAY_MS = 50;
const MAX_DELAY_MS = 5_000;

class Tracer implements SessionTracer {
  readonly sessionId: string;
  readonly dir: string;
  private readonly exporter: FileExporter;
  private readonly redactor: Redactor;
  private builder: TraceBuilder;
  private readonly journal: string;
  private journalBytes: number;
  private readonly minDelay: number;
  private readonly onError: ((error: unknown) => void) | undefined;
  private readonly handlesCrashes: boolean;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private dirty = false;
  private lastWriteMs = 0;
  private crashed = false;
  private ended = false;
  private keyCounter = 0;
  private otlp: TracerExport | undefined;

  constructor(options: SessionTracerOptions, config: AgentTraceConfig) {
    this.sessionId = options.sessionId ?? randomUUID();
    this.dir = options.exporter?.dir ?? options.dir ?? resolveDataDir(undefined, config);
    this.redactor = new Redactor(options.redaction ?? config.redaction);
    this.exporter = options.exporter ?? new FileExporter({ dir: this.dir, redactor: this.redactor, prices: options.prices ?? config.prices });
    this.minDelay = options.snapshotDelayMs ?? DEFAULT_DELAY_MS;
    this.onError = options.onError;
    this.handlesCrashes = options.handleCrashes === true;
    const store = this.exporter.store;
    this.journal = store.journalPath(this.sessionId);
    this.builder = store.newBuilder(this.sessionId);
    this.journalBytes = 0;
    let continuing = false;
    // Continue, never clobber: an existing journal is replayed so the same trace (same ids) goes on.
    this.guard('open', () => {
      store.ensureSession(this.sessionId);
      this.exporter.sweep(this.sessionId);
      const existing = readJournal(this.journal);
      for (const e of existing.events) this.builder.apply(e);
      this.journalBytes = existing.end;
      continuing = existing.events.length > 0;
      if (continuing && this.exporter.isCrashed(this.sessionId)) this.exporter.clearCrash(this.sessionId);
    });

    this.guard('otlp', () => {
      this.otlp = createTracerExport({
        dir: this.dir,
        sessionId: this.sessionId,
        store,
        options: options.otlp,
        config,
        builder: () => this.builder,
        report: (context, error) => this.report(context, error),
      });
    });

    const agent = typeof options.agent === 'string' ? { name: options.agent } : options.agent;
    this.record({
      type: 'session.start',
      source: 'sdk',
      reason: continuing ? 'resume' : 'startup',
      agent: agent ?? (continuing ? undefined : { name: 'agent' }),
      cwd: options.cwd,
      title: options.title,
      model: options.model,
      provider: options.provider,
      gitBranch: options.gitBranch,
      agentPid: process.pid,
    });
    if (this.handlesCrashes) registerCrashHandling(this);
  }

  get traceId(): string {
    return this.builder.traceId;
  }

  private guard(context: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.report(context, error);
    }
  }

  private report(context: string, error: unknown): void {
    logError(this.dir, `tracer ${context} (session ${this.sessionId})`, error);
    try {
      this.onError?.(error);
    } catch {
      // a failing error callback must not escape either
    }
  }

  private nextKey(prefix: string): string {
    this.keyCounter++;
    return `${prefix}-${this.builder.events + 1}-${this.keyCounter}`;
  }

  record(input: EventInput): void {
    this.guard('record', () => {
      const event = this.exporter.store.redactor.redactEvent(
        validateLoose({ ...input, sessionId: this.sessionId, time: input.time ?? Date.now(), source: input.source ?? 'sdk' }),
      );
      // The journal first: an event is accepted once it is on disk, then it joins the trace in memory.
      this.journalBytes += appendEvents(this.journal, [event]);
      this.builder.apply(event);
      this.otlp?.noteEvent(event);
      if (event.type === 'session.end') this.ended = true;
      else if (event.type === 'session.start') this.ended = false;
      this.scheduleSnapshot();
    });
  }

  userPrompt(prompt: string, options: { key?: string } = {}): string {
    const key = options.key ?? this.nextKey('turn');
    this.record({ type: 'turn.start', prompt, key });
    return key;
  }

  turnEnd(options: { key?: string; output?: string; error?: string } = {}): void {
    this.record({
      type: 'turn.end',
      key: options.key,
      output: options.output,
      status: options.error ? 'error' : 'ok',
      reason: options.error,
    });
  }

  modelCallStart(call: ModelCallStart = {}): string {
    const key = call.key ?? this.nextKey('gen');
    this.record({ type: 'generation.start', key, model: call.model, provider: call.provider, input: call.input, agentKey: call.agentKey });
    return key;
  }

  modelCallFinish(key: string, result: ModelCallFinish = {}): void {
    const output: GenerationOutput = {};
    if (result.text !== undefined) output.text = result.text;
    if (result.thinking !== undefined) output.thinking = result.thinking;
    if (result.toolCalls) output.toolCalls = result.toolCalls;
    this.record({
      type: 'generation.end',
      key,
      model: result.model,
      usage: result.usage,
      output: Object.keys(output).length ? output : undefined,
      finishReasons: result.finishReasons,
      responseId: result.responseId,
      error: result.error,
    });
  }

  toolStart(call: ToolStart): string {
    const key = call.key ?? this.nextKey('tool');
    this.record({ type: 'tool.start', key, name: call.name, input: call.input, agentKey: call.agentKey, toolType: call.toolType });
    return key;
  }

  toolFinish(key: string, result: ToolFinish = {}): void {
    this.record({ type: 'tool.end', key, output: result.output, error: result.error, errorType: result.errorType });
  }

  subagentStart(options: { key?: string; agentType: string; parentToolKey?: string; prompt?: string }): string {
    const key = options.key ?? this.nextKey('agent');
    this.record({ type: 'subagent.start', key, agentType: options.agentType, parentToolKey: options.parentToolKey, prompt: options.prompt });
    return key;
  }

  subagentFinish(key: string, options: { status?: 'ok' | 'error'; output?: string } = {}): void {
    this.record({ type: 'subagent.end', key, status: options.status, output: options.output });
  }

  compaction(options: { trigger?: string; tokensBefore?: number; tokensAfter?: number; summary?: string } = {}): void {
    const key = this.nextKey('compact');
    this.record({ type: 'compaction.end', key, trigger: options.trigger, tokensBefore: options.tokensBefore, tokensAfter: options.tokensAfter, summary: options.summary });
  }

  text(text: string, options: { agentKey?: string } = {}): void {
    this.record({ type: 'text', role: 'assistant', text, agentKey: options.agentKey });
  }

  notify(message: string, options: { kind?: 'notification' | 'permission' | 'api.error' } = {}): void {
    this.record({ type: options.kind ?? 'notification', message });
  }

  // ——— writing ———

  private delay(): number {
    return Math.min(MAX_DELAY_MS, Math.max(this.minDelay, this.lastWriteMs * 8));
  }

  /** Coalesced snapshots: at most one write in flight and one follow-up scheduled, whatever the event rate. */
  private scheduleSnapshot(): void {
    this.dirty = true;
    if (this.timer || this.inFlight || this.crashed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.snapshot();
    }, this.delay());
    this.timer.unref();
  }

  private snapshot(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (!this.dirty || this.crashed) return Promise.resolve();
    this.dirty = false;
    const started = performance.now();
    this.inFlight = this.writeOnce()
      .catch((error: unknown) => {
        this.dirty = true;
        this.report('snapshot', error);
      })
      .finally(() => {
        this.lastWriteMs = performance.now() - started;
        this.inFlight = undefined;
        // Events that arrived during the write get their own write, without waiting for a later event.
        if (this.dirty && !this.crashed) this.scheduleSnapshot();
      });
    return this.inFlight;
  }

  private async writeOnce(): Promise<void> {
    // Another process appended to this session: rebuild from the journal so its events are not overwritten.
    if (journalSize(this.journal) !== this.journalBytes) {
      const { events, end } = readJournal(this.journal);
      const builder = this.exporter.store.newBuilder(this.sessionId);
      for (const e of events) builder.apply(e);
      this.builder = builder;
      this.journalBytes = end;
    }
    await this.exporter.writeTrace(this.builder, this.journalBytes);
  }

  async flush(): Promise<void> {
    try {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      while (this.inFlight || (this.dirty && !this.crashed)) {
        if (this.inFlight) await this.inFlight;
        else await this.snapshot();
        if (this.timer) {
          clearTimeout(this.timer);
          this.timer = undefined;
        }
      }
    } catch (error) {
      this.report('flush', error);
    }
  }

  async end(status: 'completed' | 'error' = 'completed'): Promise<void> {
    this.record({ type: 'session.end', status });
    await this.flush();
    await this.otlp?.end();
    if (this.handlesCrashes) unregisterCrashHandling(this);
  }

  flushSync(reason: string): void {
    if (this.crashed) return;
    this.guard('flushSync', () => {
      this.crashed = true;
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      const event = this.exporter.store.redactor.redactEvent(
        validateLoose({ type: 'session.crash', sessionId: this.sessionId, time: Date.now(), source: 'sdk', reason }),
      );
      this.builder.apply(event);
      try {
        this.journalBytes += appendEvents(this.journal, [event]);
      } finally {
        this.exporter.writeCrashSync(this.builder, this.journalBytes, reason);
      }
    });
    this.otlp?.handOffSync();
  }

  /** Called from the process 'exit' handler: a session left without end() was interrupted, not crashed. */
  finishOnExit(code: number): void {
    if (this.crashed || this.ended) return;
    if (code !== 0) {
      this.flushSync(`process exited with code ${code}`);
      return;
    }
    this.guard('exit', () => {
      this.record({ type: 'session.interrupted', reason: 'process exited without end()' });
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.exporter.writeTraceSync(this.builder, this.journalBytes);
    });
    this.otlp?.handOffSync();
  }

  document(): TraceDocument {
    return this.builder.toDocument();
  }
}

function validateLoose(event: Record<string, unknown>): AgentEvent {
  // Drop undefined fields so the journal line holds only what was said.
  for (const k of Object.keys(event)) if (event[k] === undefined) delete event[k];
  return validateEvent(event);
}

/**
 * An in-process tracer for an agent written in TypeScript or JavaScript. Never throws: problems are written
 * to `<dir>/agent-trace.log` and passed to `onError`.
 */
export function createSessionTracer(options: SessionTracerOptions = {}): SessionTracer {
  let config: AgentTraceConfig = {};
  try {
    config = loadConfig();
  } catch (error) {
    options.onError?.(error);
  }
  return new Tracer(options, config);
}

export type { Tracer };
