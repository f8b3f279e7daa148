import type { AgentEvent } from '../events/types.js';

/** What a hook mapper needs besides the payload: the time the hook ran and the agent process, when known. */
export interface HookContext {
  now: number;
  /** The agent's process id (the hook's parent chain), recorded at session start. */
  agentPid?: number;
}

/**
 * Turns one hook payload (the JSON an agent writes to the hook's stdin) into normalized events. Must accept
 * any shape — every field is optional across versions — and return [] for what it does not understand.
 */
export type HookMapper = (payload: Record<string, unknown>, context: HookContext) => AgentEvent[];
