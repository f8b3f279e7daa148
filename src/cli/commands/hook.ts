import { spawn } from 'node:child_process';
import { readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { HEAVY_EVENTS, hookEventName } from '../../adapters/claude-code/hook.js';
import { loadConfig, resolveDataDir, type AgentTraceConfig } from '../../config.js';
import { Redactor } from '../../redact.js';
import { logError } from '../../store/log.js';
import { defaultDataDir } from '../../store/paths.js';
import { liveWorker, safeEventName, writeSpool } from '../../store/spool.js';
import type { GlobalOptions } from '../options.js';

/**
 * `agent-trace hook`: one hook payload on stdin, for people and scripts that call it directly (the installed
 * hooks run the shell recorder `dist/hook/record.sh` instead, which costs a few milliseconds instead of a Node
 * start-up). It records the payload in the spool exactly as the recorder does, then — unless another process
 * is draining the spool — ingests it at once (the session's trace is current when it returns). It never
 * disturbs its caller: it always exits 0, prints nothing, and sends every error to `<dir>/agent-trace.log`.
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

function agentName(agent: string): string | undefined {
  if (agent === 'claude-code' || agent === 'claude') return 'claude-code';
  if (agent === 'codex' || agent === 'gemini') return agent;
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
    const agent = agentName(args.agent);
    if (!agent) {
      logError(dir, 'hook', `unknown --agent "${args.agent}"`);
      return;
    }
    const p = payload as Record<string, unknown>;
    const event = hookEventName(p) ?? (typeof p.type === 'string' ? p.type : 'unknown');
    // Recorded first, durably: from here on nothing can lose it (a kill leaves it for the next reconcile).
    writeSpool(dir, agent, safeEventName(event), text, now);
    // Then ingested at once when no one else is draining (a direct caller sees its trace as before); a busy
    // spool is left to whoever drains it, and a boundary makes sure a worker does.
    const { SessionStore } = await import('../../store/session-store.js');
    const { RECONCILE_SOURCES } = await import('../../adapters/sources.js');
    const store = new SessionStore(dir, { redactor, prices: config.prices, sources: RECONCILE_SOURCES });
    const result = store.reconcile({ quick: true, sessions: [] });
    if (result.exportWanted.length) {
      const { exportAfter } = await import('./reconcile.js');
      exportAfter(store, config, result.exportWanted);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (result.busy && HEAVY_EVENTS.has(event)) startWorker(dir);
  } catch (error) {
    logError(dir ?? safeDefaultDir(), 'hook', error);
  }
}

/** Starts the detached reconcile worker unless one is alive (what record.sh does on a boundary). */
function startWorker(dir: string): void {
  if (liveWorker(dir) !== undefined) return;
  const bin = process.argv[1];
  if (!bin) return;
  const child = spawn(process.execPath, [bin, 'reconcile', '--worker', '--dir', dir], { detached: true, stdio: 'ignore' });
  child.on('error', (error) => logError(dir, 'hook: worker', error));
  child.unref();
}

function safeDefaultDir(): string {
  try {
    return process.env.AGENT_TRACE_DIR || defaultDataDir();
  } catch {
    return '.';
  }
}
