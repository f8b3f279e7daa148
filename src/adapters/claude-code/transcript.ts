/**
 * Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl`, subagents in
 * `<session>/subagents/agent-<id>.jsonl`) turned into normalized events, incrementally.
 *
 * The parser is fed one JSON line at a time and keeps every piece of cross-line knowledge in a plain,
 * JSON-serializable `ParserState`, so a hook can read only the lines appended since its last visit (from a
 * remembered byte offset) and continue exactly where it stopped: a long session costs O(new lines) per turn.
 *
 * What the real transcripts taught (see test/claude-transcript.test.ts):
 * - one API response is written as several lines (one per content block) repeating `message.id` and
 *   `usage`; earlier lines carry a partial `output_tokens`, so a response is counted once, with the usage of
 *   its LAST line, and lines of one response may be interleaved with the results of its tool calls;
 * - assistant lines whose model is `<synthetic>` are made locally (API errors, "No response requested"),
 *   not API responses;
 * - user lines are not all prompts: tool results, `isMeta` expansions, `<command-name>`/`<local-command-…>`
 *   wrappers, `isCompactSummary` summaries and `[Request interrupted by user]` markers are not the person's
 *   words; a slash command that reaches the model counts as the prompt `/name args`;
 * - a prompt typed while the agent works is queued (`queue-operation` enqueue) and, when absorbed mid-turn,
 *   removed (`remove`) without any user line or UserPromptSubmit hook;
 * - subagents appear as separate files (2.1), as `agent_progress` progress lines carrying the subagent's
 *   messages (2.1.x), or inline as `isSidechain` lines without an agent id (2.0.x);
 * - background (async) Task agents return at once (`toolUseResult.status: async_launched`, `agentId`) and
 *   report completion later through a `<task-notification>` queue item.
 */
import type { AgentEvent, EventBody, GenerationOutput, Usage } from '../../events/types.js';
import { shortHash } from '../../model/ids.js';
import { AGENT_NAME, classifyUserText, noticeOf, tag, turnKeyFor, type Notice } from './prompt.js';

export { AGENT_NAME, classifyUserText, normalizePrompt, turnKeyFor } from './prompt.js';

const PROVIDER = 'anthropic';
const SPAWNING = new Set(['Task', 'Agent']);
const MAX_SIDECHAIN_LINKS = 20_000;

interface OpenMessage {
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

interface ThreadState {
  /** Time of the last user/assistant line of this thread: when its next request was sent. */
  last?: number;
  msg?: OpenMessage;
}

interface ToolInfo {
  name: string;
  agentKey?: string;
  turnKey?: string;
  /** Task/Agent calls: what the subagent will be asked, to recognise its inline sidechain. */
  prompt?: string;
  agentType?: string;
  /** The subagent this call spawned, once known. */
  agent?: string;
}

interface AgentInfoState {
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

type Line = Record<string, unknown>;
type Block = Record<string, unknown>;

/** Inline images up to this size keep their data (a thumbnail); larger ones only their type and size. */
const THUMBNAIL_BYTES = 6_144;

export interface ImageNote {
  type: 'image';
  media_type: string;
  /** Decoded size, when the data was inline. */
  bytes?: number;
  /** Base64 data, only for a small inline image. */
  data?: string;
}

/** What an image block was, without its data unless it is small: media type and size. */
export function imageNote(block: Block): ImageNote {
  const source = block.source && typeof block.source === 'object' ? (block.source as Record<string, unknown>) : {};
  const media = str(source.media_type) ?? str(block.media_type) ?? 'image';
  const data = typeof source.data === 'string' ? source.data : undefined;
  const bytes = data !== undefined ? Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0) : undefined;
  return { type: 'image', media_type: media, ...(bytes !== undefined ? { bytes } : {}), ...(data !== undefined && bytes !== undefined && bytes <= THUMBNAIL_BYTES ? { data } : {}) };
}

function imageText(note: ImageNote): string {
  const size = note.bytes === undefined ? '' : note.bytes >= 1024 ? `, ${Math.round(note.bytes / 1024)} KB` : `, ${note.bytes} bytes`;
  return `[image: ${note.media_type}${size}]`;
}

export function toolResultText(content: unknown): unknown {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content;
  const parts: string[] = [];
  for (const b of content as Block[]) {
    if (b?.type === 'text' && typeof b.text === 'string') parts.push(b.text);
    else if (b?.type === 'image') parts.push(imageText(imageNote(b)));
    else if (b && typeof b === 'object') parts.push(JSON.stringify(b));
  }
  return parts.join('\n');
}

export function usageOf(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const n = (k: string, from: Record<string, unknown> = u) => (typeof from[k] === 'number' && Number.isFinite(from[k]) ? (from[k] as number) : 0);
  // `cache_creation` splits the writes by lifetime (1-hour writes cost 2× input, 5-minute ones 1.25×);
  // without it (older versions) every write was a 5-minute one.
  const split = u.cache_creation && typeof u.cache_creation === 'object' ? (u.cache_creation as Record<string, unknown>) : undefined;
  const cacheWrite = n('cache_creation_input_tokens');
  const cacheWrite1h = split ? Math.min(cacheWrite, n('ephemeral_1h_input_tokens', split)) : 0;
  return {
    input: n('input_tokens'),
    output: n('output_tokens'),
    cacheRead: n('cache_read_input_tokens'),
    cacheWrite,
    ...(cacheWrite1h > 0 ? { cacheWrite1h } : {}),
  };
}

function timeOf(line: Line, fallback: number | undefined): number | undefined {
  const t = line.timestamp;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  } else if (typeof t === 'number' && Number.isFinite(t)) return t;
  return fallback;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Parses transcript lines into events; `drain()` returns what the lines fed so far produced. */
export class TranscriptParser {
  readonly sessionId: string;
  readonly state: ParserState;
  private readonly fixedAgent: string | undefined;
  private readonly scrub: (text: string) => string;
  private out: AgentEvent[] = [];

