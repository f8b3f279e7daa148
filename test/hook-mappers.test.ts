import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithFixtures, fixturePath } from './helpers/fixtures.js';
import { mapHook as mapCodexHook } from '../src/adapters/codex/hook.js';
import { readCodexRollout } from '../src/adapters/codex/import.js';
import { mapHook as mapGeminiHook } from '../src/adapters/gemini/hook.js';
import { readGeminiChat } from '../src/adapters/gemini/import.js';
import type { HookContext, HookMapper } from '../src/adapters/hook-types.js';
import type { AgentEvent } from '../src/events/types.js';
import { validateEvent } from '../src/events/validate.js';
import { buildTrace } from '../src/model/trace-builder.js';

const NOW = Date.UTC(2026, 3, 1, 8, 0, 0);
const ctx = { now: NOW, agentPid: 4242 };

function run(mapper: HookMapper, payload: unknown, context: HookContext = ctx): AgentEvent[] {
  const events = mapper(payload as Record<string, unknown>, context);
  for (const e of events) validateEvent(e);
  return events;
}

const GARBAGE: unknown[] = [
  null,
  undefined,
  42,
  'SessionStart',
  [],
  [{ hook_event_name: 'SessionStart', session_id: 's' }],
  {},
  { hook_event_name: 'PreToolUse' },
  { session_id: 's' },
  { session_id: 's', hook_event_name: 'NoSuchEvent' },
  { session_id: 12, hook_event_name: 'SessionStart' },
  { session_id: 's', hook_event_name: 'PreToolUse', tool_name: 'Bash' }, // no call id
  { session_id: 's', hook_event_name: 'PreToolUse', tool_use_id: { evil: true }, tool_name: ['x'] },
  { session_id: 's', hook_event_name: 'SubagentStart' },
  { session_id: 's', hook_event_name: 'AfterModel', llm_response: 'nope' },
  { session_id: 's', hook_event_name: 'BeforeTool', tool_name: 7 },
  { type: 'agent-turn-complete' }, // notify without any id
  { type: 'something-else', 'turn-id': '1' },
];

// ——— Codex ———

const codexBase = {
  session_id: '019c0000-1111-7222-8333-444455556666',
  transcript_path: '/home/me/.codex/sessions/2026/04/01/rollout-2026-04-01T08-00-00-019c0000-1111-7222-8333-444455556666.jsonl',
  cwd: '/home/me/proj',
  model: 'gpt-5.4',
  permission_mode: 'default',
};

