import { mkdirSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codexInstaller } from '../../adapters/codex/install.js';
import { geminiInstaller } from '../../adapters/gemini/install.js';
import { InstallError, type AgentInstaller, type FileEdit, type InstallEnv, type InstallScope } from '../../adapters/installer.js';
import { opencodeInstaller } from '../../adapters/opencode/install.js';
import { writeFileAtomicSync } from '../../store/atomic-write.js';
import { CliError } from '../errors.js';
import { unifiedDiff } from './install.js';

/**
 * install / uninstall / doctor for Codex CLI, Gemini CLI and opencode, through their installer modules
 * (src/adapters/<agent>/install.ts). Uninstall is byte-exact: the bytes of each file before install are kept in
 * `${XDG_STATE_HOME:-~/.local/state}/agent-trace/installed-agents.json` and put back when the file is still
 * exactly what install wrote; a file edited since loses only agent-trace's entries.
 */
export const AGENT_INSTALLERS: readonly AgentInstaller[] = [codexInstaller, geminiInstaller, opencodeInstaller];

export function installEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), dataDir?: string): InstallEnv {
  const bin = entryScript();
  const dist = dirname(dirname(bin));
  return {
    env,
    cwd,
    home: env.HOME || homedir(),
    ...(dataDir ? { dataDir } : {}),
    node: process.execPath,
    bin,
    recordScript: join(dist, 'hook', 'record.sh'),
    opencodePlugin: join(dist, 'plugins', 'opencode.js'),
  };
}

function entryScript(): string {
  const bin = process.argv[1] ?? fileURLToPath(import.meta.url);
  try {
    return realpathSync(bin);
  } catch {
    return resolve(bin);
  }
}

interface Record {
  before: string | null;
  after: string;
}

function recordPath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'agent-trace', 'installed-agents.json');
}

function readRecords(env: NodeJS.ProcessEnv): { [path: string]: Record } {
  try {
    return JSON.parse(readFileSync(recordPath(env), 'utf8')) as { [path: string]: Record };
  } catch {
    return {};
  }
}

function writeRecords(env: NodeJS.ProcessEnv, records: { [path: string]: Record }): void {
  const path = recordPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(path, `${JSON.stringify(records, null, 2)}\n`);
}

