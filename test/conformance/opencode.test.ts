import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceDocument } from '../../src/model/trace.js';
import { agentBin, agentVersion } from '../helpers/agents.js';
import { expectTraceMatchesLog, installFor, spanRows, showOnlySession } from '../helpers/conformance.js';
import { cli, tempDir } from '../helpers/env.js';
import { runOpencode, setUpOpencode, type OpencodeSetup } from '../helpers/opencode-session.js';

// The real opencode (pinned), headless, against a scripted OpenAI-compatible chat API on 127.0.0.1: what it
// answered is the ground truth for the plugin-captured trace and for the import of opencode's database.

const FAILED = { call_missing: 'tool_error' };

let setup: OpencodeSetup | undefined;
afterEach(async () => {
  await setup?.server.stop();
  setup = undefined;
});

/** The prompt as opencode sent it: the user text of the first request. */
function sentPrompt(request: Record<string, unknown>): string {
  const user = (request.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user').pop()!;
  return typeof user.content === 'string' ? user.content : (user.content as { type: string; text?: string }[]).filter((c) => c.type === 'text').map((c) => c.text).join('');
}

describe(`opencode ${agentVersion('opencode')} against a scripted chat completions API`, () => {
  it('plugin capture and import of the database both equal what the server answered', async () => {
    const home = tempDir('agent-trace-opencode-');
    setup = await setUpOpencode(home);
    const hookDir = join(home, 'trace-plugin');
    await installFor('opencode', hookDir, setup.env, agentBin('opencode'));
    expect(readFileSync(join(setup.configDir, 'plugins', 'agent-trace.js'), 'utf8')).toContain('createAgentTracePlugin');
    const run = await runOpencode(setup);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(setup.server.unexpected).toEqual([]);
    const log = setup.server.log;
    expect(log).toHaveLength(5);
    expect(readdirSync(join(hookDir, 'spool'))).toContain('opencode');

    const hooked = await showOnlySession(hookDir);
    const importDir = join(home, 'trace-import');
    const imported = await cli(['--dir', importDir, 'import', '--agent', 'opencode', setup.dataDir]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).not.toMatch(/ExperimentalWarning/);
    const fromImport = await showOnlySession(importDir);

    const prompt = sentPrompt(log[0]!.request);
    for (const doc of [hooked, fromImport]) {
      expectTraceMatchesLog(doc, log, { prompt, failed: FAILED });
      expect(doc.agent).toEqual({ name: 'opencode', version: agentVersion('opencode') });
      expect(doc.summary.filesTouched).toEqual([join(setup.work, 'notes.txt')]);
      expect(doc.spans.find((s) => s.kind === 'turn')!.output).toBe('I removed the trailing spaces from notes.txt.');
    }
    const rows = (d: TraceDocument) => spanRows(d).map((r) => r.replace(/ session (.*) \w+$/, ' session $1'));
    expect(rows(hooked)).toEqual(rows(fromImport));
  }, 120_000);
});
