/**
 * The normalized event model: every agent source (hooks, transcripts, the in-process tracer, an OTel SDK
 * pipeline) is turned into these events before anything is stored. The journal holds them one per line.
 *
 * Every event names its session and its time (epoch ms). Events that open or close a span carry a stable
 * `key` (tool_use_id, message id, agent id …) from which the span id is derived, so the same fact recorded
 * twice — by a hook and later by the transcript — lands on the same span instead of duplicating it.
 */

export type EventSource = 'hook' | 'transcript' | 'sdk' | 'otel' | 'import' | 'system';

/** Token counts as providers bill them: `input` excludes cache reads and cache writes. */
export interface Usage {
  input?: number;
  output?: number;
  cacheRead?: number;
  /** Every cache write, whatever its lifetime. */
  cacheWrite?: number;
  /** Of `cacheWrite`, the tokens written for one hour (billed 2× input; the rest is 5-minute, 1.25×). */
  cacheWrite1h?: number;
  reasoning?: number;
}

export interface AgentInfo {
  name: string;
  version?: string;
}

export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type Attributes = Record<string, AttributeValue>;

interface EventBase {
  sessionId: string;
  /** Epoch milliseconds. */
  time: number;
  source?: EventSource;
  /** Extra span attributes the source knows (kept verbatim). */
  attributes?: Attributes;
  /** The spool file a hook event came from (lets a reconciler taken over after a kill ingest it exactly once). */
  spool?: string;
}

/** Places a model call, tool, text or compaction inside a subagent or a given turn instead of the main thread. */
interface Placement {
  /** Key of the subagent this happened in. */
  agentKey?: string;
  /** Key of the turn this belongs to; by default the turn open at `time`. */
  turnKey?: string;
}

export interface SessionStartEvent extends EventBase {
  type: 'session.start';
  agent?: AgentInfo;
  /** startup | resume | clear | compact …: `resume` closes work left open by a previous process. */
  reason?: string;
  cwd?: string;
  gitBranch?: string;
  title?: string;
  model?: string;
  provider?: string;
  /** The agent's process id, used to notice a session whose agent went away without a clean end. */
  agentPid?: number;
}

/** Facts about the session learnt along the way (title, version, branch …). */
export interface SessionMetaEvent extends EventBase {
  type: 'session.meta';
  agent?: AgentInfo;
  cwd?: string;
  gitBranch?: string;
  title?: string;
  model?: string;
  provider?: string;
}

export interface SessionEndEvent extends EventBase {
  type: 'session.end';
  status?: 'completed' | 'error';
  reason?: string;
}

/** The agent went away without a clean end (its process is gone, or the session sat idle too long). */
export interface SessionInterruptedEvent extends EventBase {
  type: 'session.interrupted';
  reason?: string;
}

export interface SessionCrashEvent extends EventBase {
  type: 'session.crash';
  reason?: string;
  error?: string;
}

export interface TurnStartEvent extends EventBase {
  type: 'turn.start';
  /** What the person typed. */
  prompt: string;
  key?: string;
}

export interface TurnEndEvent extends EventBase {
  type: 'turn.end';
  key?: string;
  status?: 'ok' | 'error';
  reason?: string;
  /** The final assistant message of the turn, when the source knows it. */
  output?: string;
}

export interface GenerationOutput {
  text?: string;
  thinking?: string;
  toolCalls?: Array<{ id: string; name: string }>;
}

export interface GenerationStartEvent extends EventBase, Placement {
  type: 'generation.start';
  key: string;
  model?: string;
  provider?: string;
  input?: unknown;
}

/** Closes a model call; may stand alone (with `startTime`) for sources that only see finished calls. */
export interface GenerationEndEvent extends EventBase, Placement {
  type: 'generation.end';
  key: string;
  startTime?: number;
  model?: string;
  provider?: string;
  responseId?: string;
  finishReasons?: string[];
  usage?: Usage;
  output?: GenerationOutput;
  error?: string;
}

export interface ToolStartEvent extends EventBase, Placement {
  type: 'tool.start';
  key: string;
  name: string;
  input?: unknown;
  /** function, or extension for MCP tools. */
  toolType?: 'function' | 'extension';
}

export interface ToolEndEvent extends EventBase, Placement {
  type: 'tool.end';
  key: string;
  name?: string;
  startTime?: number;
  input?: unknown;
  output?: unknown;
  /** Present when the tool failed. */
  error?: string;
  errorType?: string;
}

export interface SubagentStartEvent extends EventBase {
  type: 'subagent.start';
  key: string;
  agentType?: string;
  /** The tool call (Task/Agent) that spawned it. */
  parentToolKey?: string;
  /** The subagent this one was spawned from, when nested. */
  agentKey?: string;
  prompt?: string;
}

export interface SubagentEndEvent extends EventBase {
  type: 'subagent.end';
  key: string;
  agentType?: string;
  status?: 'ok' | 'error';
  output?: string;
}

export interface CompactionStartEvent extends EventBase, Placement {
  type: 'compaction.start';
  key?: string;
  trigger?: string;
  tokensBefore?: number;
}

export interface CompactionEndEvent extends EventBase, Placement {
  type: 'compaction.end';
  key?: string;
  trigger?: string;
  startTime?: number;
  tokensBefore?: number;
  tokensAfter?: number;
  summary?: string;
}

/** Assistant (or system) text that is not part of a recorded model call. */
export interface TextEvent extends EventBase, Placement {
  type: 'text';
  role: 'assistant' | 'system';
  text: string;
}

/** Moments that become span events: permission waits, notifications, API errors, interrupts. */
export interface MarkEvent extends EventBase, Placement {
  type: 'notification' | 'permission' | 'api.error' | 'interrupt';
  message?: string;
  /** The tool the mark concerns (a permission request names it). */
  toolKey?: string;
  toolName?: string;
}

/** A span produced by an OpenTelemetry SDK pipeline, kept as it came. */
export interface OtelSpanEvent extends EventBase {
  type: 'otel.span';
  traceId: string;
  spanId: string;
  parentSpanId?: string | null;
  name: string;
  startTime: number;
  endTime?: number;
  status?: 'ok' | 'error' | 'unset';
  statusMessage?: string;
  events?: Array<{ name: string; time: number; attributes?: Attributes }>;
}

export type AgentEvent =
  | SessionStartEvent
  | SessionMetaEvent
  | SessionEndEvent
  | SessionInterruptedEvent
  | SessionCrashEvent
  | TurnStartEvent
  | TurnEndEvent
  | GenerationStartEvent
  | GenerationEndEvent
  | ToolStartEvent
  | ToolEndEvent
  | SubagentStartEvent
  | SubagentEndEvent
  | CompactionStartEvent
  | CompactionEndEvent
  | TextEvent
  | MarkEvent
  | OtelSpanEvent;

export type AgentEventType = AgentEvent['type'];

/** An event as callers hand it in: the tracer fills in the session id and the time. */
export type EventInput = AgentEvent extends infer E
  ? E extends AgentEvent
    ? Omit<E, 'sessionId' | 'time'> & { sessionId?: string; time?: number }
    : never
  : never;

/** An event as an adapter builds it, before its session id and source are stamped on. */
export type EventBody = AgentEvent extends infer E ? (E extends AgentEvent ? Omit<E, 'sessionId' | 'source'> : never) : never;