  constructor(sessionId: string, state?: ParserState, options: ParserOptions = {}) {
    this.sessionId = sessionId;
    this.state = state && state.v === 1 ? state : emptyState();
    this.fixedAgent = options.agentKey;
    this.scrub = options.scrub ?? ((t) => t);
  }

  /** Whether the main thread's last assistant text is this one (a Stop hook's `last_assistant_message`). */
  saidLast(text: string): boolean {
    const norm = (t: string) => t.replace(/\s+/g, ' ').trim();
    const want = norm(this.scrub(text));
    const have = norm(this.state.lastText ?? '');
    return have.length > 0 && (want === have || want.endsWith(have) || have.endsWith(want));
  }

  /** Feeds one parsed line. Never throws on odd shapes: anything it does not understand is skipped. */
  feed(raw: unknown): void {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return;
    const line = raw as Line;
    try {
      this.line(line, this.fixedAgent);
    } catch {
      // a line of an unexpected shape must not stop the rest of the transcript
    }
  }

  /** Events produced since the last drain, with every response still open emitted in its current state. */
  drain(): AgentEvent[] {
    for (const key of Object.keys(this.state.threads)) this.emitMessage(key, false);
    const out = this.out;
    this.out = [];
    return out;
  }

  /**
   * The transcript is complete (an import, or the session ended): close what only an end would close —
   * the last turn at its last activity, subagents at their last line.
   */
  finish(): AgentEvent[] {
    for (const key of Object.keys(this.state.threads)) this.emitMessage(key, true);
    const s = this.state;
    if (s.pendingCommand) s.pendingCommand = undefined;
    for (const [key, a] of Object.entries(s.agents)) {
      if (a.started && !a.ended && a.last !== undefined) {
        a.ended = true;
        this.emit({ type: 'subagent.end', key, time: a.last, status: 'ok' });
      }
    }
    if (s.turnKey && s.turnLast !== undefined) {
      this.emit({ type: 'turn.end', key: s.turnKey, time: s.turnLast });
      s.turnKey = undefined;
      s.turnLast = undefined;
    }
    return this.drain();
  }

  // ——— lines ———

