import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceDocument } from '../../src/model/trace.js';
import { agentBin, agentVersion } from '../helpers/agents.js';
import { CODEX_MODEL, CODEX_PROMPT, runCodex, setUpCodex, type CodexSetup } from '../helpers/codex-session.js';
import { expectTraceMatchesLog, installFor, spanRows, showOnlySession } from '../helpers/conformance.js';
import { cli, tempDir } from '../helpers/env.js';

// The real Codex CLI (pinned), headless, against a scripted Responses API on 127.0.0.1: what it answered is
// the ground truth for both the hook-captured trace and the import of the rollout.

// What the rollout lacks: the session's start and end, each turn's end, interrupts, permission requests.
const HOOK_EVENTS = ['SessionStart', 'PermissionRequest', 'Stop', 'Interrupt', 'SessionEnd'];
const FAILED = { call_fail: 'exit_code', call_rm: 'rejected' };

let setup: CodexSetup | undefined;
afterEach(async () => {
  await setup?.server.stop();
  setup = undefined;
});

describe(`Codex CLI ${agentVersion('codex')} against a scripted Responses API`, () => {
  it('hook capture and import of the same session both equal what the server answered', async () => {
    const home = tempDir('agent-trace-codex-');
    setup = await setUpCodex(home);
    const hookDir = join(home, 'trace-hooks');
    const said = await installFor('codex', hookDir, setup.env, agentBin('codex'));
    expect(said).toContain('Trust all and continue');
    const installed = JSON.parse(readFileSync(join(setup.codexHome, 'hooks.json'), 'utf8')) as { hooks: Record<string, unknown> };
    expect(Object.keys(installed.hooks).sort()).toEqual([...HOOK_EVENTS].sort());
    // Trust is the user's decision (the TUI's /hooks); a test may bypass it for one run.
    const run = await runCodex(setup, ['--dangerously-bypass-hook-trust']);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(setup.server.unexpected).toEqual([]);
    const log = setup.server.log;
    expect(log).toHaveLength(5);
    expect(log.every((c) => c.model === CODEX_MODEL)).toBe(true);

    const hooked = await showOnlySession(hookDir);
    const importDir = join(home, 'trace-import');
    const imported = await cli(['--dir', importDir, 'import', '--agent', 'codex', join(setup.codexHome, 'sessions')]);
    expect(imported.code, imported.stderr).toBe(0);
    const fromImport = await showOnlySession(importDir);

    for (const doc of [hooked, fromImport]) {
      expectTraceMatchesLog(doc, log, { prompt: CODEX_PROMPT, failed: FAILED, responseIds: true });
      expect(doc.agent).toEqual({ name: 'codex', version: agentVersion('codex') });
      expect(doc.summary.filesTouched).toEqual(['notes.txt']);
      expect(doc.spans.filter((s) => s.kind === 'tool').find((s) => s.attributes['gen_ai.tool.call.id'] === 'call_rm')?.statusMessage).toMatch(/policy forbids/);
      // A chat span ends with its response, not when its tools end.
      const first = doc.spans.find((s) => s.kind === 'generation' && s.attributes['gen_ai.response.id'] === 'resp_001')!;
      const ls = doc.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'call_ls')!;
      expect(first.endTime!).toBeLessThanOrEqual(ls.endTime!);
      expect(JSON.stringify(doc.spans[0]!.events ?? [])).not.toContain('session.resume');
    }
    // The same spans, ids and names either way (the session's own status is the hooks' truth, or the import's guess).
    const rows = (d: TraceDocument) => spanRows(d).map((r) => r.replace(/ session (.*) \w+$/, ' session $1'));
    expect(rows(hooked)).toEqual(rows(fromImport));
    expect(hooked.status).toBe('completed');
  }, 60_000);
});
