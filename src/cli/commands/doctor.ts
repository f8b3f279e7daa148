import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTALLERS } from '../../adapters/installers.js';
import type { InstalledAt } from '../../adapters/installer.js';
import { loadConfig, resolveDataDir } from '../../config.js';
import { LOG_FILE } from '../../store/paths.js';
import { liveWorker, pendingSpool, readFired, spoolAgents } from '../../store/spool.js';
import { formatTime, paint, useColor } from '../format.js';
import type { GlobalOptions } from '../options.js';
import { installEnv } from './install.js';

/**
 * `agent-trace doctor [--json]`: for each agent, whether it is on this machine, where agent-trace is installed
 * for it and with which events, when each hook last fired (from the spool's record, kept as it is drained),
 * what blocks it, and the recent errors of the log that name it. Agents plug in through their installer.
 */

interface AgentReport {
  agent: string;
  label: string;
  found: boolean;
  version?: string;
  where?: string;
  installed: InstalledAt[];
  /** event → last time it fired (epoch ms). */
  lastFired: Record<string, number>;
  /** Registered events never seen firing. */
  neverFired: string[];
  pending: number;
  problems: string[];
}

interface DoctorReport {
  dir: string;
  worker: { running: boolean; pid?: number };
  agents: AgentReport[];
  recentErrors: string[];
}

function recentLog(dir: string, max = 200): string[] {
  try {
    const lines = readFileSync(join(dir, LOG_FILE), 'utf8').trimEnd().split('\n');
    return lines.slice(-max).filter(Boolean);
  } catch {
    return [];
  }
}

export function doctorReport(options: GlobalOptions): DoctorReport {
  const ie = installEnv(options);
  let dir: string;
  try {
    dir = resolveDataDir(options.dir, loadConfig());
  } catch {
    dir = resolveDataDir(options.dir, {});
  }
  const fired = readFired(dir);
  const log = recentLog(dir);
  const spooled = new Set(spoolAgents(dir));
  const agents: AgentReport[] = INSTALLERS.map((installer) => {
    const d = installer.detect(ie);
    const installed = installer.status(ie);
    const lastFired = fired[installer.agent] ?? {};
    const registered = [...new Set(installed.flatMap((i) => i.events))];
    const neverFired = registered.filter((e) => lastFired[e] === undefined);
    const p = spooled.has(installer.agent) ? pendingSpool(dir, installer.agent) : { ready: [], orphans: [], inFlight: 0 };
    const problems: string[] = [];
    // An agent that is not on this machine has nothing to install: not a problem to report.
    if (!installed.length && d.found) problems.push(`not installed: run \`agent-trace install --agent ${installer.agent}\``);
    for (const at of installed) for (const b of at.blockers) problems.push(`${at.path}: ${b}`);
    if (installed.length && !Object.keys(lastFired).length) problems.push(`no hook has fired yet (since install, start a new ${installer.label} session; a running one reads its settings at start)`);
    if (ie.dataDir && installed.length && ie.dataDir !== dir) problems.push(`the hooks write to ${ie.dataDir}, this command reads ${dir}`);
    return {
      agent: installer.agent,
      label: installer.label,
      found: d.found,
      ...(d.version ? { version: d.version } : {}),
      ...(d.where ? { where: d.where } : {}),
      installed,
      lastFired,
      neverFired,
      pending: p.ready.length + p.orphans.length,
      problems,
    };
  });
  const worker = liveWorker(dir);
  return { dir, worker: { running: worker !== undefined, ...(worker ? { pid: worker } : {}) }, agents, recentErrors: log.slice(-20) };
}

export async function runDoctor(options: GlobalOptions & { json?: boolean }): Promise<void> {
  const report = doctorReport(options);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const color = useColor();
  const out: string[] = [`data directory: ${report.dir}`, `reconcile worker: ${report.worker.running ? `running (pid ${report.worker.pid})` : 'not running (starts on the next turn boundary)'}`];
  for (const a of report.agents) {
    out.push('');
    out.push(`${paint(a.label, 'bold', color)}: ${a.found ? `found${a.version ? ` (${a.version})` : ''}${a.where ? ` — ${a.where}` : ''}` : 'not found on this machine'}`);
    for (const at of a.installed) out.push(`  installed (${at.scope}) in ${at.path}: ${at.events.length} events`);
    const fired = Object.entries(a.lastFired).sort((x, y) => y[1] - x[1]);
    if (fired.length) out.push(`  last fired: ${fired.slice(0, 8).map(([e, t]) => `${e} ${formatTime(t)}`).join(', ')}${fired.length > 8 ? ` … ${fired.length - 8} more` : ''}`);
    if (a.installed.length && a.neverFired.length && fired.length) out.push(`  not fired yet: ${a.neverFired.join(', ')}`);
    if (a.pending) out.push(`  waiting in the spool: ${a.pending} payload${a.pending === 1 ? '' : 's'} (the next \`list\`/\`show\` ingests them)`);
    for (const p of a.problems) out.push(`  ${paint('!', 'yellow', color)} ${p}`);
    const errors = report.recentErrors.filter((l) => l.includes(a.agent) || (a.agent === 'claude-code' && /reconcile|hook/.test(l)));
    if (errors.length) out.push(`  recent errors (${join(report.dir, LOG_FILE)}):`, ...errors.slice(-5).map((l) => `    ${l.slice(0, 240)}`));
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
