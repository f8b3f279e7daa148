import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codexEvents, untrustedEvents } from '../src/adapters/codex/installer.js';
import { GEMINI_EVENTS } from '../src/adapters/gemini/installer.js';
import { isolatedEnv } from './helpers/claude-code.js';
import { cli, repoRoot, tempDir } from './helpers/env.js';

// install / uninstall for Codex CLI, Gemini CLI and opencode, run as a user runs them, in a temporary HOME.

function home(): { home: string; env: NodeJS.ProcessEnv } {
  const h = tempDir('agent-trace-install-agents-');
  return { home: h, env: { ...isolatedEnv(h), XDG_STATE_HOME: join(h, '.local', 'state'), PATH: '/usr/bin:/bin' } };
}

describe('install --agent codex|gemini|opencode', () => {
  it('codex: adds every event of the version beside the user hooks, idempotent, says how to trust, uninstalls byte for byte', async () => {
    const { home: h, env } = home();
    const path = join(h, '.codex', 'hooks.json');
    mkdirSync(join(h, '.codex'), { recursive: true });
    const mine = '{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"notify-send done"}]}]}}';
    writeFileSync(path, mine);
    const first = await cli(['install', '--agent', 'codex'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Trust all and continue/);
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    expect(Object.keys(doc.hooks).sort()).toEqual([...codexEvents(undefined)].sort());
    expect(doc.hooks.Stop!.map((g) => g.hooks[0]!.command)).toEqual(['notify-send done', expect.stringMatching(/record\.sh' codex Stop .*# agent-trace$/)]);
    const written = readFileSync(path, 'utf8');
    expect((await cli(['install', '--agent', 'codex'], { env })).stdout).toMatch(/already in/);
    expect(readFileSync(path, 'utf8')).toBe(written);
    const un = await cli(['uninstall', '--agent', 'codex'], { env });
    expect(un.code, un.stderr).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(mine);
  });

  it('codex: 0.171 and later get Interrupt and SessionEnd; the rollout events only with --tool-events; trusted entries are counted from config.toml', () => {
    expect(codexEvents('0.171.0')).toEqual(['SessionStart', 'PermissionRequest', 'Stop', 'Interrupt', 'SessionEnd']);
    expect(codexEvents('0.150.2')).not.toContain('SessionEnd');
    expect(codexEvents('0.171.0', { toolEvents: true })).toEqual(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'PreCompact', 'PostCompact', 'SubagentStart', 'SubagentStop', 'Stop', 'Interrupt', 'SessionEnd']);
    // As Codex 0.171 writes trust: per file, event (snake_case), group and hook.
    const toml = '[hooks.state]\n\n[hooks.state."/h/.codex/hooks.json:session_start:0:0"]\ntrusted_hash = "sha256:8151"\n\n[hooks.state."/other/hooks.json:stop:0:0"]\ntrusted_hash = "sha256:6a6a"\n[other]\ntrusted_hash = "sha256:x"\n';
    expect(untrustedEvents(toml, '/h/.codex/hooks.json', ['SessionStart', 'Stop', 'PermissionRequest'])).toEqual(['Stop', 'PermissionRequest']);
    expect(untrustedEvents(undefined, '/h/.codex/hooks.json', ['Stop'])).toEqual(['Stop']);
  });

  it('gemini: keeps every other setting, refuses a broken file, removes only its own entries from an edited file', async () => {
    const { home: h, env } = home();
    const path = join(h, '.gemini', 'settings.json');
    mkdirSync(join(h, '.gemini'), { recursive: true });
    writeFileSync(path, '{"theme": "dark",');
    const broken = await cli(['install', '--agent', 'gemini'], { env });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/not valid JSON/);
    expect(readFileSync(path, 'utf8')).toBe('{"theme": "dark",');
    writeFileSync(path, '{"theme": "dark"}');
    expect((await cli(['install', '--agent', 'gemini'], { env })).code).toBe(0);
    const installed = JSON.parse(readFileSync(path, 'utf8')) as { theme: string; hooks: Record<string, unknown> };
    expect(installed.theme).toBe('dark');
    expect(Object.keys(installed.hooks)).toEqual(GEMINI_EVENTS);
    writeFileSync(path, JSON.stringify({ ...installed, model: 'gemini-2.5-pro' }));
    expect((await cli(['uninstall', '--agent', 'gemini'], { env })).code).toBe(0);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ theme: 'dark', model: 'gemini-2.5-pro' });
  });

  it('opencode: writes the plugin file that loads the shipped plugin; uninstall removes it; a file of its own name is left alone', async () => {
    const { home: h, env } = home();
    const path = join(h, '.config', 'opencode', 'plugins', 'agent-trace.js');
    expect((await cli(['install', '--agent', 'opencode'], { env })).code).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(`file://${join(repoRoot, 'dist', 'plugins', 'opencode.js')}`);
    expect(existsSync(join(repoRoot, 'dist', 'plugins', 'opencode.js'))).toBe(true);
    expect((await cli(['uninstall', '--agent', 'opencode'], { env })).code).toBe(0);
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, 'export const Mine = async () => ({})\n');
    const other = await cli(['install', '--agent', 'opencode'], { env });
    expect(other.stdout).toMatch(/not written by agent-trace; left as it is/);
    expect(readFileSync(path, 'utf8')).toBe('export const Mine = async () => ({})\n');
  });

  it('all: installs for every agent and says where it wrote', async () => {
    const { home: h, env } = home();
    mkdirSync(join(h, '.gemini'), { recursive: true });
    const r = await cli(['install', '--agent', 'all'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Gemini CLI: agent-trace hooks for SessionStart, AfterAgent, SessionEnd, Notification in /);
    expect(r.stdout).toMatch(/Codex CLI: agent-trace hooks for \d+ events in /);
    expect(r.stdout).toMatch(/opencode: the agent-trace plugin in /);
  });
});

