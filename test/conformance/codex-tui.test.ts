import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceDocument } from '../../src/model/trace.js';
import { agentBin, agentVersion } from '../helpers/agents.js';
import { runCodex, setUpCodex, type CodexSetup } from '../helpers/codex-session.js';
import { installFor, showOnlySession, spanRows } from '../helpers/conformance.js';
import { cli, tempDir } from '../helpers/env.js';
import { processAlive as alive, TmuxSession, until } from '../helpers/tmux.js';

// The real Codex TUI under tmux, against the scripted Responses API: hooks run only once the person trusts them
// (doctor says so until then), and Esc in the middle of a command makes the turn and the command interrupted.

const HOOKS = ['SessionStart', 'PermissionRequest', 'Stop', 'Interrupt', 'SessionEnd'];
// A model Codex's catalog does not know: a known one may be offered an upgrade in a dialog at start.
const TUI_MODEL = 'scripted-model';
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

let setup: CodexSetup | undefined;
let tui: TmuxSession | undefined;
let cleanup: (() => void) | undefined;
let workerPidFile: string | undefined;
afterEach(async () => {
  tui?.kill();
  cleanup?.();
  // The reconcile worker the hooks started may still be writing into the temporary folder: let it finish.
  if (workerPidFile) {
    const pid = existsSync(workerPidFile) ? Number(readFileSync(workerPidFile, 'utf8').trim()) : 0;
    await until(() => (pid && alive(pid) ? undefined : true), 20_000, () => `the worker ${pid} to finish`);
  }
  workerPidFile = undefined;
  await setup?.server.stop();
  tui = undefined;
  setup = undefined;
  cleanup = undefined;
});

