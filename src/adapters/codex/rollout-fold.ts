import type { AgentEvent, GenerationEndEvent, GenerationOutput, TurnStartEvent, Usage } from '../../events/types.js';
import type { ImportedSession } from '../types.js';
import { codexToolFailure, codexUsage, isSyntheticPrompt, parentThreadOf, sessionIdFromPath, sessionStartAttributes, toolOutputValue, usageDelta, type CodexUsage } from './rollout-values.js';
import { arr, baseName, Clock, maybeJson, nonEmpty, num, parseJsonLines, rec, str, textOf, toMillis, type Rec } from './util.js';

/**
 * Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl`).
 *
 * Each line is `{timestamp, type, payload}` with type session_meta | turn_context | response_item | event_msg |
 * compacted; rollouts written before mid-2025 have a bare header line `{id, timestamp, instructions, git}`,
 * `{"record_type":"state"}` markers and bare response items without a timestamp. Both are read.
 *
 * Model calls: the Responses API items of one model response (reasoning, assistant message, function calls)
 * are followed by an `event_msg` token_count whose `info.last_token_usage` is that response's usage. Codex
 * writes the same token_count twice (again when the next request starts, with fresh rate limits), so a
 * token_count counts as a new response only when its running total changed. OpenAI's `input_tokens` include
 * `cached_input_tokens` and `output_tokens` include `reasoning_output_tokens`.
 *
 * Since 0.17x, each response is closed by a `token_usage_record` line (with `response_id` and that response's
 * `usage`) written when the response ends, and `token_count` comes only after the tool outputs: when a rollout
 * has usage records they alone delimit and count responses.
 *
 * Prompts: the person's words come from `event_msg` user_message; the response_item user messages also carry
 * AGENTS.md, `<environment_context>` and other injected context and are used only by rollouts that have no
 * user_message events.
 */

interface PendingResponse {
  startTime: number;
  text: string[];
  thinking: string[];
  toolCalls: Array<{ id: string; name: string }>;
  fallbackText: string[];
  fallbackThinking: string[];
}

export interface CodexReadOptions {
  /**
   * Finds the rollout of a subagent thread the session spawned (by thread id), so its model calls and tools
   * are nested under the spawning tool. Returns the file's path and text, or undefined.
   */
  findThread?: (threadId: string) => { path: string; text: string } | undefined;
  /** Called with each thread id the session spawned (whether or not its rollout was found). */
  onSpawn?: (threadId: string) => void;
  /** Threads being read up the spawn chain (guards against cycles). */
  reading?: Set<string>;
}

/** One parsed line of a rollout; `end` is the byte offset just past its newline (undefined: not ended yet). */
export interface RolloutLine {
  value: Rec;
  end?: number;
}

/** What the whole file decides about how its lines are read (each can only turn true as the file grows). */
interface RolloutFlags {
  hasUserMessageEvents: boolean;
  hasCompactedLines: boolean;
  hasUsageRecords: boolean;
  hasTurnEnds: boolean;
  replaysHistory: boolean;
}

/** The reader's state between lines, as plain data. */
interface FoldState {
  meta?: Rec;
  sessionId: string;
  inherited: boolean;
  maxTotal: number;
  metaSeen: number;
  clock: number;
  model?: string;
  provider?: string;
  responseCount: number;
  compactions: number;
  webSearches: number;
  lastSignature?: string;
  previousTotal?: Rec;
  inputMark: number;
  currentTurnId?: string;
  turnIdUses: Array<[string, number]>;
  toolNames: Array<[string, string]>;
  callTimes: Array<[string, number]>;
}

/**
 * Where a later read of the same (grown) rollout can go on from: a line end after which no later line can change
 * an event already produced — between turns, nothing pending, no subagent, times never going back.
 */
export interface RolloutCheckpoint {
  offset: number;
  /** How many events the lines before `offset` produced. */
  emitted: number;
  flags: RolloutFlags;
  state: FoldState;
}

export interface RolloutFold {
  sessions: ImportedSession[];
  /** The last checkpoint (undefined when the file has none). */
  checkpoint?: RolloutCheckpoint;
}