  private line(line: Line, forcedAgent: string | undefined): void {
    const type = line.type;
    const time = timeOf(line, this.state.last);
    if (time === undefined) {
      // A title written before any timestamped line waits for the first time the transcript gives (a
      // session never starts in 1970).
      if (type === 'custom-title' && str(line.customTitle)) {
        if (this.state.last !== undefined) this.meta(line, this.state.last, str(line.customTitle));
        else this.state.pendingTitle = str(line.customTitle);
      }
      return;
    }
    if (this.state.last === undefined || time > this.state.last) this.state.last = time;
    if (this.state.pendingTitle !== undefined) {
      const title = this.state.pendingTitle;
      this.state.pendingTitle = undefined;
      this.meta({}, time, title);
    }
    switch (type) {
      case 'assistant':
        this.meta(line, time);
        this.assistant(line, time, this.threadOf(line, forcedAgent));
        break;
      case 'user':
        this.meta(line, time);
        this.user(line, time, this.threadOf(line, forcedAgent));
        break;
      case 'system':
        this.meta(line, time);
        this.system(line, time);
        break;
      case 'progress':
        this.progress(line, time);
        break;
      case 'queue-operation':
        this.queue(line, time);
        break;
      case 'custom-title':
        if (str(line.customTitle)) this.meta(line, time, str(line.customTitle));
        break;
      default:
        break;
    }
    if (type !== 'queue-operation') this.state.lastWork = time;
  }

  private meta(line: Line, time: number, title?: string): void {
    if (this.fixedAgent) return;
    const m = this.state.meta;
    const version = str(line.version);
    const cwd = str(line.cwd);
    const gitBranch = str(line.gitBranch);
    const changed =
      (version !== undefined && version !== m.version) ||
      (cwd !== undefined && cwd !== m.cwd) ||
      (gitBranch !== undefined && gitBranch !== m.gitBranch) ||
      (title !== undefined && title !== m.title);
    if (!changed) return;
    if (version) m.version = version;
    if (cwd) m.cwd = cwd;
    if (gitBranch) m.gitBranch = gitBranch;
    if (title) m.title = title;
    this.emit({
      type: 'session.meta',
      time,
      agent: { name: AGENT_NAME, ...(m.version ? { version: m.version } : {}) },
      provider: PROVIDER,
      ...(m.cwd ? { cwd: m.cwd } : {}),
      ...(m.gitBranch ? { gitBranch: m.gitBranch } : {}),
      ...(title ? { title } : {}),
    });
  }

  /** '' for the main thread, else the subagent key the line belongs to. */
  private threadOf(line: Line, forcedAgent: string | undefined): string {
    if (forcedAgent) return forcedAgent;
    if (line.isSidechain !== true) return '';
    const s = this.state;
    const agentId = str(line.agentId);
    let key = agentId;
    const parentUuid = str(line.parentUuid);
    if (!key && parentUuid) key = s.sidechains[parentUuid];
    if (!key) {
      // The first line of an inline (2.0.x) sidechain is the prompt a Task call gave its subagent.
      const c = classifyUserText((line.message as Line | undefined)?.content);
      const text = c.kind === 'prompt' ? c.text : undefined;
      let match: string | undefined;
      let fallback: string | undefined;
      for (const [id, t] of Object.entries(s.tools)) {
        if (!SPAWNING.has(t.name) || t.agent) continue;
        if (text !== undefined && t.prompt !== undefined && t.prompt.trim() === this.scrub(text).trim()) {
          match = id;
          break;
        }
        fallback ??= id;
      }
      const toolId = match ?? fallback;
      key = toolId ?? `sidechain-${str(line.uuid) ?? shortHash(JSON.stringify(line), 12)}`;
      if (toolId) {
        s.tools[toolId]!.agent = key;
        this.startAgent(key, time0(line, s.last), { parent: toolId, agentType: s.tools[toolId]!.agentType });
      }
    }
    const uuid = str(line.uuid);
    if (uuid && key) {
      s.sidechains[uuid] = key;
      const keys = Object.keys(s.sidechains);
      if (keys.length > MAX_SIDECHAIN_LINKS) for (const k of keys.slice(0, keys.length - MAX_SIDECHAIN_LINKS)) delete s.sidechains[k];
    }
    return key ?? '';
  }

  private thread(key: string): ThreadState {
    return (this.state.threads[key] ??= {});
  }

  /** Lines are not always written in time order: a thread's clock only moves forward. */
  private seen(threadKey: string, time: number): void {
    const t = this.thread(threadKey);
    if (t.last === undefined || time > t.last) t.last = time;
  }

