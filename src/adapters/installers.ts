import { claudeCodeInstaller } from './claude-code/installer.js';
import { codexInstaller } from './codex/installer.js';
import { geminiInstaller } from './gemini/installer.js';
import { opencodeInstaller } from './opencode/installer.js';
import type { AgentInstaller } from './installer.js';

/** Every agent `agent-trace install` can wire up, in the order it reports them. */
export const INSTALLERS: readonly AgentInstaller[] = [claudeCodeInstaller, codexInstaller, geminiInstaller, opencodeInstaller];