/** Reads one rollout file's text into normalized events. Exposed for tests; `codexImporter.read` wraps it. */
export function readCodexRollout(text: string, path = 'rollout.jsonl', options: CodexReadOptions = {}): ImportedSession[] {
  return foldCodexRollout(parseJsonLines(text), path, options)!.sessions;
}

function flagsOf(items: ReadonlyArray<{ type: string; payload: Rec }>, meta: Rec | undefined): RolloutFlags {
  const ownId = nonEmpty(meta?.id);
  return {
    hasUserMessageEvents: items.some((i) => i.type === 'event_msg' && i.payload.type === 'user_message'),
    hasCompactedLines: items.some((i) => i.type === 'compacted'),
    hasUsageRecords: items.some((i) => i.type === 'token_usage_record'),
    // Rollouts before ~0.9x record no turn end: a model response without tool calls ends Codex's turn loop.
    hasTurnEnds: items.some((i) => i.type === 'event_msg' && (i.payload.type === 'task_complete' || i.payload.type === 'turn_complete')),
    replaysHistory: Boolean(nonEmpty(meta?.forked_from_id)) || items.some((i) => i.type === 'session_meta' && nonEmpty(i.payload.id) && i.payload.id !== ownId),
  };
}

/**
 * Reads rollout lines into normalized events. With `resume` (a checkpoint of an earlier read of the same file),
 * `lines` are those after the checkpoint and the events returned are the ones after it: the earlier events
 * stay as they were. Returns undefined when the new lines change how the earlier ones read (a flag turned), so
 * the caller reads the whole file again.
 */
