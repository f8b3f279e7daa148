import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin } from './agents.js';
import { ResponsesServer } from './model-servers/responses.js';
import type { ScriptedReply } from './model-servers/scripted.js';
import { agentEnv, runAgent, type AgentRun } from './run-agent.js';

export const CODEX_MODEL = 'gpt-5.5';
export const CODEX_PROMPT = 'Tidy notes.txt and tell me what you did.';

/**
 * The scripted Codex session: text with two parallel commands, an edit with apply_patch, a command that fails
 * (exit code 3), a command the execpolicy rules forbid, and a final answer. Every reply reports its own usage.
 */
export function codexScript(): ScriptedReply[] {
  return [
    {
      text: 'Let me look at the folder first.',
      reasoning: 'The user wants notes.txt tidied.',
      tools: [
        { id: 'call_ls', name: 'exec_command', args: { cmd: 'ls' } },
        { id: 'call_cat', name: 'exec_command', args: { cmd: 'cat notes.txt' } },
      ],
      usage: { input: 2400, cached: 0, output: 60, reasoning: 12 },
    },
    {
      tools: [{ id: 'call_patch', name: 'apply_patch', args: { input: '*** Begin Patch\n*** Update File: notes.txt\n@@\n-hello  \n+hello\n*** End Patch\n' } }],
      usage: { input: 2600, cached: 2304, output: 40 },
    },
    {
      tools: [{ id: 'call_fail', name: 'exec_command', args: { cmd: 'sh -c "echo broken >&2; exit 3"' } }],
      usage: { input: 2700, cached: 2560, output: 25 },
    },
    {
      tools: [{ id: 'call_rm', name: 'exec_command', args: { cmd: 'rm -f notes.txt' } }],
      usage: { input: 2800, cached: 2560, output: 20 },
    },
    { text: 'I removed the trailing spaces from notes.txt.', usage: { input: 2900, cached: 2688, output: 15, reasoning: 4 } },
  ];
}

export interface CodexSetup {
  home: string;
  work: string;
  codexHome: string;
  env: NodeJS.ProcessEnv;
  server: ResponsesServer;
}

/** A temporary HOME with Codex configured against the scripted server (offline), and an execpolicy rule. */
export async function setUpCodex(home: string, script = codexScript()): Promise<CodexSetup> {
  const codexHome = join(home, '.codex');
  const work = join(home, 'work');
  mkdirSync(join(codexHome, 'rules'), { recursive: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'notes.txt'), 'hello  \n');
  const server = new ResponsesServer(script);
  const url = await server.start();
  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      `model = "${CODEX_MODEL}"`,
      'model_provider = "scripted"',
      '[model_providers.scripted]',
      'name = "scripted"',
      `base_url = "${url}/v1"`,
      'wire_api = "responses"',
      'env_key = "SCRIPTED_API_KEY"',
      '',
    ].join('\n'),
  );
  writeFileSync(join(codexHome, 'rules', 'default.rules'), 'prefix_rule(pattern=["rm"], decision="forbidden")\n');
  const env = agentEnv(home, { SCRIPTED_API_KEY: 'test', CODEX_HOME: codexHome });
  return { home, work, codexHome, env, server };
}

/** `codex exec` of the scripted prompt, headless, to its exit. */
export function runCodex(setup: CodexSetup, extraArgs: string[] = []): Promise<AgentRun> {
  return runAgent(
    agentBin('codex'),
    ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', ...extraArgs, '-C', setup.work, CODEX_PROMPT],
    { cwd: setup.work, env: setup.env },
  );
}
