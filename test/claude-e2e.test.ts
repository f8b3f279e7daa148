import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceDocument, TraceSpan } from '../src/model/trace.js';
import { cli } from './helpers/env.js';
import { ancestors, freshDataDir, isolatedEnv, parentOf, spansOf, TranscriptWriter } from './helpers/claude-code.js';

type Settings = { hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ command: string; async?: boolean; timeout?: number }> }>> };

/** Runs one installed hook command the way Claude Code does: through /bin/sh, with no PATH and no OTEL_*. */
function runInstalled(command: string, home: string, payload: Record<string, unknown>, onSpawn?: () => void): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { env: { HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('spawn', () => onSpawn?.());
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(JSON.stringify(payload));
  });
}

describe('Claude Code end to end: install, then a whole session through the installed hook', () => {
  it('gives the right trace after every turn: prompts, parallel tools, a subagent, compaction, a lagging transcript, the end', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home, { AGENT_TRACE_CLAUDE_VERSION: '2.1.80' });
    // The user already has settings and a hook of their own.
    mkdirSync(join(home, '.claude'), { recursive: true });
    const original = `${JSON.stringify({ model: 'opus', hooks: { PostToolUse: [{ matcher: 'Write', hooks: [{ type: 'command', command: 'prettier --write "$FILE"' }] }] } }, null, 2)}\n`;
    writeFileSync(join(home, '.claude', 'settings.json'), original);
    const install = await cli(['install', '--dir', dir, '--tool-events'], { env });
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/installed agent-trace hooks for 14 Claude Code events/);
    const settings = JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8')) as Settings;
    expect(settings.hooks.PostToolUse![0]!.hooks[0]!.command).toBe('prettier --write "$FILE"');
    const commandFor = (event: string): string => {
      const group = settings.hooks[event]!.find((g) => g.hooks.some((h) => h.command.endsWith('# agent-trace')))!;
      return group.hooks[0]!.command;
    };
    expect(settings.hooks.SessionStart![0]!.hooks[0]!.async).toBeUndefined();
    expect(settings.hooks.SessionEnd![0]!.hooks[0]!.async).toBeUndefined();
    // The recorder takes a few milliseconds: every hook is synchronous, so Claude Code never cancels one.
    expect(settings.hooks.PreToolUse![0]!.hooks[0]!.async).toBeUndefined();
    expect(settings.hooks.PostToolUse).toHaveLength(2);

    const sessionId = 'e2e00000-0000-4000-8000-000000000001';
    const t = new TranscriptWriter(join(home, '.claude', 'projects', '-work-project', `${sessionId}.jsonl`), sessionId, Date.now() - 600_000);
    const base = { session_id: sessionId, transcript_path: t.path, cwd: '/work/project', permission_mode: 'default' };
    const hook = async (event: string, payload: Record<string, unknown> = {}, onSpawn?: () => void) => {
      const r = await runInstalled(commandFor(event), home, { ...base, hook_event_name: event, ...payload }, onSpawn);
      expect(r).toEqual({ code: 0, out: '' });
    };
    // What a person sees: `show` reconciles (drains the hooks' spool, catches up the transcript) before answering.
    const trace = async (): Promise<TraceDocument> => {
      const r = await cli(['show', sessionId, '--json', '--dir', dir], { env });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as TraceDocument;
    };
    const tools = (doc: TraceDocument, name?: string) => spansOf(doc, 'tool').filter((s) => !name || s.name === `execute_tool ${name}`);
    const turnOf = (doc: TraceDocument, s: TraceSpan) => ancestors(doc, s).find((a) => a.kind === 'turn');

    await hook('SessionStart', { source: 'startup', model: 'claude-opus-4-6' });
    expect((await trace())).toMatchObject({ status: 'running', agent: { name: 'claude-code' }, cwd: '/work/project' });

    // ——— turn 1: three tool calls in parallel ———
    t.prompt('add a login page');
    await hook('UserPromptSubmit', { prompt: 'add a login page' });
    const calls = [
      { id: 'toolu_a', name: 'Read', input: { file_path: '/work/project/app.ts' } },
      { id: 'toolu_b', name: 'Read', input: { file_path: '/work/project/routes.ts' } },
      { id: 'toolu_c', name: 'Grep', input: { pattern: 'login' } },
    ];
    t.response('msg_1', [{ thinking: 'Look at the app first.' }, { text: 'Let me look around.' }, ...calls.map((tool) => ({ tool }))], { input: 12, output: 180, cacheRead: 9000, cacheWrite: 1200 });
    await Promise.all(calls.map((c) => hook('PreToolUse', { tool_name: c.name, tool_use_id: c.id, tool_input: c.input })));
    for (const c of calls) t.toolResult(c.id, c.name === 'Grep' ? 'No matches found' : `contents of ${(c.input as { file_path: string }).file_path}`);
    await Promise.all(calls.map((c) => hook('PostToolUse', { tool_name: c.name, tool_use_id: c.id, tool_input: c.input, tool_response: { ok: true } })));
    t.response('msg_2', [{ text: 'The login page is in place.' }], { input: 4, output: 60, cacheRead: 10_200, cacheWrite: 300 });
    await hook('Stop', { last_assistant_message: 'The login page is in place.', stop_hook_active: false });
    let doc = (await trace());
    expect(doc.summary).toMatchObject({ turns: 1, generations: 2, toolCalls: 3, toolErrors: 0, subagents: 0 });
    expect(doc.summary.tokens).toEqual({ input: 16, output: 240, cacheRead: 19_200, cacheWrite: 1500, cacheWrite5m: 1500, cacheWrite1h: 0, reasoning: 0 });
    let [turn1] = spansOf(doc, 'turn');
    expect(turn1).toMatchObject({ input: 'add a login page', output: 'The login page is in place.', status: 'ok' });
    expect(turn1!.endTime).toBeDefined();
    for (const s of [...tools(doc), ...spansOf(doc, 'generation')]) {
      expect(turnOf(doc, s)?.spanId).toBe(turn1!.spanId);
      expect(s.endTime).toBeDefined();
    }
    expect(spansOf(doc, 'generation')[0]!.output).toMatchObject({ text: 'Let me look around.', thinking: 'Look at the app first.', toolCalls: calls.map(({ id, name }) => ({ id, name })) });
    expect(doc.status).toBe('running');

    // ——— turn 2: a subagent, with a tool call of its own ———
    t.prompt('explore the codebase');
    await hook('UserPromptSubmit', { prompt: 'explore the codebase' });
    const task = { id: 'toolu_task', name: 'Task', input: { description: 'Explore', prompt: 'Find the auth code', subagent_type: 'Explore' } };
    t.response('msg_3', [{ tool: task }], { input: 3, output: 40, cacheRead: 11_000, cacheWrite: 0 });
    await hook('PreToolUse', { tool_name: 'Task', tool_use_id: 'toolu_task', tool_input: task.input });
    const agentId = 'a0e2e0subagent1';
    await hook('SubagentStart', { agent_id: agentId, agent_type: 'Explore' });
    const sub = new TranscriptWriter(join(home, '.claude', 'projects', '-work-project', sessionId, 'subagents', `agent-${agentId}.jsonl`), sessionId, t.tick(20));
    sub.write({ type: 'user', isSidechain: true, agentId, message: { role: 'user', content: 'Find the auth code' } });
    sub.response('msg_s1', [{ tool: { id: 'toolu_glob', name: 'Glob', input: { pattern: '**/auth*' } } }], { input: 2, output: 25, cacheRead: 3000, cacheWrite: 500 }, 'claude-haiku-4-5-20251001', { isSidechain: true, agentId });
    await hook('PreToolUse', { tool_name: 'Glob', tool_use_id: 'toolu_glob', tool_input: { pattern: '**/auth*' }, agent_id: agentId, agent_type: 'Explore' });
    sub.toolResult('toolu_glob', 'src/auth.ts', false, undefined, { isSidechain: true, agentId });
    await hook('PostToolUse', { tool_name: 'Glob', tool_use_id: 'toolu_glob', tool_input: { pattern: '**/auth*' }, tool_response: { filenames: ['src/auth.ts'] }, agent_id: agentId, agent_type: 'Explore' });
    sub.response('msg_s2', [{ text: 'Auth lives in src/auth.ts.' }], { input: 2, output: 15, cacheRead: 3500, cacheWrite: 0 }, 'claude-haiku-4-5-20251001', { isSidechain: true, agentId });
    await hook('SubagentStop', { agent_id: agentId, agent_type: 'Explore', agent_transcript_path: sub.path, last_assistant_message: 'Auth lives in src/auth.ts.', stop_hook_active: false });
    t.tick(50);
    t.toolResult('toolu_task', 'Auth lives in src/auth.ts.', false, { status: 'completed', agentId, prompt: 'Find the auth code' });
    await hook('PostToolUse', { tool_name: 'Task', tool_use_id: 'toolu_task', tool_input: task.input, tool_response: { status: 'completed' } });
    t.response('msg_4', [{ text: 'Auth is in src/auth.ts.' }], { input: 2, output: 20, cacheRead: 11_100, cacheWrite: 0 });
    await hook('Stop', { last_assistant_message: 'Auth is in src/auth.ts.' });
    doc = (await trace());
    expect(doc.summary).toMatchObject({ turns: 2, generations: 6, toolCalls: 5, subagents: 1 });
    const [subagent] = spansOf(doc, 'subagent');
    expect(subagent).toMatchObject({ name: 'invoke_agent Explore', input: 'Find the auth code', output: 'Auth lives in src/auth.ts.', status: 'ok' });
    expect(parentOf(doc, subagent!)).toMatchObject({ name: 'execute_tool Task' });
    const inside = doc.spans.filter((s) => s.parentSpanId === subagent!.spanId).map((s) => s.name).sort();
    expect(inside).toEqual(['chat claude-haiku-4-5-20251001', 'chat claude-haiku-4-5-20251001', 'execute_tool Glob']);
    const turn2 = spansOf(doc, 'turn')[1]!;
    expect(turnOf(doc, tools(doc, 'Glob')[0]!)?.spanId).toBe(turn2.spanId);
    expect(turn2.endTime).toBeDefined();

    // ——— a manual compaction between turns ———
    await hook('PreCompact', { trigger: 'manual', custom_instructions: '' });
    // Transcript and hooks share the machine's clock: the compaction is written after PreCompact fired (a
    // reconcile that reads PreCompact late tells its compaction apart from earlier ones by that time).
    t.tick(Math.max(0, Date.now() + 1_000 - t.now));
    t.compact('manual', 152_000, 'Summary: a login page was added; auth is in src/auth.ts.');
    await hook('PostCompact', { trigger: 'manual', compact_summary: 'Summary: a login page was added; auth is in src/auth.ts.' });
    await hook('SessionStart', { source: 'compact' });
    doc = (await trace());
    const [compaction] = spansOf(doc, 'compaction');
    expect(spansOf(doc, 'compaction')).toHaveLength(1);
    expect(compaction).toMatchObject({ name: 'compact', status: 'ok', output: 'Summary: a login page was added; auth is in src/auth.ts.' });
    expect(compaction!.attributes).toMatchObject({ 'agent_trace.compaction.trigger': 'manual', 'agent_trace.compaction.tokens_before': 152_000 });
    expect(parentOf(doc, compaction!)?.kind).toBe('session'); // `/compact` between prompts: not part of turn 2

    // ——— turn 3: the transcript lags the Stop hook (its last response lands while the hook runs) ———
    t.prompt('thanks, ship it');
    await hook('UserPromptSubmit', { prompt: 'thanks, ship it' });
    await hook('Stop', { last_assistant_message: 'Shipped.' }, () => t.response('msg_5', [{ text: 'Shipped.' }], { input: 2, output: 5, cacheRead: 500, cacheWrite: 100 }));
    doc = (await trace());
    expect(doc.summary).toMatchObject({ turns: 3, generations: 7, toolCalls: 5, subagents: 1 });
    const turn3 = spansOf(doc, 'turn')[2]!;
    expect(turn3).toMatchObject({ input: 'thanks, ship it', output: 'Shipped.', status: 'ok' });
    expect(turnOf(doc, spansOf(doc, 'generation').find((g) => g.attributes['gen_ai.response.id'] === 'msg_5')!)?.spanId).toBe(turn3.spanId);

    // ——— the end ———
    await hook('SessionEnd', { reason: 'prompt_input_exit' });
    doc = (await trace());
    expect(doc.status).toBe('completed');
    expect(doc.spans.filter((s) => s.endTime === undefined)).toEqual([]);
    expect(doc.summary.tokens).toEqual({ input: 27, output: 345, cacheRead: 48_300, cacheWrite: 2100, cacheWrite5m: 2100, cacheWrite1h: 0, reasoning: 0 });
    expect(doc.models.sort()).toEqual(['claude-haiku-4-5-20251001', 'claude-opus-4-6']);

    // The transcripts imported alone give the same spans (ids included).
    const { home: h2, dir: d2 } = freshDataDir();
    const imp = await cli(['import', t.path, '--json', '--dir', d2], { env: isolatedEnv(h2) });
    expect(imp.code, imp.stderr).toBe(0);
    const imported = JSON.parse(readFileSync(join(d2, 'sessions', sessionId, 'trace.json'), 'utf8')) as TraceDocument;
    const ids = (d: TraceDocument) => d.spans.filter((s) => s.kind !== 'session').map((s) => `${s.kind}:${s.spanId}:${s.parentSpanId}`).sort();
    expect(ids(imported)).toEqual(ids(doc));
    expect(imported.summary.tokens).toEqual(doc.summary.tokens);

    // Uninstall gives the user's file back as it was.
    const un = await cli(['uninstall'], { env });
    expect(un.code, un.stderr).toBe(0);
    expect(readFileSync(join(home, '.claude', 'settings.json'), 'utf8')).toBe(original);
  });
});