export function foldCodexRollout(lines: readonly RolloutLine[], path = 'rollout.jsonl', options: CodexReadOptions = {}, resume?: RolloutCheckpoint): RolloutFold | undefined {
  if (lines.length === 0 && !resume) return { sessions: [] };

  // Normalize both layouts to {time, type, payload}.
  const items: Array<{ time: unknown; type: string; payload: Rec; end?: number }> = [];
  for (const { value, end } of lines) {
    const payload = rec(value.payload);
    if (typeof value.type === 'string' && payload) items.push({ time: value.timestamp, type: value.type, payload, end });
    else if (value.record_type !== undefined) continue;
    else if (value.type === undefined && typeof value.id === 'string') items.push({ time: value.timestamp, type: 'session_meta', payload: value, end });
    else if (typeof value.type === 'string') items.push({ time: value.timestamp, type: 'response_item', payload: value, end });
  }

  const r = resume?.state;
  const meta = r ? r.meta : items.find((i) => i.type === 'session_meta')?.payload;
  const sessionId = r ? r.sessionId : nonEmpty(meta?.id) ?? sessionIdFromPath(path) ?? baseName(path).replace(/\.jsonl?$/, '');
  const seen = flagsOf(items, meta);
  const flags: RolloutFlags = resume ? { ...resume.flags } : seen;
  if (resume) {
    for (const k of Object.keys(flags) as Array<keyof RolloutFlags>) if (seen[k] && !flags[k]) return undefined;
  }
  const { hasUserMessageEvents, hasCompactedLines, hasUsageRecords, hasTurnEnds, replaysHistory } = flags;

  // A forked thread (a user fork, or a subagent spawned with the parent's history) starts with a copy of the
  // parent's records — its session_meta, prompts, calls and token counts — before its own first turn. Those
  // are the parent's work: skipped, except that their running token total is the baseline the child's own
  // totals continue from (a replayed or lower total is not a new response).
  const ownId = nonEmpty(meta?.id);
  const forked = replaysHistory || parentThreadOf(meta) !== undefined;
  let inherited = r ? r.inherited : forked;
  let maxTotal = r ? r.maxTotal : 0;
  const spawns = new Map<string, { time: number; end?: number; agentType?: string; prompt?: string; thread?: string }>();

  const clock = new Clock(r ? r.clock : toMillis(meta?.timestamp));
  let monotonic = true;
  const events: AgentEvent[] = [];
  const base = { sessionId, source: 'import' as const };

  let model: string | undefined = r ? r.model : nonEmpty(meta?.model);
  let provider: string | undefined = r ? r.provider : nonEmpty(meta?.model_provider);
  let started = resume !== undefined;
  let responseCount = r?.responseCount ?? 0;
  let compactions = r?.compactions ?? 0;
  let webSearches = r?.webSearches ?? 0;
  let pending: PendingResponse | undefined;
  let lastGeneration: GenerationEndEvent | undefined;
  let lastSignature: string | undefined = r?.lastSignature;
  let previousTotal: Rec | undefined = r?.previousTotal;
  let inputMark = r ? r.inputMark : clock.now;

  // Turn bookkeeping: turn ids (newer rollouts) key turns so Codex hooks and the rollout meet on one span.
  let currentTurnId: string | undefined = r?.currentTurnId;
  const turnIdUses = new Map<string, number>(r?.turnIdUses ?? []);
  let openTurn: TurnStartEvent | undefined;
  const toolNames = new Map<string, string>(r?.toolNames ?? []);
  const callTimes = new Map<string, number>(r?.callTimes ?? []);

  // Checkpoints are taken at the last few turn ends only (each copies the bookkeeping maps).
  const turnEnds = items.flatMap((i, n) => (i.type === 'event_msg' && (i.payload.type === 'task_complete' || i.payload.type === 'turn_complete' || i.payload.type === 'turn_aborted') ? [n] : []));
  const checkFrom = hasTurnEnds ? (turnEnds[turnEnds.length - 3] ?? 0) : 0;
  let checkpoint: RolloutCheckpoint | undefined;
  const takeCheckpoint = (offset: number): RolloutCheckpoint => ({
    offset,
    emitted: (resume?.emitted ?? 0) + events.length,
    flags,
    state: {
      ...(meta ? { meta } : {}),
      sessionId,
      inherited,
      maxTotal,
      metaSeen,
      clock: clock.now,
      ...(model ? { model } : {}),
      ...(provider ? { provider } : {}),
      responseCount,
      compactions,
      webSearches,
      ...(lastSignature !== undefined ? { lastSignature } : {}),
      ...(previousTotal ? { previousTotal } : {}),
      inputMark,
      ...(currentTurnId ? { currentTurnId } : {}),
      turnIdUses: [...turnIdUses],
      toolNames: [...toolNames],
      callTimes: [...callTimes],
    },
  });

  const startSession = (time: number) => {
    if (started) return;
    started = true;
    const git = rec(meta?.git);
    events.push({
      ...base,
      type: 'session.start',
      time,
      agent: { name: 'codex', ...(nonEmpty(meta?.cli_version) ? { version: meta!.cli_version as string } : {}) },
      ...(nonEmpty(meta?.cwd) ? { cwd: meta!.cwd as string } : {}),
      ...(nonEmpty(git?.branch) ? { gitBranch: git!.branch as string } : {}),
      ...(model ? { model } : {}),
      ...(provider ? { provider } : {}),
      ...sessionStartAttributes(meta),
    });
  };

  const flushPending = (time: number, usage?: Usage, responseId?: string) => {
    if (!pending) return;
    const output: GenerationOutput = {};
    const text = (pending.text.length ? pending.text : pending.fallbackText).join('\n').trim();
    const thinking = (pending.thinking.length ? pending.thinking : pending.fallbackThinking).join('\n').trim();
    if (text) output.text = text;
    if (thinking) output.thinking = thinking;
    if (pending.toolCalls.length) output.toolCalls = pending.toolCalls;
    const ev: GenerationEndEvent = {
      ...base,
      type: 'generation.end',
      key: `response:${++responseCount}`,
      time: Math.max(time, pending.startTime),
      startTime: pending.startTime,
      ...(model ? { model } : {}),
      ...(provider ? { provider } : {}),
      ...(usage ? { usage } : {}),
      ...(responseId ? { responseId } : {}),
      ...(Object.keys(output).length ? { output } : {}),
      ...(pending.toolCalls.length ? { finishReasons: ['tool_calls'] } : {}),
    };
    events.push(ev);
    lastGeneration = ev;
    pending = undefined;
    if (!hasTurnEnds && openTurn && !output.toolCalls && output.text) endTurn(ev.time, undefined, output.text);
  };

  const outputItem = (time: number): PendingResponse => {
    if (!pending) {
      pending = {
        startTime: Math.min(inputMark, time),
        text: [],
        thinking: [],
        toolCalls: [],
        fallbackText: [],
        fallbackThinking: [],
      };
    }
    return pending;
  };

  const inputBoundary = (time: number) => {
    // A new input (tool result, prompt) means the model call that produced the pending items is over.
    if (pending) flushPending(time);
    inputMark = time;
  };

  const startTurn = (time: number, prompt: string, attrs?: Record<string, string | number>) => {
    inputBoundary(time);
    let key: string | undefined;
    if (currentTurnId) {
      const n = (turnIdUses.get(currentTurnId) ?? 0) + 1;
      turnIdUses.set(currentTurnId, n);
      key = n === 1 ? currentTurnId : `${currentTurnId}:${n}`;
    }
    const ev: TurnStartEvent = { ...base, type: 'turn.start', time, prompt, ...(key ? { key } : {}), ...(attrs ? { attributes: attrs } : {}) };
    events.push(ev);
    openTurn = ev;
    lastGeneration = undefined;
  };

  const endTurn = (time: number, turnId: string | undefined, output?: string, reason?: string) => {
    inputBoundary(time);
    let key = openTurn?.key;
    if (turnId && !(key && (key === turnId || key.startsWith(`${turnId}:`))) && turnIdUses.has(turnId)) key = turnId;
    events.push({
      ...base,
      type: 'turn.end',
      time,
      ...(key ? { key } : {}),
      ...(output ? { output } : {}),
      ...(reason ? { reason } : {}),
    });
    openTurn = undefined;
  };

  let metaSeen = r?.metaSeen ?? 0;
  for (const [index, item] of items.entries()) {
    const before = clock.now;
    const time = clock.at(item.time);
    if (time < before) monotonic = false;
    const p = item.payload;
    if (inherited) {
      const ownTurn = item.type === 'turn_context' && (!nonEmpty(p.turn_id) || (ownId !== undefined && (p.turn_id as string) >= ownId));
      const ownMeta = item.type === 'session_meta' && metaSeen > 0 && p.id === ownId;
      if (item.type === 'session_meta') metaSeen++;
      if (ownTurn || ownMeta) inherited = false;
      else {
        if (item.type === 'session_meta' && metaSeen === 1) startSession(time);
        const total = num(rec(rec(p.info)?.total_token_usage)?.total_tokens);
        if (item.type === 'event_msg' && p.type === 'token_count' && total !== undefined) maxTotal = Math.max(maxTotal, total);
        // A spawned (not forked) subagent's own prompt can come before its first turn context: keep it.
        if (replaysHistory || (item.type === 'event_msg' && p.type === 'token_count') || item.type === 'token_usage_record') continue;
      }
    }
    switch (item.type) {
      case 'session_meta': {
        startSession(time);
        break;
      }
      case 'turn_context': {
        startSession(time);
        const m = nonEmpty(p.model);
        if (m && m !== model) {
          model = m;
          events.push({ ...base, type: 'session.meta', time, model: m });
        }
        const turnId = nonEmpty(p.turn_id);
        if (turnId) {
          if (openTurn && !openTurn.key && !turnIdUses.has(turnId)) {
            // The prompt came before the context that names its turn: key it now.
            openTurn.key = turnId;
            turnIdUses.set(turnId, 1);
          }
          currentTurnId = turnId;
        }
        break;
      }
      case 'event_msg':
        startSession(time);
        handleEvent(time, p);
        break;
      case 'response_item':
        startSession(time);
        handleResponseItem(time, p);
        break;
      case 'token_usage_record': {
        startSession(time);
        // A record of another thread (a parent's, copied into a fork) is not this thread's response.
        if (ownId && nonEmpty(p.thread_id) && p.thread_id !== ownId) break;
        const usage = codexUsage(rec(p.usage) as CodexUsage | undefined);
        const responseId = nonEmpty(p.response_id);
        if (!pending) outputItem(time);
        flushPending(time, usage, responseId);
        inputMark = time;
        break;
      }
      case 'compacted': {
        startSession(time);
        inputBoundary(time);
        events.push({
          ...base,
          type: 'compaction.end',
          key: `compact:${++compactions}`,
          time,
          ...(nonEmpty(p.message) ? { summary: (p.message as string).trim() } : {}),
        });
        break;
      }
      default:
        break;
    }
    if (item.end !== undefined && index >= checkFrom && monotonic && started && !inherited && !forked && !pending && !openTurn && spawns.size === 0 && (!lastGeneration || lastGeneration.usage)) {
      checkpoint = takeCheckpoint(item.end);
    }
  }
  if (pending) flushPending(clock.now);

  function handleEvent(time: number, p: Rec): void {
    switch (p.type) {
      case 'task_started':
      case 'turn_started': {
        const turnId = nonEmpty(p.turn_id);
        if (turnId) currentTurnId = turnId;
        break;
      }
      case 'user_message': {
        if (!hasUserMessageEvents) break;
        const kind = str(p.kind);
        if (kind && kind !== 'plain') break;
        const message = str(p.message) ?? '';
        if (isSyntheticPrompt(message)) break;
        const images = arr(p.images).length + arr(p.local_images).length;
        startTurn(time, message.trim(), images ? { 'agent_trace.prompt.images': images } : undefined);
        break;
      }
      case 'agent_message': {
        // Duplicates the assistant response_item; kept only in case a version wrote no response item.
        const m = str(p.message);
        if (m && pending) pending.fallbackText.push(m);
        break;
      }
      case 'agent_reasoning': {
        const t = str(p.text);
        if (t && pending) pending.fallbackThinking.push(t);
        break;
      }
      case 'token_count': {
        if (hasUsageRecords) break; // token_usage_record counts each response, at its end
        const info = rec(p.info);
        const total = rec(info?.total_token_usage);
        const last = rec(info?.last_token_usage) ?? (num(p.input_tokens) !== undefined ? p : undefined);
        if (!total && !last) break;
        const signature = JSON.stringify(total ?? last);
        if (signature === lastSignature) break; // the same response reported again
        lastSignature = signature;
        const totalTokens = num(total?.total_tokens);
        if (forked && totalTokens !== undefined) {
          // In a forked thread a total at or below the inherited one is the parent's usage replayed.
          if (totalTokens <= maxTotal) break;
          maxTotal = totalTokens;
        }
        const usage = codexUsage((last as CodexUsage | undefined) ?? (total ? usageDelta(total, previousTotal) : undefined));
        if (total) previousTotal = total;
        if (pending) flushPending(time, usage);
        else if (lastGeneration && !lastGeneration.usage && usage) lastGeneration.usage = usage;
        else {
          outputItem(time);
          flushPending(time, usage);
        }
        inputMark = time;
        break;
      }
      case 'task_complete':
      case 'turn_complete': {
        endTurn(time, nonEmpty(p.turn_id), nonEmpty(p.last_agent_message));
        break;
      }
      case 'turn_aborted': {
        events.push({ ...base, type: 'interrupt', time, message: nonEmpty(p.reason) ?? 'turn aborted' });
        endTurn(time, nonEmpty(p.turn_id), undefined, `aborted: ${nonEmpty(p.reason) ?? 'interrupted'}`);
        break;
      }
      case 'context_compacted': {
        if (hasCompactedLines) break;
        inputBoundary(time);
        events.push({ ...base, type: 'compaction.end', key: `compact:${++compactions}`, time });
        break;
      }
      case 'error':
      case 'stream_error': {
        events.push({ ...base, type: 'api.error', time, message: nonEmpty(p.message) ?? String(p.type) });
        break;
      }
      case 'sub_agent_activity':
      case 'item_completed':
      case 'item_started': {
        const item = p.type === 'sub_agent_activity' ? p : rec(p.item);
        if (!item || (p.type !== 'sub_agent_activity' && item.type !== 'SubAgentActivity')) break;
        const callId = nonEmpty(item.event_id) ?? nonEmpty(item.id) ?? nonEmpty(item.call_id);
        const thread = nonEmpty(item.agent_thread_id);
        const spawn = callId ? spawns.get(callId) : undefined;
        if (spawn && thread) spawn.thread ??= thread;
        break;
      }
      case 'exec_command_end': {
        const callId = nonEmpty(p.call_id);
        const code = num(p.exit_code);
        if (callId && code !== undefined && code !== 0) {
          events.push({ ...base, type: 'tool.end', key: callId, time, error: `exit code ${code}`, errorType: 'exit_code' });
        }
        break;
      }
      case 'patch_apply_end': {
        const callId = nonEmpty(p.call_id);
        if (callId && p.success === false) {
          events.push({ ...base, type: 'tool.end', key: callId, time, error: nonEmpty(p.stderr) ?? 'patch failed', errorType: 'tool_error' });
        }
        break;
      }
      default:
        break;
    }
  }

  function handleResponseItem(time: number, p: Rec): void {
    switch (p.type) {
      case 'message': {
        const role = str(p.role);
        const text = textOf(p.content);
        if (role === 'assistant') {
          if (text.trim()) outputItem(time).text.push(text);
        } else if (role === 'user' && !hasUserMessageEvents) {
          if (!isSyntheticPrompt(text)) startTurn(time, text.trim());
        }
        break;
      }
      case 'reasoning': {
        const pieces = [...arr(p.summary), ...arr(p.content)].map((s) => str(rec(s)?.text)).filter((s): s is string => !!s);
        const r = outputItem(time);
        if (pieces.length) r.thinking.push(pieces.join('\n'));
        break;
      }
      case 'function_call':
      case 'custom_tool_call':
      case 'local_shell_call': {
        const callId = nonEmpty(p.call_id) ?? nonEmpty(p.id);
        if (!callId) break;
        const name = nonEmpty(p.name) ?? (p.type === 'local_shell_call' ? 'local_shell' : 'tool');
        toolNames.set(callId, name);
        const input = p.type === 'function_call' ? maybeJson(p.arguments) : p.type === 'custom_tool_call' ? p.input : p.action;
        if (name === 'spawn_agent') {
          const args = rec(input);
          spawns.set(callId, {
            time,
            ...(nonEmpty(args?.agent_type) ?? nonEmpty(args?.agent_role) ? { agentType: (nonEmpty(args?.agent_type) ?? nonEmpty(args?.agent_role))! } : {}),
            ...(nonEmpty(args?.message) ?? nonEmpty(args?.task) ?? nonEmpty(args?.prompt) ? { prompt: (nonEmpty(args?.message) ?? nonEmpty(args?.task) ?? nonEmpty(args?.prompt))! } : {}),
          });
        }
        outputItem(time).toolCalls.push({ id: callId, name });
        callTimes.set(callId, time);
        events.push({
          ...base,
          type: 'tool.start',
          key: callId,
          name,
          time,
          ...(input !== undefined ? { input } : {}),
          toolType: /__/.test(name) || /^mcp[_.]/.test(name) ? 'extension' : 'function',
        });
        break;
      }
      case 'web_search_call': {
        const key = nonEmpty(p.id) ?? `web_search:${++webSearches}`;
        outputItem(time).toolCalls.push({ id: key, name: 'web_search' });
        const action = rec(p.action);
        events.push({ ...base, type: 'tool.start', key, name: 'web_search', time, ...(action ? { input: action } : {}) });
        events.push({
          ...base,
          type: 'tool.end',
          key,
          time,
          // The rollout records the search once, done: how long it took is not known.
          attributes: { 'agent_trace.duration_unknown': true },
          ...(p.status === 'failed' ? { error: 'web search failed' } : {}),
        });
        break;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const callId = nonEmpty(p.call_id);
        inputBoundary(time);
        if (!callId) break;
        const failure = codexToolFailure(p.output);
        const spawn = spawns.get(callId);
        if (spawn) {
          spawn.end = time;
          const out = rec(maybeJson(typeof p.output === 'string' ? p.output : textOf(p.output)));
          const thread = nonEmpty(out?.agent_id) ?? nonEmpty(out?.thread_id) ?? nonEmpty(out?.agent_thread_id);
          if (thread) spawn.thread ??= thread;
        }
        const calledAt = callTimes.get(callId);
        events.push({
          ...base,
          type: 'tool.end',
          key: callId,
          time,
          // Call and result written at the same instant: the rollout holds no timing for this tool.
          ...(calledAt !== undefined && time <= calledAt ? { attributes: { 'agent_trace.duration_unknown': true } } : {}),
          ...(toolNames.has(callId) ? {} : { name: 'tool' }),
          output: toolOutputValue(p.output),
          ...(failure ? { error: failure.error, errorType: failure.errorType } : {}),
        });
        break;
      }
      default:
        break;
    }
  }

  if (!started) return { sessions: [] };
  if (spawns.size) {
    // Subagents are nested from their own rollouts, which keep changing: no going on from a checkpoint.
    if (resume) return undefined;
    nestSubagents(events, sessionId, spawns, options, ownId);
    // Children's events were added after the parent's: put everything back in time order (stable).
    const [head, ...rest] = events;
    rest.sort((a, b) => a.time - b.time);
    return { sessions: [{ sessionId, events: [head!, ...rest], source: path }] };
  }
  // Times that go back would sort new events among the earlier ones: read such a file whole.
  if (!monotonic && resume) return undefined;
  if (!monotonic) checkpoint = undefined;
  return { sessions: [{ sessionId, events, source: path }], ...(checkpoint ? { checkpoint } : {}) };
}

