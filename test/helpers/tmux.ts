import { execFileSync } from 'node:child_process';

/** A terminal program in a detached tmux session on a tmux server of its own (so tests never share one). */
export class TmuxSession {
  private readonly socket = `agent-trace-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(command: string, size = { x: 160, y: 50 }) {
    execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(size.x), '-y', String(size.y), command]);
  }

  screen(): string {
    try {
      return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', 'main'], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  type(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'main', '-l', text]);
  }

  key(name: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'main', name]);
  }

  /** Resolves once the screen shows `pattern`; rejects after `timeoutMs`, with the screen in the message. */
  async shows(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return until(() => (pattern.test(this.screen()) ? this.screen() : undefined), timeoutMs, () => `the screen to show ${pattern}:\n${this.screen()}`);
  }

  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

/** Polls `check` until it returns a value (a terminal or a file gives no event to await). */
export async function until<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether a process (a detached worker the agent's hooks started) is still alive. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
