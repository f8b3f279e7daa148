import { readdirSync, readFileSync } from 'node:fs';
import { GEMINI_EVENTS } from '../../src/adapters/gemini/installer.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceDocument } from '../../src/model/trace.js';
import { agentBin, agentVersion } from '../helpers/agents.js';
import { runAgent } from '../helpers/run-agent.js';
import { expectTraceMatchesLog, installFor, spanRows, showOnlySession } from '../helpers/conformance.js';
import { cli, tempDir } from '../helpers/env.js';
import { GEMINI_MODEL, GEMINI_PROMPT, runGemini, setUpGemini, type GeminiSetup } from '../helpers/gemini-session.js';

// The real Gemini CLI (pinned), headless, against a scripted Gemini API on 127.0.0.1: what it answered is the
// ground truth for both the hook-captured trace and the import of the chat file.

const FAILED = { g4: 'tool_error' };

let setup: GeminiSetup | undefined;
afterEach(async () => {
  await setup?.server.stop();
  setup = undefined;
});

describe(`Gemini CLI ${agentVersion('gemini')} against a scripted Gemini API`, () => {
  it('hook capture and import of the same session both equal what the server answered', async () => {
    const home = tempDir('agent-trace-gemini-');
    const hookDir = join(home, 'trace-hooks');
    setup = await setUpGemini(home);
    await installFor('gemini', hookDir, setup.env, agentBin('gemini'));
    const settings = JSON.parse(readFileSync(setup.settingsPath, 'utf8')) as { hooks: Record<string, unknown>; security: unknown };
    expect(Object.keys(settings.hooks)).toEqual(GEMINI_EVENTS);
    expect(settings.security).toEqual({ auth: { selectedType: 'gemini-api-key' } });
    const run = await runGemini(setup);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(setup.server.unexpected).toEqual([]);
    const log = setup.server.log;
    expect(log).toHaveLength(4);

    const hooked = await showOnlySession(hookDir);
    const chats = join(home, '.gemini', 'tmp');
    const importDir = join(home, 'trace-import');
    const imported = await cli(['--dir', importDir, 'import', '--agent', 'gemini', chats]);
    expect(imported.code, imported.stderr).toBe(0);
    const fromImport = await showOnlySession(importDir);

    for (const doc of [hooked, fromImport]) {
      expectTraceMatchesLog(doc, log, { prompt: GEMINI_PROMPT, failed: FAILED, matchBy: 'input', outputIncludesReasoning: false });
      expect(doc.spans.filter((s) => s.kind === 'compaction')).toEqual([]);
      expect(doc.summary.filesTouched).toEqual([join(setup.work, 'notes.txt')]);
      expect(doc.spans.find((s) => s.kind === 'turn')!.output).toBe('I removed the trailing spaces from notes.txt.');
    }
    expect(hooked.status).toBe('completed');
    const rows = (d: TraceDocument) => spanRows(d).map((r) => r.replace(/ session (.*) \w+$/, ' session $1'));
    expect(rows(hooked)).toEqual(rows(fromImport));
    expect(readdirSync(join(chats, 'work', 'chats'))).toHaveLength(1);

    // `--resume`: Gemini sets the whole history again (and may leave a stub file with the same id): still one
    // session, no compaction, one more turn and model call, and the earlier ones kept.
    const again = await runAgent(agentBin('gemini'), ['--skip-trust', '--approval-mode', 'yolo', '-m', GEMINI_MODEL, '--resume', 'latest', '-p', 'And now?'], { cwd: setup.work, env: setup.env, timeoutMs: 90_000 });
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(setup.server.log).toHaveLength(5);
    const reimported = await cli(['--dir', importDir, 'import', '--agent', 'gemini', chats]);
    expect(reimported.code, reimported.stderr).toBe(0);
    for (const doc of [await showOnlySession(importDir), await showOnlySession(hookDir)]) {
      expect(doc.spans.filter((s) => s.kind === 'compaction')).toEqual([]);
      expect(doc.spans.filter((s) => s.kind === 'turn').map((t) => t.input)).toEqual([GEMINI_PROMPT, 'And now?']);
      expect(doc.summary.generations).toBe(5);
    }
  }, 90_000);
});
