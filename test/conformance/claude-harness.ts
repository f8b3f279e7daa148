// Drives the real Claude Code CLI (pinned, test/agents/versions.json) against the scripted Messages API server,
// in a temporary HOME with agent-trace installed: headless `claude -p` runs and the TUI under tmux.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import { agentBin } from '../helpers/agents.js';
import { cli } from '../helpers/env.js';
import { isolatedEnv } from '../helpers/claude-code.js';

export const API_KEY = 'sk-ant-api03-conformance-test-key-0000000000';

export interface ClaudeHome {
  home: string;
  project: string;
  dataDir: string;
  /** environment for `agent-trace` commands (same HOME/XDG as the agent) */
  env: NodeJS.ProcessEnv;
  /** environment for `claude` itself */
  claudeEnv: NodeJS.ProcessEnv;
  claude: string;
  /** removes the HOME (it outlives single tests: suites share one across their runs) */
  dispose(): void;
}

/**
 * A temporary HOME in which Claude Code starts without any first-run dialog, talks only to `apiUrl`, sends no
 * telemetry, and has agent-trace's hooks installed (`agent-trace install`, with `claude` on PATH so it
 * registers the events this version knows).
 */
export async function claudeHome(apiUrl: string, options: { install?: boolean } = {}): Promise<ClaudeHome> {
  const claude = agentBin('claude-code');
  const home = mkdtempSync(join(tmpdir(), 'agent-trace-cc-'));
  const project = join(home, 'project');
  mkdirSync(project, { recursive: true });
  mkdirSync(join(home, '.claude'), { recursive: true });
  // Onboarding done, the folder trusted, the key approved, the bypass-permissions warning accepted.
  writeFileSync(
    join(home, '.claude.json'),
    JSON.stringify({ hasCompletedOnboarding: true, theme: 'dark', customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] }, projects: { [project]: { hasTrustDialogAccepted: true } } }),
  );
  writeFileSync(join(home, '.claude', 'settings.json'), `${JSON.stringify({ skipDangerousModePermissionPrompt: true }, null, 2)}\n`);
  const env = isolatedEnv(home, { PATH: `${dirname(claude)}:${process.env.PATH ?? ''}` });
  const claudeEnv: NodeJS.ProcessEnv = {
    ...env,
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: API_KEY,
    IS_SANDBOX: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    TERM: 'xterm-256color',
  };
  for (const k of Object.keys(claudeEnv)) if (k.startsWith('ANTHROPIC_') && k !== 'ANTHROPIC_BASE_URL' && k !== 'ANTHROPIC_API_KEY') delete claudeEnv[k];
  if (options.install !== false) {
    const r = await cli(['install'], { env });
    if (r.code !== 0) throw new Error(`agent-trace install failed: ${r.stderr}`);
  }
  return { home, project, dataDir: join(home, '.local', 'share', 'agent-trace'), env, claudeEnv, claude, dispose: () => rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }) };
}

export const MODEL = 'claude-sonnet-4-5';