/**
 * Subagents spawned by `spawn_agent`: a span under the spawning tool, and — when the child thread's rollout
 * is found — the child's model calls and tools inside it.
 */
function nestSubagents(
  events: AgentEvent[],
  sessionId: string,
  spawns: Map<string, { time: number; end?: number; agentType?: string; prompt?: string; thread?: string }>,
  options: CodexReadOptions,
  ownId: string | undefined,
): void {
  const reading = new Set(options.reading ?? []);
  if (ownId) reading.add(ownId);
  for (const [callId, spawn] of spawns) {
    if (!spawn.thread) continue;
    options.onSpawn?.(spawn.thread);
    events.push({
      sessionId,
      source: 'import',
      type: 'subagent.start',
      key: spawn.thread,
      time: spawn.time,
      parentToolKey: callId,
      ...(spawn.agentType ? { agentType: spawn.agentType } : {}),
      ...(spawn.prompt ? { prompt: spawn.prompt } : {}),
    });
    const found = !reading.has(spawn.thread) ? options.findThread?.(spawn.thread) : undefined;
    const child = found ? readCodexRollout(found.text, found.path, { ...options, onSpawn: undefined, reading })[0] : undefined;
    let end = spawn.end ?? spawn.time;
    let output: string | undefined;
    if (child) {
      for (const e of child.events) {
        end = Math.max(end, e.time);
        if (e.type === 'turn.end' && e.output) output = e.output;
        const moved = reparent(e, sessionId, spawn.thread);
        if (moved) events.push(moved);
      }
    }
    events.push({ sessionId, source: 'import', type: 'subagent.end', key: spawn.thread, time: end, ...(output ? { output } : {}) });
  }
}

/** A child thread's event, placed inside its subagent span of the parent session (or dropped). */
function reparent(e: AgentEvent, sessionId: string, agentKey: string): AgentEvent | undefined {
  switch (e.type) {
    case 'generation.start':
    case 'generation.end':
    case 'tool.start':
    case 'tool.end':
    case 'compaction.start':
    case 'compaction.end':
    case 'text':
    case 'notification':
    case 'permission':
    case 'api.error':
    case 'interrupt': {
      const { turnKey: _turn, ...rest } = e as typeof e & { turnKey?: string; key?: string };
      const out = { ...rest, sessionId, agentKey: (e as { agentKey?: string }).agentKey ?? agentKey } as AgentEvent & { key?: string };
      // Keys made up per file (response:n, compact:n, web_search:n) would collide with the parent's own.
      if (out.key && /^(response|compact|web_search):/.test(out.key)) out.key = `${agentKey}/${out.key}`;
      return out;
    }
    case 'subagent.start':
      return { ...e, sessionId, agentKey: e.agentKey ?? agentKey };
    case 'subagent.end':
      return { ...e, sessionId };
    default:
      // the child's session and turn records describe the child thread itself, not the parent's trace
      return undefined;
  }
}