function current(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface AgentInstallResult {
  agent: string;
  lines: string[];
}

/** Plans and applies (or, with dryRun, prints) one agent's install or uninstall. */
export function installAgent(installer: AgentInstaller, ie: InstallEnv, options: { scope: InstallScope; uninstall: boolean; dryRun?: boolean }): AgentInstallResult {
  if (!installer.scopes.includes(options.scope)) throw new CliError(`${installer.label} has no ${options.scope} scope (it has ${installer.scopes.join(', ')})`, 2);
  const version = installer.detect(ie).version;
  let planned: ReturnType<AgentInstaller['plan']>;
  try {
    planned = installer.plan(ie, options.scope, options.uninstall, version);
  } catch (error) {
    if (error instanceof InstallError) throw new CliError(error.message);
    throw error;
  }
  const records = readRecords(ie.env);
  const edits: FileEdit[] = planned.edits.map((edit) => {
    const kept = records[edit.path];
    // Still exactly what install wrote: uninstall puts the original bytes back (or removes a file install made).
    if (options.uninstall && kept && current(edit.path) === kept.after) return { ...edit, after: kept.before ?? undefined };
    return edit;
  });
  const lines: string[] = [];
  if (options.dryRun) {
    for (const e of edits) lines.push(unifiedDiff(e.before ?? '', e.after ?? '', e.path).trimEnd());
    if (!edits.length) lines.push(`${installer.label}: nothing would change`);
    return { agent: installer.agent, lines };
  }
  for (const e of edits) {
    if (e.after === undefined) {
      try {
        unlinkSync(e.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot remove ${e.path}: ${(error as Error).message}`);
      }
    } else {
      mkdirSync(dirname(e.path), { recursive: true });
      writeFileAtomicSync(e.path, e.after);
    }
    if (options.uninstall) delete records[e.path];
    else records[e.path] = { before: records[e.path]?.before ?? e.before ?? null, after: e.after ?? '' };
    lines.push(`${installer.label}: ${options.uninstall ? (e.after === undefined ? 'removed' : 'restored') : 'wrote'} ${e.path}`);
  }
  if (edits.length) writeRecords(ie.env, records);
  if (!edits.length) lines.push(`${installer.label}: ${options.uninstall ? 'nothing of agent-trace to remove' : 'already installed'}`);
  if (!options.uninstall) lines.push(...planned.notes.map((n) => `  ${n}`));
  return { agent: installer.agent, lines };
}

/** For doctor: each agent found, where agent-trace is installed for it, and what blocks it. */
export function agentStatus(ie: InstallEnv): Array<{ agent: string; label: string; found: boolean; version?: string; installs: ReturnType<AgentInstaller['status']> }> {
  return AGENT_INSTALLERS.map((i) => {
    const d = i.detect(ie);
    return { agent: i.agent, label: i.label, found: d.found, ...(d.version ? { version: d.version } : {}), installs: i.status(ie) };
  });
}

export interface AgentsInstallOptions {
  agent: string;
  scope?: string;
  dryRun?: boolean;
  uninstall: boolean;
  dir?: string;
}

/**
 * `install|uninstall --agent codex|gemini|opencode|all`. `all` covers every one of these agents found on the
 * machine (Claude Code is done by its own command first) and says which were found and where it wrote.
 */
export async function runAgentsInstall(options: AgentsInstallOptions): Promise<void> {
  const ie = installEnv(process.env, process.cwd(), options.dir);
  const scope = (options.scope ?? 'user') as InstallScope;
  const chosen = options.agent === 'all' ? AGENT_INSTALLERS.filter((i) => i.detect(ie).found || i.status(ie).length > 0) : AGENT_INSTALLERS.filter((i) => i.agent === options.agent);
  if (!chosen.length && options.agent !== 'all') throw new CliError(`unknown --agent "${options.agent}"`, 2);
  if (options.agent === 'all') {
    const missing = AGENT_INSTALLERS.filter((i) => !chosen.includes(i)).map((i) => i.label);
    if (missing.length) process.stdout.write(`not found on this machine (skipped): ${missing.join(', ')}\n`);
  }
  for (const installer of chosen) {
    if (options.agent === 'all' && !installer.scopes.includes(scope)) continue;
    const result = installAgent(installer, ie, { scope, uninstall: options.uninstall, ...(options.dryRun ? { dryRun: true } : {}) });
    process.stdout.write(`${result.lines.join('\n')}\n`);
  }
}

export interface AgentDoctorReport {
  agent: string;
  label: string;
  found: boolean;
  version?: string;
  installs: ReturnType<AgentInstaller['status']>;
  /** Per event, when agent-trace last received it (from the spool's fired.json). */
  fired: { [event: string]: number };
  /** working: events arrive; blocked: something stops them (see blockers); never-fired: installed, nothing yet; not-installed. */
  state: 'working' | 'blocked' | 'never-fired' | 'not-installed';
  advice?: string;
}

function readFired(dataDir: string): { [agent: string]: { [event: string]: number } } {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'spool', 'fired.json'), 'utf8')) as { [agent: string]: { [event: string]: number } };
  } catch {
    return {};
  }
}

/**
 * For doctor: per agent, where agent-trace is installed, when each event last arrived, and a verdict that tells
 * hooks the agent blocks (Codex's untrusted hooks, Gemini's hooks turned off) from hooks that simply have not fired
 * yet and from working ones. A hook that fired after install is working even if a blocker is suspected.
 */
export function agentDoctor(ie: InstallEnv, dataDir: string): AgentDoctorReport[] {
  const fired = readFired(dataDir);
  return agentStatus(ie).map((a) => {
    const f = fired[a.agent] ?? {};
    const blockers = a.installs.flatMap((i) => i.blockers);
    let state: AgentDoctorReport['state'];
    let advice: string | undefined;
    if (!a.installs.length) {
      state = 'not-installed';
      advice = a.found ? `run: agent-trace install --agent ${a.agent}` : undefined;
    } else if (Object.keys(f).length) state = 'working';
    else if (blockers.length) {
      state = 'blocked';
      advice = blockers[0];
    } else {
      state = 'never-fired';
      advice = `installed, but no ${a.label} event has arrived yet: start a ${a.label} session`;
    }
    return { agent: a.agent, label: a.label, found: a.found, ...(a.version ? { version: a.version } : {}), installs: a.installs, fired: f, state, ...(advice ? { advice } : {}) };
  });
}