describe('codex hook mapper', () => {
  it('maps SessionStart with the agent, cwd, model and process', () => {
    const [e, ...rest] = run(mapCodexHook, { ...codexBase, hook_event_name: 'SessionStart', source: 'startup' });
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ type: 'session.start', sessionId: codexBase.session_id, time: NOW, source: 'hook', agent: { name: 'codex' }, reason: 'startup', cwd: '/home/me/proj', model: 'gpt-5.4', agentPid: 4242 });
  });

  it('keys the turn by turn_id and skips injected context', () => {
    const events = run(mapCodexHook, { ...codexBase, hook_event_name: 'UserPromptSubmit', turn_id: 'turn-7', prompt: '  add a test  ' });
    expect(events.map((e) => e.type)).toEqual(['session.meta', 'turn.start']);
    expect(events[1]).toMatchObject({ type: 'turn.start', key: 'turn-7', prompt: 'add a test' });
    const injected = run(mapCodexHook, { ...codexBase, hook_event_name: 'UserPromptSubmit', turn_id: 't', prompt: '<environment_context><cwd>/x</cwd></environment_context>' });
    expect(injected.map((e) => e.type)).toEqual(['session.meta']);
  });

  it('maps a tool call by its call id, failures by exit code', () => {
    const pre = run(mapCodexHook, { ...codexBase, hook_event_name: 'PreToolUse', turn_id: 'turn-7', tool_name: 'Bash', tool_use_id: 'call_abc', tool_input: { command: 'npm test' } });
    expect(pre).toEqual([
      // Named as the rollout names it (Codex 0.171's hooks say `Bash {command}`, its rollout `exec_command {cmd}`).
      { sessionId: codexBase.session_id, time: NOW, source: 'hook', type: 'tool.start', key: 'call_abc', name: 'exec_command', input: { cmd: 'npm test' }, toolType: 'function', attributes: { 'codex.turn_id': 'turn-7' } },
    ]);
    const patch = '*** Begin Patch\n*** Update File: notes.txt\n@@\n-a\n+b\n*** End Patch\n';
    expect(run(mapCodexHook, { ...codexBase, hook_event_name: 'PreToolUse', tool_name: 'apply_patch', tool_use_id: 'call_p', tool_input: { command: patch } })[0]).toMatchObject({ name: 'apply_patch', input: patch });
    const ok = run(mapCodexHook, { ...codexBase, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_use_id: 'call_abc', tool_input: { command: 'ls' }, tool_response: 'Exit code: 0\nOutput:\nsrc' });
    expect(ok[0]).toMatchObject({ type: 'tool.end', key: 'call_abc', output: 'Exit code: 0\nOutput:\nsrc' });
    expect(ok[0]).not.toHaveProperty('error');
    const failed = run(mapCodexHook, { ...codexBase, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_use_id: 'call_def', tool_input: {}, tool_response: { exit_code: 2, stdout: '', stderr: 'boom' } });
    expect(failed[0]).toMatchObject({ type: 'tool.end', key: 'call_def', error: 'exit code 2', errorType: 'exit_code' });
    const text = run(mapCodexHook, { ...codexBase, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_use_id: 'call_ghi', tool_response: 'Process exited with code 1\nOutput:\nFAIL' });
    expect(text[0]).toMatchObject({ error: 'exit code 1' });
    const mcp = run(mapCodexHook, { ...codexBase, hook_event_name: 'PreToolUse', tool_name: 'mcp__github__search', tool_use_id: 'call_m', tool_input: {} });
    expect(mcp[0]).toMatchObject({ toolType: 'extension' });
  });

  it('maps permission, compaction, subagents, stop and stop failure', () => {
    expect(run(mapCodexHook, { ...codexBase, hook_event_name: 'Interrupt', turn_id: 'turn-7' })).toEqual([
      { sessionId: codexBase.session_id, time: NOW, source: 'hook', type: 'interrupt', message: 'interrupted by the user' },
      { sessionId: codexBase.session_id, time: NOW, source: 'hook', type: 'turn.end', key: 'turn-7', reason: 'interrupted' },
    ]);
    expect(run(mapCodexHook, { ...codexBase, hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'rm -rf build', description: 'Clean the build' } })).toEqual([
      { sessionId: codexBase.session_id, time: NOW, source: 'hook', type: 'permission', message: 'Clean the build', toolName: 'Bash' },
    ]);
    expect(run(mapCodexHook, { ...codexBase, hook_event_name: 'PreCompact', trigger: 'auto' })[0]).toMatchObject({ type: 'compaction.start', trigger: 'auto' });
    expect(run(mapCodexHook, { ...codexBase, hook_event_name: 'PostCompact', trigger: 'auto' })[0]).toMatchObject({ type: 'compaction.end', trigger: 'auto' });
    expect(run(mapCodexHook, { ...codexBase, hook_event_name: 'SubagentStart', agent_id: 'agent-1', agent_type: 'explorer' })[0]).toMatchObject({ type: 'subagent.start', key: 'agent-1', agentType: 'explorer' });
    expect(run(mapCodexHook, { ...codexBase, hook_event_name: 'SubagentStop', agent_id: 'agent-1', agent_type: 'explorer', last_assistant_message: 'found it' })[0]).toMatchObject({ type: 'subagent.end', key: 'agent-1', output: 'found it' });
    expect(run(mapCodexHook, { ...codexBase, hook_event_name: 'Stop', turn_id: 'turn-7', stop_hook_active: false, last_assistant_message: 'Done.' })).toEqual([
      { sessionId: codexBase.session_id, time: NOW, source: 'hook', type: 'turn.end', output: 'Done.' },
    ]);
    const failure = run(mapCodexHook, { ...codexBase, hook_event_name: 'StopFailure', turn_id: 'turn-8', error: 'rate_limit', error_details: '429 Too Many Requests', last_assistant_message: null });
    expect(failure.map((e) => e.type)).toEqual(['api.error', 'turn.end']);
    expect(failure[0]).toMatchObject({ message: 'rate_limit: 429 Too Many Requests' });
    expect(failure[1]).toMatchObject({ status: 'error', reason: 'rate_limit' });
  });

  it('maps the legacy notify payload to a finished turn', () => {
    const events = run(mapCodexHook, {
      type: 'agent-turn-complete',
      'thread-id': '019c0000-1111-7222-8333-444455556666',
      'turn-id': '12345',
      cwd: '/home/me/proj',
      'input-messages': ['Rename `foo` to `bar` and update the callsites.'],
      'last-assistant-message': 'Rename complete and verified `cargo build` succeeds.',
    });
    expect(events.map((e) => e.type)).toEqual(['session.meta', 'turn.start', 'turn.end']);
    expect(events[1]).toMatchObject({ key: '12345', prompt: 'Rename `foo` to `bar` and update the callsites.' });
    expect(events[2]).toMatchObject({ key: '12345', output: 'Rename complete and verified `cargo build` succeeds.' });
    // Old payloads name no thread: the turn stands alone rather than being glued to another session.
    const old = run(mapCodexHook, { type: 'agent-turn-complete', 'turn-id': '9', 'input-messages': ['hi'], 'last-assistant-message': 'hello' });
    expect(old[0]!.sessionId).toBe('codex-turn-9');
  });

  it('returns [] for garbage and never throws', () => {
    for (const g of GARBAGE) expect(run(mapCodexHook, g), JSON.stringify(g)).toEqual([]);
  });

  it('meets the imported rollout on the same spans (call ids and turn ids)', () => {
    const sid = codexBase.session_id;
    const at = (s: number) => new Date(NOW + s * 1000).toISOString();
    const rollout = [
      { timestamp: at(0), type: 'session_meta', payload: { id: sid, cli_version: '0.120.0', cwd: '/home/me/proj' } },
      { timestamp: at(1), type: 'event_msg', payload: { type: 'task_started', turn_id: 'turn-7' } },
      { timestamp: at(1), type: 'event_msg', payload: { type: 'user_message', message: 'add a test' } },
      { timestamp: at(2), type: 'response_item', payload: { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"npm test"}', call_id: 'call_abc' } },
      { timestamp: at(2), type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { input_tokens: 10, output_tokens: 2 }, last_token_usage: { input_tokens: 10, output_tokens: 2 } } } },
      { timestamp: at(3), type: 'response_item', payload: { type: 'function_call_output', call_id: 'call_abc', output: 'Exit code: 0' } },
      { timestamp: at(4), type: 'event_msg', payload: { type: 'task_complete', turn_id: 'turn-7', last_agent_message: 'ok' } },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const imported = readCodexRollout(rollout)[0]!.events;
    const hooks = [
      ...run(mapCodexHook, { ...codexBase, hook_event_name: 'SessionStart', source: 'startup' }, { now: NOW }),
      ...run(mapCodexHook, { ...codexBase, hook_event_name: 'UserPromptSubmit', turn_id: 'turn-7', prompt: 'add a test' }, { now: NOW + 1000 }),
      ...run(mapCodexHook, { ...codexBase, hook_event_name: 'PreToolUse', turn_id: 'turn-7', tool_name: 'Bash', tool_use_id: 'call_abc', tool_input: { command: 'npm test' } }, { now: NOW + 2000 }),
      ...run(mapCodexHook, { ...codexBase, hook_event_name: 'PostToolUse', turn_id: 'turn-7', tool_name: 'Bash', tool_use_id: 'call_abc', tool_response: 'Exit code: 0' }, { now: NOW + 3000 }),
      ...run(mapCodexHook, { ...codexBase, hook_event_name: 'Stop', turn_id: 'turn-7', last_assistant_message: 'ok' }, { now: NOW + 4000 }),
    ];
    const doc = buildTrace(sid, [...hooks, ...imported]).toDocument();
    expect(doc.summary.turns).toBe(1);
    expect(doc.summary.toolCalls).toBe(1);
    expect(doc.summary.generations).toBe(1);
    const hookOnly = buildTrace(sid, hooks).toDocument();
    expect(hookOnly.spans.map((s) => s.spanId).filter((id) => doc.spans.some((d) => d.spanId === id))).toHaveLength(hookOnly.spans.length);
  });
});

