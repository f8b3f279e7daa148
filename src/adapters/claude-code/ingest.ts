import { closeSync, fstatSync, openSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AgentEvent } from '../../events/types.js';
import { forEachJsonLine } from '../../store/jsonl.js';
import type { FileCursor, IngestState } from './ingest-state.js';
import { emptyState, TranscriptParser } from './transcript.js';

/**
 * The hook's read of a session's transcripts: only the bytes appended since the last read (the offset and
 * parser state are remembered per file in the ingest state), complete lines only — a line Claude Code is
 * still writing is left for the next read. Runs under the session's transcript lock.
 */

const MAX_READ = 256 * 1024 * 1024;

export interface IngestRequest {
  sessionId: string;
  transcriptPath?: string;
  /** A subagent transcript named by SubagentStop. */
  agentTranscript?: { path: string; agentId?: string };
  /** The session ended: close what only an end closes. */
  final?: boolean;
  /** Stop's last assistant message: wait (briefly) until the transcript has caught up with it. */
  waitForText?: string;
  waitMs?: number;
  /** The store's redaction (see ParserOptions.scrub). */
  scrub?: (text: string) => string;
}

export interface IngestOutcome {
  events: AgentEvent[];
  /** Compactions seen so far in the main transcript. */
  compactions: number;
  /** Whether the main transcript could be read. */
  transcriptFound: boolean;
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

interface Increment {
  lines: unknown[];
  cursor: FileCursor;
  grew: boolean;
}

function readIncrement(path: string, cursor: FileCursor | undefined, agentKey: string | undefined): Increment | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    let cur = cursor;
    if (!cur || (cur.ino !== undefined && cur.ino !== st.ino) || st.size < cur.offset) {
      // New, replaced or truncated: read it from the start (keyed events merge with what was recorded).
      cur = { offset: 0, ino: st.ino, ...(agentKey ? { agentKey } : {}), parser: emptyState() };
    }
    const lines: unknown[] = [];
    const { end } = forEachJsonLine(fd, cur.offset, Math.min(st.size, cur.offset + MAX_READ), (line) => void lines.push(line));
    if (end === cur.offset) return { lines: [], cursor: cur, grew: false };
    return { lines, cursor: { ...cur, offset: end, ino: st.ino }, grew: true };
  } finally {
    closeSync(fd);
  }
}

function ingestFile(state: IngestState, req: IngestRequest, path: string, agentKey: string | undefined, final: boolean): { events: AgentEvent[]; found: boolean; parser?: TranscriptParser } {
  const key = realpath(path);
  const inc = readIncrement(key, state.files[key], agentKey);
  if (!inc) return { events: [], found: false };
  const parser = new TranscriptParser(req.sessionId, inc.cursor.parser, { ...(agentKey ? { agentKey } : {}), ...(req.scrub ? { scrub: req.scrub } : {}) });
  for (const line of inc.lines) parser.feed(line);
  const events = final ? [...parser.drain(), ...parser.finish()] : parser.drain();
  state.files[key] = { ...inc.cursor, parser: parser.state };
  return { events, found: true, parser };
}

/** The subagent transcripts next to a session transcript: `<dir>/<session>/subagents/*.jsonl`. */
function subagentFiles(transcriptPath: string): string[] {
  const dir = join(dirname(transcriptPath), basename(transcriptPath).replace(/\.jsonl?$/i, ''), 'subagents');
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

function agentKeyOfFile(path: string): string {
  const m = /^agent-(.+)\.jsonl$/i.exec(basename(path));
  return m ? m[1]! : basename(path).replace(/\.jsonl$/i, '');
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The number of the compaction a PreCompact hook that fired at `time` announces: one more than the compactions
 * the transcript shows before that moment (the transcript may already hold this one when the hook is read late).
 */
export function compactionNumberAt(state: IngestState, transcriptPath: string, time: number): number {
  const parser = state.files[realpath(transcriptPath)]?.parser;
  if (!parser) return 1;
  const times = parser.compactionTimes;
  const before = times ? times.filter((t) => t <= time).length + Math.max(0, parser.compactions - times.length) : parser.compactions;
  return before + 1;
}

/** Reads what is new in the session's transcripts. Mutates `state` (offsets, parser states). */
export function ingestTranscripts(state: IngestState, req: IngestRequest): IngestOutcome {
  const events: AgentEvent[] = [];
  const final = req.final === true;
  let found = false;
  let compactions = 0;
  if (req.transcriptPath) {
    const main = ingestFile(state, req, req.transcriptPath, undefined, final);
    found = main.found;
    events.push(...main.events);
    let parser = main.parser;
    const want = req.waitForText;
    if (found && want && !parser?.saidLast(want)) {
      // The transcript is written asynchronously and may lag the Stop hook by a moment.
      const deadline = Date.now() + (req.waitMs ?? 1_500);
      while (Date.now() < deadline && !parser?.saidLast(want)) {
        Atomics.wait(sleeper, 0, 0, 40);
        const more = ingestFile(state, req, req.transcriptPath, undefined, final);
        events.push(...more.events);
        if (more.parser) parser = more.parser;
      }
    }
    compactions = state.files[realpath(req.transcriptPath)]?.parser.compactions ?? 0;
  }
  const subFiles = new Map<string, string | undefined>();
  if (req.transcriptPath) for (const f of subagentFiles(req.transcriptPath)) subFiles.set(realpath(f), agentKeyOfFile(f));
  if (req.agentTranscript?.path) subFiles.set(realpath(req.agentTranscript.path), req.agentTranscript.agentId ?? agentKeyOfFile(req.agentTranscript.path));
  for (const [path, agentKey] of subFiles) {
    const r = ingestFile(state, req, path, agentKey ?? agentKeyOfFile(path), final);
    events.push(...r.events);
  }
  return { events, compactions, transcriptFound: found };
}
