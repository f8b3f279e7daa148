import { existsSync, readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { join } from 'node:path';
import type { HookMapper } from '../../adapters/hook-types.js';
import { EXPORT_EVENTS, HEAVY_EVENTS, hookEventName, hookSessionId, mapHook as mapClaudeHook } from '../../adapters/claude-code/hook.js';
import { AGENT_NAME } from '../../adapters/claude-code/prompt.js';
import { loadConfig, resolveDataDir, type AgentTraceConfig } from '../../config.js';
import type { AgentEvent } from '../../events/types.js';
import { validateEvent } from '../../events/validate.js';
import { Redactor } from '../../redact.js';
import { appendSync, ensureDir } from '../../store/fs-util.js';
import { encodeEvents } from '../../store/journal.js';
import { logError } from '../../store/log.js';
import { defaultDataDir, JOURNAL_FILE, sessionFolder } from '../../store/paths.js';
import type { GlobalOptions } from '../options.js';

/**
 * `agent-trace hook`: one hook payload on stdin becomes events in the session's journal. It runs on every
 * agent event, so it must never disturb the agent: it always exits 0, prints nothing, and sends every error
 * to `<dir>/agent-trace.log`.
 *
 * The hot path (tool hooks) is kept tiny: read stdin, map, one O_APPEND write — no lock, no transcript, no
 * trace rebuild, and none of the heavy modules are loaded (they are imported dynamically). Parallel tool
 * hooks of one session each append their own line; keys (tool_use_id) make them one span each.
 * The heavy work — reading the transcript from the remembered offset under the session's transcript lock,
 * rewriting trace.json, the background OTLP export — runs only on turn and session boundaries.
 */

const MAX_PAYLOAD = 64 * 1024 * 1024;
const WATCHDOG_MS = 55_000;

interface HookArgs {
  agent: string;
  dir?: string;
}

function parseArgs(argv: string[]): HookArgs {
  const args: HookArgs = { agent: 'claude-code' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--agent' && argv[i + 1]) args.agent = argv[++i]!;
    else if (a.startsWith('--agent=')) args.agent = a.slice(8);
    else if (a === '--dir' && argv[i + 1]) args.dir = argv[++i]!;
    else if (a.startsWith('--dir=')) args.dir = a.slice(6);
  }
  return args;
}

/**
 * Reads fd 0 synchronously: cheaper than creating `process.stdin` (a socket stream) on the hot path. A
 * non-blocking stdin (EAGAIN) falls back to the stream, keeping what was already read.
 */
async function readStdin(): Promise<{ text: string; truncated: boolean }> {
  if (isatty(0)) return { text: '', truncated: false };
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let buf = Buffer.allocUnsafe(65_536);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return readStdinStream(chunks, size);
      if (code === 'EOF') break;
      throw error;
    }
    if (n === 0) break;
    if (size + n > MAX_PAYLOAD) truncated = true;
    else {
      chunks.push(buf.subarray(0, n));
      size += n;
      buf = Buffer.allocUnsafe(n === buf.length ? Math.min(buf.length * 2, 8 << 20) : buf.length);
    }
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

async function readStdinStream(chunks: Buffer[], already: number): Promise<{ text: string; truncated: boolean }> {
  let size = already;
  let truncated = false;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    if (size + buf.length > MAX_PAYLOAD) truncated = true;
    else {
      chunks.push(buf);
      size += buf.length;
    }
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

/** Validated, redacted, one write per session — the same contract as SessionStore.append, without its imports. */
export function appendHookEvents(dir: string, events: readonly AgentEvent[], redactor: Redactor): void {
  const bySession = new Map<string, AgentEvent[]>();
  for (const raw of events) {
    const e = redactor.redactEvent(validateEvent(raw));
    const list = bySession.get(e.sessionId);
    if (list) list.push(e);
    else bySession.set(e.sessionId, [e]);
  }
  for (const [sessionId, list] of bySession) {
    const folder = sessionFolder(dir, sessionId);
    ensureDir(folder);
    appendSync(join(folder, JOURNAL_FILE), encodeEvents(list));
  }
}

async function mapperFor(agent: string): Promise<HookMapper | undefined> {
  if (agent === 'claude-code' || agent === 'claude') return mapClaudeHook;
  if (agent === 'codex') return (await import('../../adapters/codex/hook.js')).mapHook;
  if (agent === 'gemini') return (await import('../../adapters/gemini/hook.js')).mapHook;
  return undefined;
}

export async function runHookCommand(argv: string[], globals: GlobalOptions = {}): Promise<void> {
  const now = Date.now();
  // Last resort: a stdin that never closes must not leave a process behind.
  setTimeout(() => process.exit(0), WATCHDOG_MS).unref();
  let dir: string | undefined;
  try {
    const args = parseArgs(argv);
    let config: AgentTraceConfig = {};
    let configError: unknown;
    try {
      config = loadConfig();
    } catch (error) {
      configError = error;
    }
    dir = resolveDataDir(args.dir ?? globals.dir, config);
    if (configError) logError(dir, 'hook: config ignored', configError);
    const { text, truncated } = await readStdin();
    if (truncated) {
      // Refused input is one short line (a string carries no stack); real errors keep theirs.
      logError(dir, 'hook', `payload larger than ${MAX_PAYLOAD} bytes ignored`);
      return;
    }
    if (!text.trim()) return;
    const redactor = new Redactor(config.redaction);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      // V8 quotes the payload in its message: redacted, since the log is on disk too.
      logError(dir, 'hook: payload is not JSON', `${text.length} characters: ${redactor.redactString((error as Error).message)}`);
      return;
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
      logError(dir, 'hook', 'payload is not a JSON object');
      return;
    }
    const mapper = await mapperFor(args.agent);
    if (!mapper) {
      logError(dir, 'hook', `unknown --agent "${args.agent}"`);
      return;
    }
    const p = payload as Record<string, unknown>;
    const event = hookEventName(p);
    if (args.agent === 'claude-code' || args.agent === 'claude') {
      if (event && HEAVY_EVENTS.has(event)) {
        const { runHeavyHook } = await import('./hook-heavy.js');
        runHeavyHook({ dir, config, redactor, payload: p, event, now });
        return;
      }
      const events = mapClaudeHook(p, { now });
      if (!events.length) return;
      const sessionId = hookSessionId(p)!;
      if (!existsSync(join(sessionFolder(dir, sessionId), JOURNAL_FILE))) {
        // First sight of a session (hooks installed mid-session): name the agent.
        events.unshift({ type: 'session.meta', sessionId, time: now, source: 'hook', agent: { name: AGENT_NAME }, provider: 'anthropic', ...(typeof p.cwd === 'string' && p.cwd ? { cwd: p.cwd } : {}) });
      }
      appendHookEvents(dir, events, redactor);
      return;
    }
    // Other agents: their mapper, then a rebuild of trace.json when a turn or the session ended.
    const isStart = /sessionstart|session_start/i.test(event ?? String(p.type ?? ''));
    let agentPid: number | undefined;
    if (isStart) {
      const { findAgentProcess } = await import('../../store/liveness.js');
      agentPid = findAgentProcess()?.pid;
    }
    const events = mapper(p, { now, ...(agentPid !== undefined ? { agentPid } : {}) });
    if (!events.length) return;
    appendHookEvents(dir, events, redactor);
    if (events.some((e) => e.type === 'turn.end' || e.type === 'session.end' || e.type === 'session.start')) {
      const { materializeSessions } = await import('./hook-heavy.js');
      materializeSessions({ dir, config, redactor }, [...new Set(events.map((e) => e.sessionId))], events.some((e) => e.type === 'turn.end' || e.type === 'session.end'));
    }
  } catch (error) {
    logError(dir ?? safeDefaultDir(), 'hook', error);
  }
}

function safeDefaultDir(): string {
  try {
    return process.env.AGENT_TRACE_DIR || defaultDataDir();
  } catch {
    return '.';
  }
}
