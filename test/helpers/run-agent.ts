import { spawn } from 'node:child_process';

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/**
 * Runs a real agent CLI to its exit without blocking the event loop (the scripted model server answers from
 * this same process), with stdin closed, killed after `timeoutMs`.
 */
export function runAgent(bin: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number }): Promise<AgentRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...options.env, PWD: options.cwd }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - started });
    });
  });
}

/**
 * An environment for a real agent CLI: no OTEL_*, AGENT_TRACE_*, CLAUDE_* or XDG_* of the caller, and a HOME/XDG
 * of the run's own (the same rule as the Claude Code suites' `isolatedEnv`; kept free of vitest so the bench can
 * drive these sessions too).
 */
export function agentEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OTEL_') || k.startsWith('AGENT_TRACE_') || k.startsWith('CLAUDE_') || k.startsWith('XDG_')) continue;
    env[k] = v;
  }
  env.HOME = home;
  env.XDG_CONFIG_HOME = `${home}/.config`;
  env.XDG_DATA_HOME = `${home}/.local/share`;
  return { ...env, ...extra };
}