const claudeHooks = fixturePath('claude-code/hooks');

describeWithFixtures(['claude-code/hooks'], 'codex hook mapper on real Claude-shaped payloads', () => {
  // Codex's hook payloads are Claude Code's plus `turn_id` and `model`: real recorded Claude Code payloads are
  // the closest real-world shapes (extra fields, nulls, recorder-added timestamps) the mapper must take.
  const expected: Record<string, string> = {
    'session_start.json': 'session.start',
    'user_prompt_submit.json': 'turn.start',
    'pre_tool_use.json': 'tool.start',
    'post_tool_use.json': 'tool.end',
    'post_tool_use_failure.json': 'tool.end',
    'permission_request.json': 'permission',
    'notification.json': 'notification',
    'subagent_start.json': 'subagent.start',
    'subagent_stop.json': 'subagent.end',
    'stop.json': 'turn.end',
    'session_end.json': 'session.end',
  };

  it.each(Object.entries(expected))('%s: every payload maps to a %s event', (file) => {
    const payloads = JSON.parse(readFileSync(path.join(claudeHooks, file), 'utf8')) as Array<Record<string, unknown>>;
    for (const payload of payloads) {
      const events = run(mapCodexHook, payload);
      expect(events.map((e) => e.type), JSON.stringify(payload).slice(0, 200)).toContain(expected[file]);
      for (const e of events) expect(e.sessionId).toBe(payload.session_id);
      if (file === 'post_tool_use_failure.json') expect(events[0]).toHaveProperty('error');
    }
  });

  it('builds one session from the hooks of session 7da73774: every tool call once', () => {
    const sid = '7da73774-862d-4897-94a7-ef847ce65033';
    const all = readdirSync(claudeHooks)
      .filter((f) => f !== 'chat.json')
      .flatMap((f) => JSON.parse(readFileSync(path.join(claudeHooks, f), 'utf8')) as Array<Record<string, unknown>>)
      .filter((p) => p.session_id === sid);
    const toolIds = new Set(all.filter((p) => typeof p.tool_use_id === 'string').map((p) => p.tool_use_id));
    const events = all.flatMap((p, i) => run(mapCodexHook, p, { now: NOW + i }));
    const doc = buildTrace(sid, events).toDocument();
    expect(doc.summary.toolCalls).toBe(toolIds.size);
    expect(doc.agent.name).toBe('codex');
  });
});

