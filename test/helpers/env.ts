import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { afterEach } from 'vitest';

import { binPath } from './paths.js';

export { binPath, libPath, repoRoot } from './paths.js';
export { fixturesDir } from './fixtures.js';

const made: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  // A test that fails half-way must not leave its processes behind.
  while (children.length) {
    const child = children.pop()!;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
});

/** Spawns a process that is killed after the test if it is still running. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, options);
  children.push(child);
  return child;
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(prefix = 'agent-trace-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin. */
export function run(command: string, args: string[], options: SpawnOptions & { input?: string | Buffer } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}

/** Runs the built CLI. */
export function cli(args: string[], options: SpawnOptions & { input?: string | Buffer } = {}): Promise<RunResult> {
  return run(process.execPath, [binPath, ...args], options);
}

/** Resolves when the child prints a line matching `pattern` on stdout. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let buffer = '';
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (pattern.test(line)) {
          child.stdout!.off('data', onData);
          resolvePromise(line);
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing ${pattern}`)));
  });
}