export interface ClaudeRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `claude -p PROMPT` (headless) in the project folder. */
export function startClaudeP(h: ClaudeHome, prompt: string, args: string[] = []): ClaudeRun {
  const child = spawn(h.claude, ['-p', prompt, '--dangerously-skip-permissions', '--model', MODEL, ...args], { cwd: h.project, env: h.claudeEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** The session's trace as `agent-trace show --json` gives it (the reconciling read a user would run). */
export async function showTrace(h: ClaudeHome, sessionId: string): Promise<TraceDocument> {
  const r = await cli(['show', sessionId, '--json'], { env: h.env });
  if (r.code !== 0) throw new Error(`agent-trace show ${sessionId} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as TraceDocument;
}

/**
 * What is left locked or unrecorded in the data directory: lock folders whose holder is gone (a live holder —
 * the detached reconcile worker finishing — is not "left"), and spool payloads no reconcile has taken.
 */
export function leftovers(dir: string): string[] {
  const out: string[] = [];
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const isDir = statSync(p).isDirectory();
      if (/(^|\.)lock$/.test(name)) {
        let pid = 0;
        try {
          pid = Number((JSON.parse(readFileSync(join(p, 'owner'), 'utf8')) as { pid?: number }).pid ?? 0);
        } catch {
          // no owner file
        }
        if (!pid || !alive(pid)) out.push(`${p} (holder ${pid || 'unknown'} gone)`);
        continue;
      }
      if (/\/spool\/[^/]+$/.test(d) && /\.json$/.test(name)) out.push(`${p} (not reconciled)`);
      const claimed = /\.claimed-(\d+)$/.exec(name);
      if (claimed && !alive(Number(claimed[1]))) out.push(`${p} (claim of a dead process)`);
      if (isDir) walk(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Waits for a condition the CLI announces by no event of its own (a file appearing, a line in a transcript, a
 * pane's text), checking every 25 ms, failing after `timeoutMs` with what it waited for.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function transcriptPath(h: ClaudeHome, sessionId: string): string {
  return join(h.home, '.claude', 'projects', h.project.replace(/[^A-Za-z0-9]/g, '-'), `${sessionId}.jsonl`);
}

export function transcriptLines(h: ClaudeHome, sessionId: string): Array<Record<string, unknown>> {
  const p = transcriptPath(h, sessionId);
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a line being written
      }
    });
}

/** The four token kinds of a trace's summary (what the API bills), in the server's Totals shape. */
export function tokenKinds(doc: TraceDocument): { input: number; output: number; cacheRead: number; cacheWrite: number } {
  const t = doc.summary.tokens;
  return { input: t.input, output: t.output, cacheRead: t.cacheRead, cacheWrite: t.cacheWrite };
}

/** The 5-minute / 1-hour split of cache writes, when the trace keeps it. */
export function cacheWriteSplit(doc: TraceDocument): { cacheWrite5m: number; cacheWrite1h: number } | undefined {
  const t = doc.summary.tokens as unknown as Record<string, number | undefined>;
  return t.cacheWrite5m === undefined && t.cacheWrite1h === undefined ? undefined : { cacheWrite5m: t.cacheWrite5m ?? 0, cacheWrite1h: t.cacheWrite1h ?? 0 };
}

export function descendsFrom(doc: TraceDocument, span: TraceSpan, ancestorId: string): boolean {
  let p = doc.spans.find((s) => s.spanId === span.parentSpanId);
  while (p) {
    if (p.spanId === ancestorId) return true;
    p = doc.spans.find((s) => s.spanId === p!.parentSpanId);
  }
  return false;
}

/** A Claude Code TUI in a detached tmux session of its own tmux server. */
export class Tui {
  private readonly socket: string;
  private readonly exitedPromise: Promise<void>;

  constructor(
    readonly h: ClaudeHome,
    name: string,
    args: string[] = [],
  ) {
    this.socket = `agent-trace-${name}-${process.pid}`;
    const envs = Object.entries(h.claudeEnv)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${shq(v!)}`)
      .join(' ');
    const channel = `exit-${name}`;
    // When claude exits, `tmux wait-for -S` signals the channel: the test awaits the exit as an event.
    const command = `cd ${shq(h.project)} && env -i ${envs} ${shq(h.claude)} --dangerously-skip-permissions --model ${MODEL} ${args.map(shq).join(' ')}; tmux -L ${this.socket} wait-for -S ${channel}`;
    execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'cc', '-x', '160', '-y', '50', command]);
    const waiter = spawn('tmux', ['-L', this.socket, 'wait-for', channel], { stdio: 'ignore' });
    this.exitedPromise = new Promise((resolve) => waiter.on('close', () => resolve()));
  }

  pane(): string {
    try {
      return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', 'cc'], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  /** Types a line and presses Enter. */
  send(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'cc', '-l', text]);
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'cc', 'Enter']);
  }

  key(name: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'cc', name]);
  }

  exited(): Promise<void> {
    return this.exitedPromise;
  }

  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

function shq(s: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