  private assistant(line: Line, time: number, threadKey: string): void {
    const msg = line.message as Line | undefined;
    if (!msg || typeof msg !== 'object') return;
    const model = str(msg.model);
    const content = Array.isArray(msg.content) ? (msg.content as Block[]) : typeof msg.content === 'string' ? [{ type: 'text', text: msg.content }] : [];
    const agentKey = threadKey || undefined;
    if (agentKey) this.touchAgent(agentKey, time);
    if (model === '<synthetic>' || line.isApiErrorMessage === true) {
      // Made locally: not an API response. An API error is worth a mark; anything else is noise.
      const text = content.map((b) => (typeof b.text === 'string' ? b.text : '')).join('\n').trim();
      if (line.isApiErrorMessage === true || /^API Error/i.test(text)) {
        this.emit({ type: 'api.error', time, message: text || 'API error', ...this.place(agentKey) });
      }
      this.seen(threadKey, time);
      return;
    }
    if (!agentKey) this.startPendingCommand();
    const thread = this.thread(threadKey);
    const id = str(msg.id) ?? str(line.requestId) ?? str(line.uuid) ?? `line-${time}`;
    if (thread.msg && thread.msg.id !== id) this.emitMessage(threadKey, true);
    let m = thread.msg;
    if (!m) {
      m = { id, start: thread.last !== undefined && thread.last <= time ? thread.last : time, time, turnKey: agentKey ? undefined : this.state.turnKey };
      thread.msg = m;
    }
    m.time = Math.max(m.time, time);
    m.dirty = true;
    if (line.progressCopy === true) m.provisional = true;
    if (model) m.model = model;
    const usage = usageOf(msg.usage);
    if (usage) m.usage = usage;
    if (str(msg.stop_reason)) m.stop = msg.stop_reason as string;
    for (const b of content) {
      if (!b || typeof b !== 'object') continue;
      if (b.type === 'text' && typeof b.text === 'string') {
        const text = this.scrub(b.text);
        m.text = m.text ? `${m.text}\n${text}` : text;
        if (!agentKey && text.trim()) this.state.lastText = text;
      } else if (b.type === 'thinking' && typeof b.thinking === 'string') {
        const thinking = this.scrub(b.thinking);
        m.thinking = m.thinking ? `${m.thinking}\n${thinking}` : thinking;
      } else if (b.type === 'tool_use' && typeof b.id === 'string') {
        const name = str(b.name) ?? 'unknown';
        (m.toolCalls ??= []).push({ id: b.id, name });
        this.toolStart(b.id, name, b.input, time, agentKey);
      }
    }
    this.seen(threadKey, time);
    this.noteTurnActivity(agentKey, time);
  }

  private toolStart(id: string, name: string, input: unknown, time: number, agentKey: string | undefined): void {
    const s = this.state;
    if (s.tools[id]) return;
    const info: ToolInfo = { name, ...(agentKey ? { agentKey } : s.turnKey ? { turnKey: s.turnKey } : {}) };
    if (SPAWNING.has(name) && input && typeof input === 'object') {
      const i = input as Record<string, unknown>;
      if (typeof i.prompt === 'string') info.prompt = this.scrub(i.prompt);
      if (typeof i.subagent_type === 'string') info.agentType = i.subagent_type;
    }
    s.tools[id] = info;
    this.emit({
      type: 'tool.start',
      key: id,
      name,
      time,
      ...(input !== undefined ? { input } : {}),
      toolType: name.startsWith('mcp__') ? 'extension' : 'function',
      ...this.placeTool(info),
    });
  }

