// agent-trace's opencode plugin: records opencode's session lifecycle in-process, in microseconds, and never
// throws into opencode. This file is shipped as dist/plugins/opencode.js and loaded through the small file
// `agent-trace install` writes into opencode's plugin folder (which also bakes in the Node and agent-trace paths).
//
// It records only what opencode's own database lacks — a session started, a turn ended (idle), a permission was
// asked or answered, an error, the session was deleted — as spool files (`<dir>/spool/opencode/`, the format of
// every agent's hooks), and at the end of a turn starts agent-trace's detached reconcile worker, which reads the
// turn's messages, model calls, tokens and tools from opencode.db. One small file write per lifecycle event; no
// process per event; streaming deltas and part updates are not even looked at.
//
// Self-contained on purpose (only node: built-ins): opencode loads it into its own runtime.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface AgentTracePluginOptions {
  /** The Node.js that runs agent-trace (opencode's own runtime is not Node). */
  node: string;
  /** dist/bin/agent-trace.js */
  bin: string;
  /** The data folder baked in at install (empty: `AGENT_TRACE_DIR`, else the default). */
  dir?: string;
}

interface BusEvent {
  type?: string;
  properties?: Record<string, unknown>;
}

const RECORDED = new Set(['session.created', 'session.idle', 'session.deleted', 'session.error', 'permission.asked', 'permission.updated', 'permission.replied']);
const BOUNDARY = new Set(['session.idle', 'session.deleted', 'session.error']);

function dataDir(baked: string | undefined): string {
  const env = process.env.AGENT_TRACE_DIR;
  if (env) return env;
  if (baked) return baked;
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'agent-trace');
}

function opencodeDatabase(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'opencode', 'opencode.db');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/** The session an event is about, wherever this opencode version puts it. */
function sessionOf(event: BusEvent): { id?: string; parent?: string } {
  const p = event.properties ?? {};
  const info = (p.info ?? {}) as Record<string, unknown>;
  const id = str(p.sessionID) ?? (event.type?.startsWith('session.') ? str(info.id) : undefined) ?? str(info.sessionID);
  return { ...(id ? { id } : {}), ...(str(info.parentID) ? { parent: str(info.parentID)! } : {}) };
}

export function createAgentTracePlugin(options: AgentTracePluginOptions) {
  let sequence = 0;
  const children = new Set<string>();
  let spoolReady: string | undefined;

  const record = (dir: string, name: string, payload: Record<string, unknown>): void => {
    const spool = join(dir, 'spool', 'opencode');
    if (spoolReady !== spool) {
      mkdirSync(spool, { recursive: true, mode: 0o700 });
      spoolReady = spool;
    }
    // Epoch nanoseconds (names sort in arrival order), this process, its parent, the event.
    const ns = BigInt(Date.now()) * 1_000_000n + BigInt(sequence++ % 1_000_000);
    const tmp = join(spool, `.${process.pid}-${sequence}.tmp`);
    writeFileSync(tmp, JSON.stringify(payload), { mode: 0o600 });
    renameSync(tmp, join(spool, `${ns}-${process.pid}-${process.ppid}-${name.replace(/[^A-Za-z0-9_.]/g, '_')}.json`));
  };

  const startWorker = (dir: string): void => {
    try {
      const pid = Number(readFileSync(join(dir, 'spool', 'worker.pid'), 'utf8').trim());
      if (pid > 0) {
        process.kill(pid, 0);
        return; // alive: it will drain what was just written
      }
    } catch {
      // no worker, or a dead one
    }
    const child = spawn(options.node, [options.bin, 'reconcile', '--worker', '--dir', dir], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  };

  return async ({ directory }: { directory?: string } = {}) => ({
    event: async ({ event }: { event: BusEvent }): Promise<void> => {
      try {
        const type = event?.type;
        if (!type || !RECORDED.has(type)) return;
        const session = sessionOf(event);
        if (!session.id) return;
        // A task's subagent session lives inside its parent's trace (read from the database with it).
        if (session.parent) children.add(session.id);
        if (children.has(session.id)) return;
        const dir = dataDir(options.dir);
        record(dir, type, { hook_event_name: type, session_id: session.id, transcript_path: opencodeDatabase(), ...(directory ? { cwd: directory } : {}), timestamp: Date.now(), event });
        if (BOUNDARY.has(type)) startWorker(dir);
      } catch {
        // Never into opencode: a trace that misses an event is better than an agent that breaks.
      }
    },
  });
}