describe('doctor for Codex, Gemini CLI and opencode', () => {
  it('tells untrusted Codex hooks from never-fired and working ones', async () => {
    const { home: h, env } = home();
    const data = join(h, 'data');
    const codex = async () => {
      const r = await cli(['--dir', data, 'doctor', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { agents: Array<{ agent: string; problems: string[]; lastFired: Record<string, number>; neverFired: string[] }> }).agents.find((a) => a.agent === 'codex')!;
    };
    // Not on this machine: nothing to install, so nothing to report; once it is, doctor says how to install.
    expect((await codex()).problems).toEqual([]);
    mkdirSync(join(h, '.codex'), { recursive: true });
    expect((await codex()).problems.join('\n')).toMatch(/not installed/);
    expect((await cli(['--dir', data, 'install', '--agent', 'codex'], { env })).code).toBe(0);
    expect((await codex()).problems.join('\n')).toMatch(/not trusted yet .*choose "Trust all and continue"/);
    const events = codexEvents(undefined);
    const snake = (e: string) => e.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    writeFileSync(join(h, '.codex', 'config.toml'), events.map((e, i) => `[hooks.state."${join(h, '.codex', 'hooks.json')}:${snake(e)}:0:0"]\ntrusted_hash = "sha256:h${i}"\n`).join(''));
    const trusted = await codex();
    expect(trusted.problems.join('\n')).not.toMatch(/trust/);
    expect(trusted.problems.join('\n')).toMatch(/no hook has fired yet/);
    mkdirSync(join(data, 'spool'), { recursive: true });
    writeFileSync(join(data, 'spool', 'fired.json'), JSON.stringify({ codex: { Stop: 1_795_000_000_000 } }));
    const working = await codex();
    expect(working.lastFired).toEqual({ Stop: 1_795_000_000_000 });
    expect(working.problems).toEqual([]);
  });
});
