import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AgentEvent } from '../../events/types.js';
import { readHead } from '../import-util.js';
import type { ImportAdapter, ImportedSession } from '../types.js';
import { TranscriptParser, transcriptLines } from './transcript.js';

/**
 * Reads saved Claude Code transcripts: a session file `<project>/<session>.jsonl` together with its
 * subagents (`<project>/<session>/subagents/agent-*.jsonl`, or `<project>/agent-*.jsonl` in 2.0.x, whose lines
 * name the parent session). A subagent file given alone is read with its parent session when that exists.
 */

const CLAUDE_TYPES = new Set(['user', 'assistant', 'system', 'progress', 'summary', 'file-history-snapshot', 'queue-operation', 'custom-title', 'attachment']);
const UUIDISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function firstObjects(head: string, max = 8): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const trimmed = head.trimStart();
  if (trimmed.startsWith('[')) {
    // A JSON array of transcript lines: look at its first element.
    const m = /^\[\s*(\{[\s\S]*?\})\s*,?\s*(?:\{|\])/.exec(trimmed);
    if (m) {
      try {
        out.push(JSON.parse(m[1]!) as Record<string, unknown>);
      } catch {
        // a nested object: fall through to a looser test below
      }
    }
    if (!out.length && /"sessionId"\s*:/.test(trimmed.slice(0, 4096)) && /"(parentUuid|isSidechain|userType)"\s*:/.test(trimmed.slice(0, 4096))) out.push({ type: 'user', sessionId: 'x' });
    return out;
  }
  for (const raw of head.split('\n')) {
    if (out.length >= max) break;
    if (!raw.trim()) continue;
    try {
      const v = JSON.parse(raw) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      // the head may end mid-line
    }
  }
  return out;
}

export function looksLikeClaudeTranscript(path: string, head: string): boolean {
  if (!/\.(jsonl|json)$/i.test(path)) return false;
  const objs = firstObjects(head);
  if (!objs.length) return false;
  return objs.some((o) => {
    const type = o.type;
    if (typeof type !== 'string' || !CLAUDE_TYPES.has(type)) return false;
    if (type === 'file-history-snapshot' || type === 'summary') return true;
    return typeof o.sessionId === 'string' || 'parentUuid' in o || 'isSidechain' in o;
  });
}

