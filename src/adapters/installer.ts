/**
 * The install framework's contract with each agent (`agent-trace install|uninstall|doctor`). An installer is
 * pure where it can be: it reads the agent's settings and says which file edits install or uninstall needs;
 * the command applies them (atomically, with a diff for --dry-run, byte-exact on uninstall) and reports.
 * One installer module per agent lives in `src/adapters/<agent>/installer.ts`, listed in `installers.ts`.
 */

export type AgentId = 'claude-code' | 'codex' | 'gemini' | 'opencode';
export type InstallScope = 'user' | 'project' | 'local';

export interface InstallEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  /** The data dir fixed into hook commands at install time (--dir, AGENT_TRACE_DIR or the config's `dir`); undefined: the default at run time. */
  dataDir?: string;
  /** Absolute path of the node that runs agent-trace (the worker, a plugin). */
  node: string;
  /** Absolute path of `dist/bin/agent-trace.js`. */
  bin: string;
  /** Absolute path of `dist/hook/record.sh`, the shell recorder hook commands run. */
  recordScript: string;
}

/** One file install would change: its text before and after (undefined after: remove the file). */
export interface FileEdit {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

export interface InstallPlan {
  edits: FileEdit[];
  /** What to tell the user (one line each): what was registered, notes, how to undo. */
  notes: string[];
  /** Per edited file, what the installer wants kept between install and uninstall (e.g. which containers it created). */
  memo?: Record<string, unknown>;
}

export interface InstalledAt {
  scope: InstallScope;
  path: string;
  /** Events (or plugin entry points) registered there. */
  events: string[];
  /** What stops these hooks from running (e.g. hooks not yet trusted); empty when nothing does. */
  blockers: string[];
}

export interface Detection {
  found: boolean;
  version?: string;
  /** Where it was found (a binary, a config folder). */
  where?: string;
}

export interface InstallOptions {
  uninstall: boolean;
  version?: string;
  memo?: Record<string, unknown>;
  /** Also register the hooks that fire on every tool call, where the agent's own file already has the same facts. */
  toolEvents?: boolean;
}

export interface AgentInstaller {
  agent: AgentId;
  /** Human name: "Claude Code". */
  label: string;
  scopes: readonly InstallScope[];
  detect(ie: InstallEnv): Detection;
  /**
   * The edits for install (or uninstall) at a scope. `memo` is what this installer kept for that file at the last
   * install (undefined when none). Throws InstallError (a one-line message) to refuse, changing nothing.
   */
  plan(ie: InstallEnv, scope: InstallScope, options: InstallOptions): InstallPlan;
  /** For doctor: every scope where its hooks are installed. */
  status(ie: InstallEnv): InstalledAt[];
}

export class InstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallError';
  }
}