  private user(line: Line, time: number, threadKey: string): void {
    const msg = line.message as Line | undefined;
    const content = msg && typeof msg === 'object' ? msg.content : undefined;
    const agentKey = threadKey || undefined;
    const s = this.state;
    if (agentKey) this.touchAgent(agentKey, time);
    if (line.isCompactSummary === true) {
      this.compactSummary(content, time);
      return;
    }
    let results = false;
    if (Array.isArray(content)) {
      for (const b of content as Block[]) {
        if (b?.type === 'tool_result' && typeof b.tool_use_id === 'string') {
          results = true;
          this.toolResult(b, line, time, agentKey);
        }
      }
    }
    if (results) {
      this.seen(threadKey, time);
      this.noteTurnActivity(agentKey, time);
    }
    if (line.isMeta === true || line.isVisibleInTranscriptOnly === true || line.isSynthetic === true) return;
    if (!agentKey && !results) {
      const origin = line.origin && typeof line.origin === 'object' ? str((line.origin as Line).kind) : undefined;
      const raw = typeof content === 'string' ? content : Array.isArray(content) ? (content as Block[]).map((b) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('\n') : '';
      const notice = noticeOf(raw, origin);
      if (notice) {
        this.startNotice(notice, time);
        return;
      }
    }
    const c = classifyUserText(content);
    if (c.kind === 'none') {
      // A command that printed its output locally (`/model`, `/mcp`, `/clear` …) never reached the model.
      if (!agentKey && s.pendingCommand && /<local-command-std(out|err)>/.test(typeof content === 'string' ? content : JSON.stringify(content ?? ''))) s.pendingCommand = undefined;
      return;
    }
    if (agentKey) {
      // A subagent's first words are the task it was given.
      const a = (s.agents[agentKey] ??= {});
      if (c.kind === 'prompt' && !a.prompted) {
        a.prompted = true;
        this.startAgent(agentKey, time, { prompt: c.text });
      }
      this.seen(threadKey, time);
      return;
    }
    if (c.kind === 'interrupt') {
      this.emitMessage('', true);
      this.emit({ type: 'interrupt', time, message: c.text, ...(s.turnKey ? { turnKey: s.turnKey } : {}) });
      if (s.turnKey) {
        this.emit({ type: 'turn.end', key: s.turnKey, time });
        s.turnKey = undefined;
        s.turnLast = undefined;
      }
      this.seen('', time);
      return;
    }
    if (c.kind === 'command') {
      // Only a command that reaches the model (an expansion or a response follows) is a turn.
      s.pendingCommand = { prompt: this.scrub(c.text), time };
      this.seen('', time);
      return;
    }
    // Images pasted into the prompt are kept as what they were (type, size; a thumbnail when small).
    const images = Array.isArray(content) ? (content as Block[]).filter((b) => b?.type === 'image').map(imageNote) : [];
    this.startTurn(this.scrub(c.text), time, images);
  }

  private toolResult(b: Block, line: Line, time: number, agentKey: string | undefined): void {
    const s = this.state;
    const id = b.tool_use_id as string;
    const info = s.tools[id] ?? { name: 'unknown', ...(agentKey ? { agentKey } : {}) };
    const output = toolResultText(b.content);
    const isError = b.is_error === true;
    const text = typeof output === 'string' ? output : JSON.stringify(output ?? '');
    // A call whose process died before its result was written is answered by the next process that resumes the
    // session ("[Tool call interrupted: the session ended before…]"), written at resume time: it ended when the
    // agent was last seen working, not when someone resumed the session.
    const orphaned = isError && ORPHANED_CALL.test(text.trim());
    const end = orphaned && s.lastWork !== undefined ? Math.min(time, s.lastWork) : time;
    this.emit({
      type: 'tool.end',
      key: id,
      time: end,
      ...(info.name !== 'unknown' ? { name: info.name } : {}),
      ...(output !== undefined ? { output } : {}),
      ...(isError
        ? {
            error: text.replace(/<\/?tool_use_error>/g, '').trim() || 'tool error',
            errorType: orphaned || isStopped(text, line.toolUseResult) ? 'interrupted' : text.includes('<tool_use_error>') ? 'tool_use_error' : 'tool_error',
          }
        : {}),
      ...this.placeTool(info),
    });
    // A Task/Agent call tells which subagent it ran (2.1: `toolUseResult.agentId`); a synchronous call's
    // result is its subagent's end, a background one (`async_launched`) ends with a task notification.
    if (SPAWNING.has(info.name)) {
      const r = line.toolUseResult && typeof line.toolUseResult === 'object' ? (line.toolUseResult as Record<string, unknown>) : {};
      const agentId = str(r.agentId) ?? info.agent;
      if (agentId) {
        this.startAgent(agentId, time, { parent: id, agentType: info.agentType, prompt: str(r.prompt) });
        if (r.status !== 'async_launched') this.endAgent(agentId, time, isError || r.status === 'failed' ? 'error' : 'ok');
      }
    }
    delete s.tools[id];
  }

  private system(line: Line, time: number): void {
    const s = this.state;
    const subtype = line.subtype;
    if (subtype === 'compact_boundary') {
      this.emitMessage('', true);
      s.compactions++;
      this.noteCompaction(time);
      s.summarized = false;
      const meta = (line.compactMetadata ?? {}) as Record<string, unknown>;
      if (meta.trigger === 'manual' && s.turnKey) {
        // `/compact` is typed between prompts: the turn before it is over.
        this.emit({ type: 'turn.end', key: s.turnKey, time: s.turnLast ?? time });
        s.turnKey = undefined;
        s.turnLast = undefined;
      }
      this.emit({
        type: 'compaction.end',
        key: `compact:${s.compactions}`,
        time,
        ...(str(meta.trigger) ? { trigger: meta.trigger as string } : {}),
        ...(typeof meta.preTokens === 'number' ? { tokensBefore: meta.preTokens } : {}),
        ...(typeof meta.postTokens === 'number' ? { tokensAfter: meta.postTokens } : {}),
        // An automatic compaction happens inside a turn; a manual one (`/compact`) between turns.
        ...(s.turnKey && meta.trigger !== 'manual' ? { turnKey: s.turnKey } : {}),
      });
      this.seen('', time);
    } else if (subtype === 'api_error') {
      const err = line.error as Record<string, unknown> | undefined;
      const message =
        str(line.content) ??
        str((err?.error as Record<string, unknown> | undefined)?.message) ??
        str(err?.message) ??
        (err ? JSON.stringify(err).slice(0, 500) : 'API error');
      this.emit({
        type: 'api.error',
        time,
        message: message!,
        ...(typeof line.retryAttempt === 'number' ? { attributes: { 'agent_trace.retry_attempt': line.retryAttempt } } : {}),
        ...(s.turnKey ? { turnKey: s.turnKey } : {}),
      });
    } else if (subtype === 'turn_duration') {
      this.emitMessage('', true);
      if (s.turnKey) this.emit({ type: 'turn.end', key: s.turnKey, time });
    }
  }

  private noteCompaction(time: number): void {
    const times = (this.state.compactionTimes ??= []);
    times.push(time);
    if (times.length > 1000) times.splice(0, times.length - 1000);
  }

  private compactSummary(content: unknown, time: number): void {
    const s = this.state;
    if (s.summarized) {
      // A summary without a boundary line (older versions): its own compaction.
      s.compactions++;
      this.noteCompaction(time);
    }
    s.summarized = true;
    const summary = toolResultText(content);
    this.emit({
      type: 'compaction.end',
      key: `compact:${s.compactions}`,
      time,
      ...(typeof summary === 'string' && summary ? { summary } : {}),
    });
  }

  private progress(line: Line, time: number): void {
    const data = line.data as Line | undefined;
    if (!data || data.type !== 'agent_progress') return;
    const agentId = str(data.agentId) ?? (str(line.parentToolUseID) ? `task-${line.parentToolUseID as string}` : undefined);
    if (!agentId) return;
    const parent = str(line.parentToolUseID);
    const tool = parent ? this.state.tools[parent] : undefined;
    if (tool) tool.agent = agentId;
    const inner = data.message as Line | undefined;
    const innerTime = inner && typeof inner === 'object' ? timeOf(inner, time) ?? time : time;
    this.startAgent(agentId, Math.min(time, innerTime), { parent, agentType: tool?.agentType, prompt: str(data.prompt) });
    if (!inner || typeof inner !== 'object') return;
    const innerLine: Line = {
      type: inner.type,
      message: inner.message,
      uuid: inner.uuid,
      timestamp: inner.timestamp ?? line.timestamp,
      toolUseResult: inner.toolUseResult,
      requestId: inner.requestId,
      isMeta: inner.isMeta,
      isApiErrorMessage: inner.isApiErrorMessage,
      progressCopy: true,
    };
    const t = timeOf(innerLine, time) ?? time;
    if (inner.type === 'assistant') this.assistant(innerLine, t, agentId);
    else if (inner.type === 'user') this.user(innerLine, t, agentId);
  }

  private queue(line: Line, time: number): void {
    const s = this.state;
    const op = line.operation;
    const content = typeof line.content === 'string' ? line.content : undefined;
    if (op === 'enqueue') {
      if (content?.trimStart().startsWith('<task-notification>')) this.taskNotification(content, time);
      s.queue.push(this.scrub(content ?? ''));
    } else if (op === 'remove') {
      // Absorbed into the running turn: the person's words reached the model without a user line.
      const item = content !== undefined ? this.scrub(content) : s.queue[0];
      const i = item !== undefined ? s.queue.indexOf(item) : -1;
      if (i >= 0) s.queue.splice(i, 1);
      if (item && !item.trimStart().startsWith('<') && !item.trimStart().startsWith('/')) {
        const c = classifyUserText(item);
        if (c.kind === 'prompt') this.startTurn(c.text, time);
      }
    } else if (op === 'dequeue') {
      s.queue.shift();
    } else if (op === 'popAll') {
      s.queue = [];
    }
  }

  /** A background subagent finished: `<task-notification><task-id>…<tool-use-id>…<status>…`. */
  private taskNotification(text: string, time: number): void {
    const taskId = tag(text, 'task-id');
    const toolId = tag(text, 'tool-use-id');
    const status = tag(text, 'status');
    if (!taskId) return;
    const tool = toolId ? this.state.tools[toolId] : undefined;
    const known = this.state.agents[taskId] !== undefined || (tool !== undefined && SPAWNING.has(tool.name));
    if (!known) return; // a background shell, not a subagent
    this.startAgent(taskId, time, { parent: toolId, agentType: tool?.agentType });
    this.endAgent(taskId, time, status === 'failed' || status === 'error' ? 'error' : 'ok', tag(text, 'result'));
    if (toolId && tool) delete this.state.tools[toolId];
  }

  // ——— turns, subagents, messages ———

  private startTurn(prompt: string, time: number, images: ImageNote[] = []): void {
    const s = this.state;
    this.emitMessage('', true);
    s.pendingCommand = undefined;
    const hash = shortHash(prompt, 12);
    const n = (s.prompts[hash] ?? 0) + 1;
    s.prompts[hash] = n;
    const key = turnKeyFor(prompt, n);
    const attributes = images.length ? { attributes: { 'agent_trace.prompt.images': JSON.stringify(images) } } : {};
    this.emit({ type: 'turn.start', key, prompt, time, ...attributes });
    s.turnKey = key;
    s.turnLast = time;
    this.seen('', time);
  }

  /** A notice that reached the model: a turn of its own, labelled, owning the reply (see `noticeOf`). */
  private startNotice(notice: Notice, time: number): void {
    const s = this.state;
    this.emitMessage('', true);
    s.pendingCommand = undefined;
    this.emit({ type: 'turn.start', key: notice.key, prompt: this.scrub(notice.text), time, attributes: { 'agent_trace.notice': notice.kind } });
    s.turnKey = notice.key;
    s.turnLast = time;
    this.seen('', time);
  }

  private startPendingCommand(): void {
    const p = this.state.pendingCommand;
    if (p) this.startTurn(p.prompt, p.time);
  }

  private noteTurnActivity(agentKey: string | undefined, time: number): void {
    if (agentKey) return;
    const s = this.state;
    if (s.turnKey && (s.turnLast === undefined || time > s.turnLast)) s.turnLast = time;
  }

  private startAgent(key: string, time: number, info: { parent?: string; agentType?: string; prompt?: string }): void {
    const a = (this.state.agents[key] ??= {});
    // Claude Code runs /compact (and auto-compaction) as an agent of its own (`agent-acompact-…`): not a subagent.
    if (!a.type && !info.agentType && /^acompact/.test(key)) info = { ...info, agentType: 'compaction' };
    const learnParent = info.parent !== undefined && a.parent !== info.parent;
    const learnType = info.agentType !== undefined && a.type !== info.agentType;
    const learnPrompt = info.prompt !== undefined && !a.prompted;
    if (a.last === undefined || time > a.last) a.last = time;
    if (a.started && !learnParent && !learnType && !learnPrompt) return;
    a.started = true;
    if (info.parent) a.parent = info.parent;
    if (info.agentType) a.type = info.agentType;
    if (learnPrompt) a.prompted = true;
    this.emit({
      type: 'subagent.start',
      key,
      time,
      ...(a.type ? { agentType: a.type } : {}),
      ...(a.parent ? { parentToolKey: a.parent } : {}),
      ...(learnPrompt ? { prompt: info.prompt } : {}),
    });
  }

  private touchAgent(key: string, time: number): void {
    const a = (this.state.agents[key] ??= {});
    if (!a.started) this.startAgent(key, time, {});
    if (a.last === undefined || time > a.last) a.last = time;
  }

  private endAgent(key: string, time: number, status: 'ok' | 'error', output?: string): void {
    const a = (this.state.agents[key] ??= {});
    if (a.ended) return;
    for (const [threadKey] of Object.entries(this.state.threads)) if (threadKey === key) this.emitMessage(threadKey, true);
    a.ended = true;
    this.emit({ type: 'subagent.end', key, time: Math.max(time, a.last ?? time), status, ...(output ? { output } : {}) });
  }

  /** Emits the response open in a thread; `done` forgets it (a later line of the same id starts afresh). */
  private emitMessage(threadKey: string, done: boolean): void {
    const thread = this.state.threads[threadKey];
    const m = thread?.msg;
    if (!m) return;
    if (done) thread.msg = undefined;
    if (!m.dirty) return;
    m.dirty = false;
    const output: GenerationOutput = {};
    if (m.text) output.text = m.text;
    if (m.thinking) output.thinking = m.thinking;
    if (m.toolCalls?.length) output.toolCalls = m.toolCalls;
    const agentKey = threadKey || undefined;
    this.emit({
      type: 'generation.end',
      key: m.id,
      time: m.time,
      startTime: m.start,
      provider: PROVIDER,
      responseId: m.id,
      ...(m.model ? { model: m.model } : {}),
      ...(m.stop ? { finishReasons: [m.stop] } : {}),
      ...(m.usage ? { usage: m.usage } : {}),
      ...(m.usage && m.provisional ? { attributes: { 'agent_trace.usage.provisional': true } } : {}),
      ...(Object.keys(output).length ? { output } : {}),
      ...(agentKey ? { agentKey } : m.turnKey ? { turnKey: m.turnKey } : {}),
    });
  }

  private place(agentKey: string | undefined): { agentKey?: string; turnKey?: string } {
    if (agentKey) return { agentKey };
    return this.state.turnKey ? { turnKey: this.state.turnKey } : {};
  }

  private placeTool(info: ToolInfo): { agentKey?: string; turnKey?: string } {
    if (info.agentKey) return { agentKey: info.agentKey };
    return info.turnKey ? { turnKey: info.turnKey } : {};
  }

  private emit(e: EventBody): void {
    this.out.push({ ...e, sessionId: this.sessionId, source: 'transcript' });
  }
}

/** The result Claude Code writes on resume for a call its previous process never answered. */
const ORPHANED_CALL = /^\[Tool call interrupted\b/;

/** A tool call the person stopped (Esc, Ctrl-C) or rejected: interrupted, not the tool's failure. */
function isStopped(text: string, toolUseResult: unknown): boolean {
  if (typeof toolUseResult === 'string' && /^User rejected tool use|interrupted by user/i.test(toolUseResult)) return true;
  return /^(The user doesn't want to (proceed|take this action)|\[Request interrupted by user)/.test(text.trim()) || /Interrupted by user/.test(text.slice(0, 200));
}

function time0(line: Line, fallback: number | undefined): number {
  return timeOf(line, fallback) ?? fallback ?? 0;
}

/** Parses a whole transcript text (JSONL, or a JSON array of lines) in one go. */
export function parseTranscriptText(sessionId: string, text: string, options: ParserOptions & { finish?: boolean } = {}): { events: AgentEvent[]; state: ParserState } {
  const parser = new TranscriptParser(sessionId, undefined, options);
  for (const line of transcriptLines(text)) parser.feed(line);
  const events = options.finish === false ? parser.drain() : [...parser.drain(), ...parser.finish()];
  return { events, state: parser.state };
}

/** The JSON values of a transcript: one per JSONL line, or the elements of a JSON array. */
export function* transcriptLines(text: string): Generator<unknown> {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const arr = JSON.parse(trimmed) as unknown;
      if (Array.isArray(arr)) {
        yield* arr;
        return;
      }
    } catch {
      // not one JSON array: read it as lines
    }
  }
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    if (nl > start) {
      const raw = text.slice(start, nl);
      if (raw.trim()) {
        try {
          yield JSON.parse(raw);
        } catch {
          // a torn or foreign line
        }
      }
    }
    start = nl + 1;
  }
}