/** The session id a transcript file's lines name (the most frequent one among the first lines). */
function sessionIdInLines(path: string): string | undefined {
  const counts = new Map<string, number>();
  for (const o of firstObjects(readHead(path, 65_536), 50)) {
    if (typeof o.sessionId === 'string') counts.set(o.sessionId, (counts.get(o.sessionId) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [id, n] of counts) if (best === undefined || n > counts.get(best)!) best = id;
  return best;
}

function agentIdOfFile(path: string): string | undefined {
  const m = /^agent-(.+)\.jsonl$/i.exec(basename(path));
  return m ? m[1] : undefined;
}

/** For a subagent file, the main transcript of its session (when it exists). */
export function mainTranscriptFor(path: string): string | undefined {
  if (!agentIdOfFile(path)) return undefined;
  const dir = dirname(path);
  if (basename(dir) === 'subagents') {
    const sessionDir = dirname(dir);
    const main = `${sessionDir}.jsonl`;
    return existsSync(main) ? main : undefined;
  }
  const sessionId = sessionIdInLines(path);
  if (!sessionId) return undefined;
  const main = join(dir, `${sessionId}.jsonl`);
  return existsSync(main) ? main : undefined;
}

/** The subagent transcripts of a session: `<session>/subagents/*.jsonl` and 2.0.x `agent-*.jsonl` siblings. */
export function subagentFilesFor(mainPath: string, sessionId: string): string[] {
  const files: string[] = [];
  const dir = join(dirname(mainPath), basename(mainPath).replace(/\.jsonl?$/i, ''), 'subagents');
  try {
    for (const name of readdirSync(dir).sort()) if (name.endsWith('.jsonl')) files.push(join(dir, name));
  } catch {
    // no subagents folder
  }
  try {
    for (const name of readdirSync(dirname(mainPath)).sort()) {
      if (!/^agent-.+\.jsonl$/i.test(name)) continue;
      const p = join(dirname(mainPath), name);
      if (sessionIdInLines(p) === sessionId) files.push(p);
    }
  } catch {
    // unreadable folder
  }
  return files;
}

/** The id of the session a main transcript holds: its file name (as Claude Code names it), else its lines. */
export function sessionIdOfTranscript(path: string, text?: string): string | undefined {
  const name = basename(path).replace(/\.jsonl?$/i, '');
  if (UUIDISH.test(name)) return name;
  if (text !== undefined) {
    const counts = new Map<string, number>();
    let seen = 0;
    for (const line of transcriptLines(text)) {
      const id = (line as Record<string, unknown> | null)?.sessionId;
      if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
      if (++seen > 200) break;
    }
    let best: string | undefined;
    for (const [id, n] of counts) if (best === undefined || n > counts.get(best)!) best = id;
    if (best) return best;
  }
  return sessionIdInLines(path) ?? (name || undefined);
}

export interface ParsedFile {
  path: string;
  events: AgentEvent[];
  /** Parser state after the whole file, and the byte length parsed (so a hook can continue from there). */
  state: TranscriptParser['state'];
  bytes: number;
  agentKey?: string;
}

type Scrub = (text: string) => string;

function parseFile(sessionId: string, path: string, agentKey?: string, scrub?: Scrub): ParsedFile {
  const buf = readFileSync(path);
  let end = buf.length;
  if (buf.length && buf[buf.length - 1] !== 10 && buf.toString('utf8', 0, 64).trimStart()[0] !== '[') {
    // A last line without its newline is complete only if it parses; otherwise it is still being written.
    const lastNl = buf.lastIndexOf(10) + 1;
    try {
      JSON.parse(buf.toString('utf8', lastNl));
    } catch {
      end = lastNl;
    }
  }
  const text = buf.toString('utf8', 0, end);
  const parser = new TranscriptParser(sessionId, undefined, { ...(agentKey ? { agentKey } : {}), ...(scrub ? { scrub } : {}) });
  for (const line of transcriptLines(text)) parser.feed(line);
  const events = [...parser.drain(), ...parser.finish()];
  return { path, events, state: parser.state, bytes: end, ...(agentKey ? { agentKey } : {}) };
}

/** Reads one session: its main transcript and every subagent file, finished (the import path). */
export function readClaudeSession(mainPath: string, scrub?: Scrub): { sessionId: string; files: ParsedFile[] } {
  const text = readFileSync(mainPath, 'utf8');
  const sessionId = sessionIdOfTranscript(mainPath, text) ?? basename(mainPath);
  const files: ParsedFile[] = [parseFile(sessionId, mainPath, undefined, scrub)];
  for (const sub of subagentFilesFor(mainPath, sessionId)) {
    const agentKey = agentIdOfFile(sub) ?? basename(sub);
    files.push(parseFile(sessionId, sub, agentKey, scrub));
  }
  return { sessionId, files };
}

/** A subagent file whose session transcript is gone: its events still belong to that session. */
export function readOrphanAgentFile(path: string, scrub?: Scrub): ParsedFile & { sessionId: string } {
  const agentId = agentIdOfFile(path) ?? basename(path);
  const sessionId = sessionIdInLines(path) ?? agentId;
  return { ...parseFile(sessionId, path, agentId, scrub), sessionId };
}

export const claudeCodeImporter: ImportAdapter = {
  agent: 'claude-code',
  detect(path: string, head: string): boolean {
    return looksLikeClaudeTranscript(path, head);
  },
  read(path: string): ImportedSession[] {
    let main = path;
    const agentId = agentIdOfFile(path);
    if (agentId) main = mainTranscriptFor(path) ?? path;
    if (main === path && agentId) {
      const parsed = readOrphanAgentFile(path);
      return [{ sessionId: parsed.sessionId, events: parsed.events, source: path }];
    }
    if (!statSync(main).isFile()) return [];
    const { sessionId, files } = readClaudeSession(main);
    return [{ sessionId, events: files.flatMap((f) => f.events), source: main }];
  },
};
