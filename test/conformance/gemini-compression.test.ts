import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceDocument } from '../../src/model/trace.js';
import { agentBin, agentVersion } from '../helpers/agents.js';
import { installFor, showOnlySession, spanRows } from '../helpers/conformance.js';
import { cli, tempDir } from '../helpers/env.js';
import { GEMINI_MODEL, setUpGemini, type GeminiSetup } from '../helpers/gemini-session.js';
import { processAlive as alive, TmuxSession, until } from '../helpers/tmux.js';

// The real Gemini CLI, interactive under tmux, against the scripted Gemini API. The first answer reports a prompt
// of 900,000 tokens (86% of gemini-2.5-flash's window, over its 50% threshold), so before the next prompt the CLI
// compresses the history for real: two summary requests, the history set again with the summary. Its PreCompress
// hook fires before every model call, compressing or not.

const BEFORE = 900_000;
const AFTER = 1_200;
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

let setup: GeminiSetup | undefined;
let tui: TmuxSession | undefined;
let workerPidFile: string | undefined;
afterEach(async () => {
  tui?.kill();
  await setup?.server.stop();
  // The reconcile worker the hooks started may still be writing into the temporary folder: let it finish.
  const pid = workerPidFile ? Number(readFileSyncOr(workerPidFile).trim()) : 0;
  if (pid) await until(() => (alive(pid) ? undefined : true), 20_000, () => `the worker ${pid} to finish`);
  tui = undefined;
  setup = undefined;
  workerPidFile = undefined;
});

function readFileSyncOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Whether the recorder got `event`: a spool file still waiting, or one the worker drained already. */
function recorded(dir: string, event: string): boolean {
  try {
    if (readdirSync(join(dir, 'spool', 'gemini')).some((f) => f.endsWith(`-${event}.json`))) return true;
  } catch {
    // no spool yet
  }
  return readFileSyncOr(join(dir, 'spool', 'fired.json')).includes(`"${event}"`);
}

describe(`Gemini CLI ${agentVersion('gemini')}: a real history compression`, () => {
  it('gives exactly one compaction span, with the prompt sizes before and after it; PreCompress alone gives none', async () => {
    const home = tempDir('agent-trace-gemini-compress-');
    setup = await setUpGemini(home, {}, () => [
      { text: 'First answer.', usage: { input: BEFORE, cached: 0, output: 5 } },
      { text: 'Second answer, after compression.', usage: { input: AFTER, cached: 0, output: 5 } },
    ]);
    const s = setup;
    const dir = join(home, 'trace');
    workerPidFile = join(dir, 'spool', 'worker.pid');
    const bin = agentBin('gemini');
    await installFor('gemini', dir, s.env, bin);
    // PreCompress is not installed (the chat file tells compressions apart); a user may add it by hand.
    const settings = JSON.parse(readFileSync(s.settingsPath, 'utf8')) as { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    const afterAgent = settings.hooks.AfterAgent![0]!.hooks[0]!.command;
    settings.hooks.PreCompress = [{ hooks: [{ ...settings.hooks.AfterAgent![0]!.hooks[0]!, command: afterAgent.replace(' AfterAgent ', ' PreCompress ') }] }];
    writeFileSync(s.settingsPath, JSON.stringify(settings, null, 2));

    // A person's terminal: without CI=true (which CI sets), or Gemini CLI takes itself for non-interactive.
    const envs = Object.entries(s.env)
      .filter(([k]) => k !== 'CI' && k !== 'CONTINUOUS_INTEGRATION')
      .map(([k, v]) => `${k}=${shq(String(v))}`)
      .join(' ');
    tui = new TmuxSession(`cd ${shq(s.work)} && env -i ${envs} ${shq(bin)} --skip-trust --approval-mode yolo -m ${GEMINI_MODEL}; sleep 600`);
    await tui.shows(/Type your message/, 60_000);
    for (const [prompt, answer] of [['Say hello.', /First answer\./], ['And now go on.', /Second answer, after compression\./]] as const) {
      // Typed only once the input is idle again (its placeholder back): keys typed while the CLI is still
      // finishing the previous answer can be dropped on a loaded machine.
      await tui.shows(/Type your message/, 60_000);
      tui.type(prompt);
      await tui.shows(new RegExp(prompt.replace('.', '\\.')));
      // On a loaded machine the CLI can take keys that arrive together as a paste, and an Enter inside a paste is
      // a new line, not a submit: press it again until the prompt is sent (the server's log says so).
      const requests = () => s.server.log.length + s.server.side.length;
      const sent = requests();
      for (let attempt = 1; ; attempt++) {
        tui.key('Enter');
        try {
          await until(() => (requests() > sent ? true : undefined), 5_000, () => `a model request for "${prompt}"`);
          break;
        } catch (error) {
          if (attempt >= 4) throw error;
        }
      }
      await tui.shows(answer, 60_000);
    }
    expect(tui.screen()).toMatch(/Context compressed from 86% to 0%/);
    tui.type('/quit');
    await tui.shows(/\/quit/);
    // As with the prompts: under load an Enter can arrive inside what the CLI takes for a paste; press it again
    // until the session ends.
    for (let attempt = 1; ; attempt++) {
      tui.key('Enter');
      try {
        await until(() => (recorded(dir, 'SessionEnd') ? true : undefined), attempt < 4 ? 8_000 : 30_000, () => `the SessionEnd hook:\n${tui!.screen()}`);
        break;
      } catch (error) {
        if (attempt >= 4) throw error;
      }
    }

    // Ground truth: two model calls; one compression (its summary and verification requests); PreCompress fired
    // before each model call.
    expect(s.server.log.map((c) => c.responseId)).toEqual(['gemresp_001', 'gemresp_002']);
    expect(s.server.side.filter((r) => /Critically evaluate the <state_snapshot>/.test(r.body))).toHaveLength(1);
    expect(recorded(dir, 'PreCompress')).toBe(true);

    const hooked = await showOnlySession(dir);
    const chats = join(home, '.gemini', 'tmp');
    const imported = await cli(['--dir', join(home, 'import'), 'import', '--agent', 'gemini', chats]);
    expect(imported.code, imported.stderr).toBe(0);
    const fromImport = await showOnlySession(join(home, 'import'));
    for (const doc of [hooked, fromImport]) {
      const compactions = doc.spans.filter((x) => x.kind === 'compaction');
      expect(compactions).toHaveLength(1);
      expect(compactions[0]!.attributes['agent_trace.compaction.tokens_before']).toBe(BEFORE);
      expect(compactions[0]!.attributes['agent_trace.compaction.tokens_after']).toBe(AFTER);
      expect(doc.summary.generations).toBe(2);
      expect(doc.spans.filter((x) => x.kind === 'turn').map((t) => t.input)).toEqual(['Say hello.', 'And now go on.']);
    }
    expect(hooked.status).toBe('completed');
    const rows = (d: TraceDocument) => spanRows(d).map((r) => r.replace(/ session (.*) \w+$/, ' session $1'));
    expect(rows(hooked)).toEqual(rows(fromImport));
  }, 120_000);
});
