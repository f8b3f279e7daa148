import type { AgentEvent, EventBody, Usage } from '../../events/types.js';

/**
 * What the transcript parser knows between two reads (`ParserState`, plain JSON, kept on disk by the hook)
 * and while it reads (`TranscriptContext`): the line handlers (transcript-*.ts) change the state and emit
 * events through it.
 */

export interface OpenMessage {
  id: string;
  start: number;
  time: number;
  model?: string;
  usage?: Usage;
  stop?: string;
  text?: string;
  thinking?: string;
  toolCalls?: Array<{ id: string; name: string }>;
  turnKey?: string;
  /** Changed since it was last emitted (a response may grow across reads: re-emitted whole). */
  dirty?: boolean;
  /** Seen only through `agent_progress` copies, whose usage is what had streamed so far. */
  provisional?: boolean;
}

export interface ThreadState {
  /** Time of the last user/assistant line of this thread: when its next request was sent. */
  last?: number;
  msg?: OpenMessage;
}

export interface ToolInfo {
  name: string;
  agentKey?: string;
  turnKey?: string;
  /** Task/Agent calls: what the subagent will be asked, to recognise its inline sidechain. */
  prompt?: string;
  agentType?: string;
  /** The subagent this call spawned, once known. */
  agent?: string;
}

export interface AgentInfoState {
  started?: boolean;
  parent?: string;
  type?: string;
  ended?: boolean;
  last?: number;
  prompted?: boolean;
}

/** Everything the parser knows between two reads. Plain JSON. */
export interface ParserState {
  v: 1;
  meta: { version?: string; cwd?: string; gitBranch?: string; title?: string };
  /** Occurrences of each prompt text (by hash): the nth time a text is typed names the nth turn. */
  prompts: Record<string, number>;
  turnKey?: string;
  /** Latest activity seen in the current turn (its end, when nothing closes it). */
  turnLast?: number;
  pendingCommand?: { prompt: string; time: number };
  /** Compaction boundaries seen; `summarized` once the latest got its summary. */
  compactions: number;
  /** When each compaction happened (the latest ones): a PreCompact read later than it fired still numbers its own. */
  compactionTimes?: number[];
  summarized: boolean;
  threads: Record<string, ThreadState>;
  tools: Record<string, ToolInfo>;
  agents: Record<string, AgentInfoState>;
  sidechains: Record<string, string>;
  queue: string[];
  last?: number;
  /** The time of the last line that was not a queue operation, in file order (when the agent was last seen working). */
  lastWork?: number;
  /** The last assistant text of the main thread (lets a Stop hook tell whether the transcript caught up). */
  lastText?: string;
  /** A title seen before any timestamped line. */
  pendingTitle?: string;
}

export function emptyState(): ParserState {
  return { v: 1, meta: {}, prompts: {}, compactions: 0, summarized: true, threads: {}, tools: {}, agents: {}, sidechains: {}, queue: [] };
}

export interface ParserOptions {
  /** Every line of this file belongs to this subagent (a `subagents/agent-<id>.jsonl` file). */
  agentKey?: string;
  /**
   * The redaction the store applies (`Redactor.redactString`). Text kept in the parser state (which is
   * written to disk) goes through it, and prompts are keyed by their redacted form — the form the hook's
   * UserPromptSubmit prompt has in the journal — so a prompt holding a secret is still one turn.
   */
  scrub?: (text: string) => string;
}

/** The parser's context while it reads: the session, the state, the redaction, the events produced so far. */
export interface TranscriptContext {
  readonly sessionId: string;
  readonly state: ParserState;
  /** Every line belongs to this subagent (a `subagents/agent-<id>.jsonl` file). */
  readonly fixedAgent: string | undefined;
  readonly scrub: (text: string) => string;
  out: AgentEvent[];
}

export function emit(c: TranscriptContext, e: EventBody): void {
  c.out.push({ ...e, sessionId: c.sessionId, source: 'transcript' });
}

export function thread(c: TranscriptContext, key: string): ThreadState {
  return (c.state.threads[key] ??= {});
}

/** Lines are not always written in time order: a thread's clock only moves forward. */
export function seen(c: TranscriptContext, threadKey: string, time: number): void {
  const t = thread(c, threadKey);
  if (t.last === undefined || time > t.last) t.last = time;
}
