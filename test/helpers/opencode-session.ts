import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin } from './agents.js';
import { ChatCompletionsServer } from './model-servers/chat-completions.js';
import type { ScriptedReply } from './model-servers/scripted.js';
import { agentEnv, runAgent, type AgentRun } from './run-agent.js';

export const OPENCODE_MODEL = 'test-model';
export const OPENCODE_PROMPT = 'Tidy notes.txt and tell me what you did.';

/**
 * The scripted opencode session: reasoning, text and two parallel shell commands, an edit, a read of a file
 * that does not exist (a failing tool), and a final answer. Every reply reports its own usage.
 */
export function opencodeScript(work: string): ScriptedReply[] {
  return [
    {
      reasoning: 'The user wants notes.txt tidied.',
      text: 'Let me look at the folder first.',
      tools: [
        { id: 'call_ls', name: 'bash', args: { command: 'ls', description: 'List files' } },
        { id: 'call_cat', name: 'bash', args: { command: 'cat notes.txt', description: 'Show notes' } },
      ],
      usage: { input: 4100, cached: 0, output: 50, reasoning: 10 },
    },
    { tools: [{ id: 'call_read', name: 'read', args: { filePath: join(work, 'notes.txt') } }], usage: { input: 4300, cached: 4096, output: 20 } },
    { tools: [{ id: 'call_edit', name: 'edit', args: { filePath: join(work, 'notes.txt'), oldString: 'hello  ', newString: 'hello' } }], usage: { input: 4400, cached: 4096, output: 30 } },
    { tools: [{ id: 'call_missing', name: 'read', args: { filePath: join(work, 'missing.txt') } }], usage: { input: 4500, cached: 4352, output: 20 } },
    { text: 'I removed the trailing spaces from notes.txt.', usage: { input: 4600, cached: 4352, output: 15, reasoning: 5 } },
  ];
}

export interface OpencodeSetup {
  home: string;
  work: string;
  configDir: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  server: ChatCompletionsServer;
}

/** A temporary HOME with opencode configured for an OpenAI-compatible provider on the scripted server (offline). */
export async function setUpOpencode(home: string, config: Record<string, unknown> = {}): Promise<OpencodeSetup> {
  const work = join(home, 'work');
  const configDir = join(home, '.config', 'opencode');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'notes.txt'), 'hello  \n');
  const server = new ChatCompletionsServer(opencodeScript(work));
  const url = await server.start();
  writeFileSync(
    join(configDir, 'opencode.json'),
    JSON.stringify({
      $schema: 'https://opencode.ai/config.json',
      autoupdate: false,
      share: 'disabled',
      model: `scripted/${OPENCODE_MODEL}`,
      small_model: `scripted/${OPENCODE_MODEL}`,
      permission: { edit: 'allow', bash: 'allow', external_directory: 'allow' },
      provider: {
        scripted: {
          npm: '@ai-sdk/openai-compatible',
          name: 'Scripted',
          options: { baseURL: `${url}/v1`, apiKey: 'test' },
          models: { [OPENCODE_MODEL]: { name: 'Test model', tool_call: true, reasoning: true, limit: { context: 200000, output: 8000 } } },
        },
      },
      ...config,
    }),
  );
  const env = agentEnv(home, { OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_SHARE: '1', OPENCODE_DISABLE_LSP_DOWNLOAD: '1' });
  return { home, work, configDir, dataDir: join(home, '.local', 'share', 'opencode'), env, server };
}

/** `opencode run` of the scripted prompt, headless, to its exit. */
export function runOpencode(setup: OpencodeSetup, extraArgs: string[] = []): Promise<AgentRun> {
  return runAgent(agentBin('opencode'), ['run', ...extraArgs, OPENCODE_PROMPT], { cwd: setup.work, env: setup.env, timeoutMs: 90_000 });
}