// ——— Gemini ———

const geminiBase = {
  session_id: '7f3c9a10-0d0e-4c2b-9a55-1b2c3d4e5f60',
  transcript_path: '/home/me/.gemini/tmp/ab14fe39/chats/session-2026-04-01T08-00-7f3c9a10.json',
  cwd: '/home/me/proj',
};
const ts = (s: number) => new Date(NOW + s * 1000).toISOString();

describe('gemini hook mapper', () => {
  it('maps the session lifecycle, using the payload timestamp', () => {
    const [start] = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'SessionStart', timestamp: ts(1), source: 'startup' });
    expect(start).toMatchObject({ type: 'session.start', time: NOW + 1000, agent: { name: 'gemini' }, reason: 'startup', cwd: '/home/me/proj', agentPid: 4242 });
    expect(run(mapGeminiHook, { ...geminiBase, hook_event_name: 'SessionEnd', timestamp: ts(9), reason: 'exit' })).toEqual([
      { sessionId: geminiBase.session_id, time: NOW + 9000, source: 'hook', type: 'session.end', reason: 'exit' },
    ]);
    // no timestamp: the time the hook ran
    expect(run(mapGeminiHook, { ...geminiBase, hook_event_name: 'SessionEnd', reason: 'exit' })[0]!.time).toBe(NOW);
  });

  it('maps prompts and answers to turns', () => {
    const before = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'BeforeAgent', timestamp: ts(2), prompt: 'explain this repo' });
    expect(before.map((e) => e.type)).toEqual(['session.meta', 'turn.start']);
    expect(before[1]).toMatchObject({ prompt: 'explain this repo' });
    // prompt_response is every text of the turn run together (Gemini CLI 0.61): never taken as the answer.
    expect(run(mapGeminiHook, { ...geminiBase, hook_event_name: 'AfterAgent', timestamp: ts(8), prompt: 'explain this repo', prompt_response: ' Let me look. \nIt is a tracer.', stop_hook_active: false })).toEqual([
      { sessionId: geminiBase.session_id, time: NOW + 8000, source: 'hook', type: 'turn.end' },
    ]);
  });

  it('pairs BeforeTool and AfterTool by tool name and arguments', () => {
    const input = { file_path: 'README.md', limit: 10 };
    const [start] = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'BeforeTool', timestamp: ts(3), tool_name: 'read_file', tool_input: input });
    const [end] = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'AfterTool', timestamp: ts(4), tool_name: 'read_file', tool_input: { limit: 10, file_path: 'README.md' }, tool_response: { llmContent: '# Title', returnDisplay: '' } });
    expect(start).toMatchObject({ type: 'tool.start', name: 'read_file', input, toolType: 'function' });
    expect(end).toMatchObject({ type: 'tool.end', output: '# Title' });
    expect((end as { key: string }).key).toBe((start as { key: string }).key);
    const [failed] = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'AfterTool', timestamp: ts(5), tool_name: 'run_shell_command', tool_input: { command: 'false' }, tool_response: { llmContent: 'Exit Code: 1', returnDisplay: 'Exit Code: 1', error: { message: 'Command exited with code 1', type: 'shell' } } });
    expect(failed).toMatchObject({ type: 'tool.end', error: 'Command exited with code 1', errorType: 'tool_error' });
    const [mcp] = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'BeforeTool', tool_name: 'search', tool_input: {}, mcp_context: { server_name: 'github', tool_name: 'search', command: 'npx' } });
    expect(mcp).toMatchObject({ toolType: 'extension', attributes: { 'gemini.mcp.server': 'github', 'gemini.mcp.tool': 'search' } });
  });

  it('records a model call from the chunk that finishes it, and ignores the others', () => {
    const request = { model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }], config: {} };
    const chunk = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'AfterModel', timestamp: ts(5), llm_request: request, llm_response: { text: 'Hel', candidates: [{ content: { role: 'model', parts: ['Hel'] } }] } });
    expect(chunk).toEqual([]);
    expect(run(mapGeminiHook, { ...geminiBase, hook_event_name: 'BeforeModel', llm_request: request })).toEqual([]);
    const [gen] = run(mapGeminiHook, {
      ...geminiBase,
      hook_event_name: 'AfterModel',
      timestamp: ts(6),
      llm_request: request,
      llm_response: { text: 'lo', candidates: [{ content: { role: 'model', parts: ['lo'] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 1200, candidatesTokenCount: 40, totalTokenCount: 1300 } },
    });
    expect(gen).toMatchObject({
      type: 'generation.end',
      key: 'usage:1200:40:1300',
      model: 'gemini-2.5-pro',
      provider: 'gcp.gemini',
      finishReasons: ['STOP'],
      usage: { input: 1200, output: 100, cacheRead: 0, cacheWrite: 0, reasoning: 60 },
    });
  });

  it('maps notifications; PreCompress (fired before every model call) is no compaction', () => {
    expect(run(mapGeminiHook, { ...geminiBase, hook_event_name: 'PreCompress', timestamp: ts(7), trigger: 'auto' })).toEqual([]);
    const [perm] = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'Notification', notification_type: 'ToolPermission', message: 'Allow run_shell_command?', details: { tool_name: 'run_shell_command' } });
    expect(perm).toMatchObject({ type: 'permission', message: 'Allow run_shell_command?', toolName: 'run_shell_command' });
    const [note] = run(mapGeminiHook, { ...geminiBase, hook_event_name: 'Notification', notification_type: 'Other', message: 'hello' });
    expect(note).toMatchObject({ type: 'notification', message: 'hello' });
  });

  it('returns [] for garbage and never throws', () => {
    for (const g of GARBAGE) expect(run(mapGeminiHook, g), JSON.stringify(g)).toEqual([]);
  });

  it('meets an imported chat file on the same spans: prompt, tool and model call are not duplicated', () => {
    const sid = geminiBase.session_id;
    const chat = {
      sessionId: sid,
      projectHash: 'ab14fe39',
      startTime: ts(0),
      lastUpdated: ts(9),
      messages: [
        { id: 'u1', timestamp: ts(2), type: 'user', content: [{ text: 'explain this repo' }] },
        {
          id: 'g1',
          timestamp: ts(3),
          type: 'gemini',
          content: '',
          model: 'gemini-2.5-pro',
          tokens: { input: 1200, output: 40, cached: 1000, thoughts: 60, tool: 0, total: 1300 },
          toolCalls: [{ id: 'x0m3mt27', name: 'read_file', args: { file_path: 'README.md', limit: 10 }, status: 'success', timestamp: ts(4), result: [{ functionResponse: { id: 'x0m3mt27', name: 'read_file', response: { output: '# Title' } } }] }],
        },
        { id: 'g2', timestamp: ts(8), type: 'gemini', content: 'It is a tracer.', model: 'gemini-2.5-pro', tokens: { input: 1300, output: 5, cached: 1200, thoughts: 0, total: 1305 } },
      ],
    };
    const imported = readGeminiChat(JSON.stringify(chat))[0]!.events;
    const hooks = [
      ...run(mapGeminiHook, { ...geminiBase, hook_event_name: 'SessionStart', timestamp: ts(0), source: 'startup' }),
      ...run(mapGeminiHook, { ...geminiBase, hook_event_name: 'BeforeAgent', timestamp: ts(2), prompt: 'explain this repo' }),
      ...run(mapGeminiHook, { ...geminiBase, hook_event_name: 'AfterModel', timestamp: ts(3), llm_request: { model: 'gemini-2.5-pro', messages: [] }, llm_response: { candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 1200, candidatesTokenCount: 40, totalTokenCount: 1300 } } }),
      ...run(mapGeminiHook, { ...geminiBase, hook_event_name: 'BeforeTool', timestamp: ts(3), tool_name: 'read_file', tool_input: { file_path: 'README.md', limit: 10 } }),
      ...run(mapGeminiHook, { ...geminiBase, hook_event_name: 'AfterTool', timestamp: ts(4), tool_name: 'read_file', tool_input: { file_path: 'README.md', limit: 10 }, tool_response: { llmContent: '# Title', returnDisplay: '# Title' } }),
      ...run(mapGeminiHook, { ...geminiBase, hook_event_name: 'AfterAgent', timestamp: ts(8), prompt: 'explain this repo', prompt_response: 'It is a tracer.' }),
    ];
    const merged = buildTrace(sid, [...hooks, ...imported]).toDocument();
    expect(merged.summary.turns).toBe(1);
    expect(merged.summary.toolCalls).toBe(1);
    expect(merged.summary.generations).toBe(2);
    // the chat file's finer split of the cached tokens wins when it is applied last
    expect(merged.summary.tokens).toEqual({ input: 200 + 100, output: 100 + 5, cacheRead: 2200, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 60 });
    const tool = merged.spans.find((s) => s.kind === 'tool')!;
    expect(tool.attributes['gen_ai.tool.call.id']).toBe('x0m3mt27');
  });
});
