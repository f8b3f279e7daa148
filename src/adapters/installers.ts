import { claudeCodeInstaller } from './claude-code/installer.js';
import type { AgentInstaller } from './installer.js';

/** Every agent `agent-trace install` can wire up, in the order it reports them. */
export const INSTALLERS: readonly AgentInstaller[] = [claudeCodeInstaller];
