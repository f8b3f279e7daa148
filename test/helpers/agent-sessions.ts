// The three scripted agent sessions behind one interface, for the bench (bundled by esbuild at bench time) and
// anything else that drives every agent alike.
import { codexScript, runCodex, setUpCodex } from './codex-session.js';
import { runGemini, setUpGemini } from './gemini-session.js';
import { runOpencode, setUpOpencode } from './opencode-session.js';
import type { AgentRun } from './run-agent.js';

export interface ScriptedAgentSession {
  env: NodeJS.ProcessEnv;
  /** Runs the scripted session to the agent's exit. */
  run(): Promise<AgentRun>;
  /** How many model calls the server answered. */
  answered(): number;
  /** Starts the script over, for another session in the same HOME. */
  reset(): void;
  stop(): Promise<void>;
}

export async function scriptedSession(agent: 'codex' | 'gemini' | 'opencode', home: string): Promise<ScriptedAgentSession> {
  if (agent === 'codex') {
    const s = await setUpCodex(home, codexScript());
    // The bypass is on in both runs of a pair, so it costs the same with and without agent-trace.
    return { env: s.env, run: () => runCodex(s, ['--dangerously-bypass-hook-trust']), answered: () => s.server.log.length, reset: () => s.server.reset(), stop: () => s.server.stop() };
  }
  if (agent === 'gemini') {
    const s = await setUpGemini(home);
    return { env: s.env, run: () => runGemini(s), answered: () => s.server.log.length, reset: () => s.server.reset(), stop: () => s.server.stop() };
  }
  const s = await setUpOpencode(home);
  return { env: s.env, run: () => runOpencode(s), answered: () => s.server.log.length, reset: () => s.server.reset(), stop: () => s.server.stop() };
}