async function codexDoctor(dir: string, env: NodeJS.ProcessEnv): Promise<{ problems: string[]; lastFired: Record<string, number> }> {
  const r = await cli(['--dir', dir, 'doctor', '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { agents: Array<{ agent: string; problems: string[]; lastFired: Record<string, number> }> }).agents.find((a) => a.agent === 'codex')!;
}

/** Whether the recorder got `event`: a spool file still waiting, or one the worker drained already. */
function recorded(dir: string, event: string): boolean {
  try {
    if (readdirSync(join(dir, 'spool', 'codex')).some((f) => f.endsWith(`-${event}.json`))) return true;
  } catch {
    // no spool yet
  }
  try {
    return (JSON.parse(readFileSync(join(dir, 'spool', 'fired.json'), 'utf8')) as Record<string, Record<string, number>>).codex?.[event] !== undefined;
  } catch {
    return false;
  }
}

describe(`Codex CLI ${agentVersion('codex')} TUI: hook trust and Esc`, () => {
  it('runs no hook until trusted (doctor says why), then records an Esc mid-command as interrupted, not an error', async () => {
    const home = tempDir('agent-trace-codex-tui-');
    const marker = join(home, 'slow.pid');
    setup = await setUpCodex(home, [
      { text: 'Nothing to do.', usage: { input: 900, cached: 0, output: 4 } },
      { text: 'Running the check.', tools: [{ id: 'call_slow', name: 'exec_command', args: { cmd: `sh -c 'echo $$ > ${marker}; exec sleep 60'` } }], usage: { input: 1000, cached: 0, output: 10 } },
      { text: 'Noted.', usage: { input: 1100, cached: 0, output: 5 } },
      { text: 'All good now.', usage: { input: 1200, cached: 512, output: 6 } },
    ]);
    const s = setup;
    const dir = join(home, 'trace');
    workerPidFile = join(dir, 'spool', 'worker.pid');
    const bin = agentBin('codex');
    await installFor('codex', dir, s.env, bin);
    const hooksFile = join(s.codexHome, 'hooks.json');
    const stopDaemon = () => {
      // The TUI leaves Codex's app-server daemon running (its sessions outlive the TUI): stop it as a user would.
      try {
        execFileSync(bin, ['app-server', 'daemon', 'stop'], { env: s.env, stdio: 'ignore', timeout: 15_000 });
      } catch {
        // not running
      }
    };
    cleanup = () => {
      stopDaemon();
      // What is left of this HOME's Codex processes (the daemon's pid-update loop outlives `daemon stop`).
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(s.codexHome)) process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      if (existsSync(marker)) {
        try {
          process.kill(Number(readFileSync(marker, 'utf8').trim()), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };

    // 1. Not trusted: a headless session runs, no hook fires, and doctor names the untrusted hooks.
    const untrusted = await runCodex(s);
    expect(untrusted.code, untrusted.stderr.slice(-2000)).toBe(0);
    expect(existsSync(join(dir, 'spool', 'codex')) ? readdirSync(join(dir, 'spool', 'codex')) : []).toEqual([]);
    const before = await codexDoctor(dir, s.env);
    expect(before.problems.join('\n')).toContain(`5 of 5 hooks are not trusted yet (${HOOKS.join(', ')})`);
    expect(before.lastFired).toEqual({});

    // 2. The TUI asks to review the new hooks; the person trusts them all.
    const envs = Object.entries(s.env).map(([k, v]) => `${k}=${shq(String(v))}`).join(' ');
    tui = new TmuxSession(`cd ${shq(s.work)} && env -i ${envs} ${shq(bin)} -C ${shq(s.work)} -m ${TUI_MODEL} --dangerously-bypass-approvals-and-sandbox; sleep 600`);
    await tui.shows(/Trust all and continue/);
    tui.key('2');
    tui.key('Enter');
    await tui.shows(/Ask Codex to do anything/);
    const trusted = await codexDoctor(dir, s.env);
    expect(trusted.problems.join('\n')).not.toContain('not trusted');
    expect(readFileSync(join(s.codexHome, 'config.toml'), 'utf8')).toContain(`[hooks.state."${hooksFile}:interrupt:0:0"]`);

    // 3. A prompt whose command runs until Esc.
    // Typed, then Enter once the prompt shows it (Codex takes keys that come in a burst for a paste).
    tui.type('Run the slow check.');
    await tui.shows(/› Run the slow check\./);
    tui.key('Enter');
    await until(() => (existsSync(marker) && readFileSync(marker, 'utf8').trim() ? true : undefined), 30_000, () => `the slow command to start:\n${tui!.screen()}`);
    tui.key('Escape');
    await until(() => (recorded(dir, 'Interrupt') ? true : undefined), 20_000, () => `the Interrupt hook:\n${tui!.screen()}`);
    const interrupted = await showOnlySession(dir);
    const turn1 = interrupted.spans.find((x) => x.kind === 'turn')!;
    const slow = interrupted.spans.find((x) => x.attributes['gen_ai.tool.call.id'] === 'call_slow')!;
    expect(turn1.input).toBe('Run the slow check.');
    for (const span of [turn1, slow]) {
      expect(span.endTime, span.name).toBeDefined();
      expect(span.status, span.name).not.toBe('error');
      expect(span.attributes['agent_trace.interrupted'], span.name).toBe(true);
    }
    expect(interrupted.summary.toolErrors).toBe(0);

    // 4. The next prompt is an ordinary turn; the daemon stopping ends the session.
    tui.type('And now?');
    await tui.shows(/› And now\?/);
    tui.key('Enter');
    await tui.shows(/All good now\./);
    await until(() => (recorded(dir, 'Stop') ? true : undefined), 10_000, () => 'the Stop hook');
    tui.kill();
    tui = undefined;
    stopDaemon();
    const rollout = (await cli(['--dir', join(home, 'import'), 'import', '--agent', 'codex', join(s.codexHome, 'sessions')])).code;
    expect(rollout).toBe(0);
    const doc = await showOnlySession(dir);
    // The import holds the untrusted headless session too: the same session is compared.
    const shown = await cli(['--dir', join(home, 'import'), 'show', '--json', doc.sessionId]);
    expect(shown.code, shown.stderr).toBe(0);
    const imported = JSON.parse(shown.stdout) as TraceDocument;
    const turns = doc.spans.filter((x) => x.kind === 'turn');
    expect(turns.map((t) => t.input)).toEqual(['Run the slow check.', 'And now?']);
    expect(turns[1]!.status).toBe('ok');
    // Every model call of the conversation: the TUI's requests after the headless run's, but the one that names
    // the thread (a title, asked for in the background; nothing of it is in the rollout).
    const conversation = s.server.log.slice(1).filter((c) => !/title of at most \d+ characters/.test(JSON.stringify(c.request.input)));
    expect(conversation).toHaveLength(2);
    expect(doc.spans.filter((x) => x.kind === 'generation').map((g) => g.attributes['gen_ai.response.id'])).toEqual(conversation.map((c) => c.responseId));
    expect(doc.summary.toolErrors).toBe(0);
    const rows = (d: TraceDocument) => spanRows(d).map((r) => r.replace(/ session (.*) \w+$/, ' session $1'));
    expect(rows(doc)).toEqual(rows(imported));
  }, 120_000);
});
