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
import type { AgentEvent } from '../../events/types.js';
import { str, timeOf, type Line } from './transcript-content.js';
import { emit, emptyState, type ParserOptions, type ParserState, type TranscriptContext } from './transcript-context.js';
import { threadOf } from './transcript-flow.js';
import { transcriptLines } from './transcript-lines.js';
import { assistant, user } from './transcript-messages.js';
import { emitMessage, meta } from './transcript-output.js';
import { progress, queue, system } from './transcript-system.js';

export { AGENT_NAME, classifyUserText, normalizePrompt, turnKeyFor } from './prompt.js';
export { imageNote, toolResultText, usageOf, type ImageNote } from './transcript-content.js';
export { emptyState, type ParserOptions, type ParserState } from './transcript-context.js';
export { transcriptLines } from './transcript-lines.js';

/** Parses transcript lines into events; `drain()` returns what the lines fed so far produced. */
export class TranscriptParser {
  private readonly c: TranscriptContext;

  constructor(sessionId: string, state?: ParserState, options: ParserOptions = {}) {
    this.c = {
      sessionId,
      state: state && state.v === 1 ? state : emptyState(),
      fixedAgent: options.agentKey,
      scrub: options.scrub ?? ((t) => t),
      out: [],
    };
  }

  get sessionId(): string {
    return this.c.sessionId;
  }

  /** Everything the parser knows between two reads (plain JSON: the hook keeps it on disk). */
  get state(): ParserState {
    return this.c.state;
  }

  /** Whether the main thread's last assistant text is this one (a Stop hook's `last_assistant_message`). */
  saidLast(text: string): boolean {
    const norm = (t: string) => t.replace(/\s+/g, ' ').trim();
    const want = norm(this.c.scrub(text));
    const have = norm(this.c.state.lastText ?? '');
    return have.length > 0 && (want === have || want.endsWith(have) || have.endsWith(want));
  }

  /** Feeds one parsed line. Never throws on odd shapes: anything it does not understand is skipped. */
  feed(raw: unknown): void {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return;
    try {
      readLine(this.c, raw as Line, this.c.fixedAgent);
    } catch {
      // a line of an unexpected shape must not stop the rest of the transcript
    }
  }

  /** Events produced since the last drain, with every response still open emitted in its current state. */
  drain(): AgentEvent[] {
    for (const key of Object.keys(this.c.state.threads)) emitMessage(this.c, key, false);
    const out = this.c.out;
    this.c.out = [];
    return out;
  }

  /**
   * The transcript is complete (an import, or the session ended): close what only an end would close —
   * the last turn at its last activity, subagents at their last line.
   */
  finish(): AgentEvent[] {
    const c = this.c;
    for (const key of Object.keys(c.state.threads)) emitMessage(c, key, true);
    const s = c.state;
    if (s.pendingCommand) s.pendingCommand = undefined;
    for (const [key, a] of Object.entries(s.agents)) {
      if (a.started && !a.ended && a.last !== undefined) {
        a.ended = true;
        emit(c, { type: 'subagent.end', key, time: a.last, status: 'ok' });
      }
    }
    if (s.turnKey && s.turnLast !== undefined) {
      emit(c, { type: 'turn.end', key: s.turnKey, time: s.turnLast });
      s.turnKey = undefined;
      s.turnLast = undefined;
    }
    return this.drain();
  }
}

/** One line, by its type; lines of other types are skipped. */
function readLine(c: TranscriptContext, line: Line, forcedAgent: string | undefined): void {
  const type = line.type;
  const time = timeOf(line, c.state.last);
  if (time === undefined) {
    // A title written before any timestamped line waits for the first time the transcript gives (a
    // session never starts in 1970).
    if (type === 'custom-title' && str(line.customTitle)) {
      if (c.state.last !== undefined) meta(c, line, c.state.last, str(line.customTitle));
      else c.state.pendingTitle = str(line.customTitle);
    }
    return;
  }
  if (c.state.last === undefined || time > c.state.last) c.state.last = time;
  if (c.state.pendingTitle !== undefined) {
    const title = c.state.pendingTitle;
    c.state.pendingTitle = undefined;
    meta(c, {}, time, title);
  }
  switch (type) {
    case 'assistant':
      meta(c, line, time);
      assistant(c, line, time, threadOf(c, line, forcedAgent));
      break;
    case 'user':
      meta(c, line, time);
      user(c, line, time, threadOf(c, line, forcedAgent));
      break;
    case 'system':
      meta(c, line, time);
      system(c, line, time);
      break;
    case 'progress':
      progress(c, line, time);
      break;
    case 'queue-operation':
      queue(c, line, time);
      break;
    case 'custom-title':
      if (str(line.customTitle)) meta(c, line, time, str(line.customTitle));
      break;
    default:
      break;
  }
  if (type !== 'queue-operation') c.state.lastWork = time;
}

/** Parses a whole transcript text (JSONL, or a JSON array of lines) in one go. */
export function parseTranscriptText(sessionId: string, text: string, options: ParserOptions & { finish?: boolean } = {}): { events: AgentEvent[]; state: ParserState } {
  const parser = new TranscriptParser(sessionId, undefined, options);
  for (const line of transcriptLines(text)) parser.feed(line);
  const events = options.finish === false ? parser.drain() : [...parser.drain(), ...parser.finish()];
  return { events, state: parser.state };
}
