// The real agent CLIs, installed pinned into a cache folder on first use (test/agents/install.mjs).
// @ts-expect-error plain ESM script shared with .ci/run
import { installAgent, agentVersions } from '../agents/install.mjs';

export type AgentName = 'claude-code' | 'codex' | 'gemini' | 'opencode';

/** The path of the real CLI's executable, installing it first if needed. */
export function agentBin(name: AgentName): string {
  return installAgent(name) as string;
}

/** The pinned version the suite runs. */
export function agentVersion(name: AgentName): string {
  return (agentVersions as Record<string, { version: string }>)[name]!.version;
}
