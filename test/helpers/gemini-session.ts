import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin } from './agents.js';
import { GeminiServer } from './model-servers/gemini.js';
import type { ScriptedReply } from './model-servers/scripted.js';
import { agentEnv, runAgent, type AgentRun } from './run-agent.js';

export const GEMINI_MODEL = 'gemini-2.5-flash';
export const GEMINI_PROMPT = 'Tidy notes.txt and tell me what you did.';

/**
 * The scripted Gemini session: a thought, text and two parallel shell commands, an edit, a read of a file
 * that does not exist (a failing tool), and a final answer. Every reply reports its own usage.
 */
export function geminiScript(work: string): ScriptedReply[] {
  return [
    {
      reasoning: 'The user wants notes.txt tidied.',
      text: 'Let me look at the folder first.',
      tools: [
        { id: 'g1', name: 'run_shell_command', args: { command: 'ls', description: 'list files' } },
        { id: 'g2', name: 'run_shell_command', args: { command: 'cat notes.txt', description: 'show notes' } },
      ],
      usage: { input: 3100, cached: 0, output: 40, reasoning: 12 },
    },
    {
      tools: [{ id: 'g3', name: 'replace', args: { file_path: join(work, 'notes.txt'), old_string: 'hello  ', new_string: 'hello', instruction: 'drop trailing spaces' } }],
      usage: { input: 3300, cached: 2048, output: 30 },
    },
    {
      tools: [{ id: 'g4', name: 'read_file', args: { file_path: join(work, 'missing.txt') } }],
      usage: { input: 3400, cached: 2048, output: 20 },
    },
    { text: 'I removed the trailing spaces from notes.txt.', usage: { input: 3500, cached: 3072, output: 15, reasoning: 6 } },
  ];
}

export interface GeminiSetup {
  home: string;
  work: string;
  settingsPath: string;
  env: NodeJS.ProcessEnv;
  server: GeminiServer;
}

/** A temporary HOME with Gemini CLI configured for an API key against the scripted server (offline). */
export async function setUpGemini(home: string, settings: Record<string, unknown> = {}, script: (work: string) => ScriptedReply[] = geminiScript): Promise<GeminiSetup> {
  const work = join(home, 'work');
  mkdirSync(join(home, '.gemini'), { recursive: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'notes.txt'), 'hello  \n');
  const server = new GeminiServer(script(work));
  const url = await server.start();
  const settingsPath = join(home, '.gemini', 'settings.json');
  writeFileSync(
    settingsPath,
    JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, general: { disableAutoUpdate: true, disableUpdateNag: true }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false }, ...settings }, null, 2),
  );
  const env = agentEnv(home, { GEMINI_API_KEY: 'test', GOOGLE_GEMINI_BASE_URL: url, GEMINI_CLI_NO_RELAUNCH: 'true', NO_COLOR: '1' });
  return { home, work, settingsPath, env, server };
}

/** `gemini -p` of the scripted prompt, headless, in yolo mode, to its exit. */
export function runGemini(setup: GeminiSetup, extraArgs: string[] = []): Promise<AgentRun> {
  return runAgent(agentBin('gemini'), ['--skip-trust', '--approval-mode', 'yolo', '-m', GEMINI_MODEL, ...extraArgs, '-p', GEMINI_PROMPT], { cwd: setup.work, env: setup.env, timeoutMs: 90_000 });
}
