import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binPath, cli, tempDir } from './helpers/env.js';
import { isolatedEnv } from './helpers/claude-code.js';

type Hook = { type: string; command: string; timeout?: number; async?: boolean };
type Settings = Record<string, unknown> & { hooks?: Record<string, Array<{ matcher?: string; hooks: Hook[] }>> };

const ALL_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PermissionRequest', 'Notification', 'SubagentStart', 'SubagentStop', 'PreCompact', 'PostCompact', 'Stop', 'StopFailure', 'SessionEnd'];
/** Claude Code 2.1.332 (HOOK_EVENTS in its binary lists 34): every one a tracer can use. */
const EVENTS_2_1_332 = [...ALL_EVENTS, 'UserPromptExpansion', 'PostToolBatch', 'PermissionDenied', 'TaskCreated', 'TaskCompleted', 'TeammateIdle', 'PreModelSwitch', 'PostModelSwitch', 'Elicitation', 'ElicitationResult', 'InstructionsLoaded', 'ConfigChange', 'CwdChanged'];
const recordScript = join(realpathSync(binPath), '..', '..', 'hook', 'record.sh');
const EVERY_VERSION = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Notification', 'SubagentStop', 'PreCompact', 'Stop', 'SessionEnd'];

function ours(settings: Settings): Record<string, Hook> {
  const out: Record<string, Hook> = {};
  for (const [event, groups] of Object.entries(settings.hooks ?? {})) {
    for (const g of groups) for (const h of g.hooks) if (h.command.endsWith('# agent-trace')) out[event] = h;
  }
  return out;
}

const USER_SETTINGS = {
  model: 'opus',
  permissions: { allow: ['Bash(npm test:*)'], deny: [] },
  env: { FOO: 'bar' },
  hooks: {
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: '~/.claude/guard.sh', timeout: 5 }] }],
    Stop: [{ hooks: [{ type: 'command', command: 'say done' }, { type: 'command', command: 'npx agent-trace hook' }] }],
  },
  statusLine: { type: 'command', command: 'echo hi' },
};

function setup(version = '2.1.80') {
  const home = tempDir('agent-trace-install-');
  const project = join(home, 'project');
  mkdirSync(project);
  const env = isolatedEnv(home, version ? { AGENT_TRACE_CLAUDE_VERSION: version } : {});
  // These tests check every event install can register; `--tool-events` adds the per-tool-call ones (the default
  // leaves them out: see the test of the default below).
  const run = (args: string[]) => cli(args[0] === 'install' ? [...args, '--tool-events'] : args, { env, cwd: project });
  return { home, project, env, run, user: join(home, '.claude', 'settings.json') };
}

describe('agent-trace install / uninstall (Claude Code)', () => {
  it('by default leaves out the hooks that fire on every tool call (the transcript has those facts), and says how to add them', async () => {
    const { user, env, project } = setup('2.1.332');
    const r = await cli(['install'], { env, cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/--tool-events/);
    const events = Object.keys((JSON.parse(readFileSync(user, 'utf8')) as { hooks: Record<string, unknown> }).hooks);
    for (const e of ['SessionStart', 'UserPromptSubmit', 'PostToolUseFailure', 'PermissionRequest', 'SubagentStop', 'PreCompact', 'Stop', 'SessionEnd']) expect(events).toContain(e);
    for (const e of ['PreToolUse', 'PostToolUse', 'PostToolBatch']) expect(events).not.toContain(e);
    const full = await cli(['install', '--tool-events'], { env, cwd: project });
    expect(full.code, full.stderr).toBe(0);
    const all = Object.keys((JSON.parse(readFileSync(user, 'utf8')) as { hooks: Record<string, unknown> }).hooks);
    for (const e of ['PreToolUse', 'PostToolUse', 'PostToolBatch']) expect(all).toContain(e);
  });

  it('registers every event in the user, project and local settings files, keeping everything the user has', async () => {
    const { home, project, run } = setup();
    const files = { user: join(home, '.claude', 'settings.json'), project: join(project, '.claude', 'settings.json'), local: join(project, '.claude', 'settings.local.json') };
    for (const [scope, file] of Object.entries(files)) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
      const r = await run(['install', '--scope', scope]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(file);
      const after = JSON.parse(readFileSync(file, 'utf8')) as Settings;
      expect(Object.keys(ours(after)).sort()).toEqual([...ALL_EVENTS].sort());
      // Everything of the user's is still there, in place.
      expect(after.model).toBe('opus');
      expect(after.permissions).toEqual(USER_SETTINGS.permissions);
      expect(after.env).toEqual(USER_SETTINGS.env);
      expect(after.statusLine).toEqual(USER_SETTINGS.statusLine);
      expect(after.hooks!.PreToolUse![0]).toEqual(USER_SETTINGS.hooks.PreToolUse[0]);
      expect(after.hooks!.Stop![0]).toEqual(USER_SETTINGS.hooks.Stop[0]);
    }
    expect(readdirSync(join(project, '.claude')).sort()).toEqual(['settings.json', 'settings.local.json']);
  });

  it('installs the shell recorder with absolute paths, synchronously, marked as ours; every 2.1.332 event a tracer can use', async () => {
    const { run, user } = setup('2.1.332');
    expect((await run(['install'])).code).toBe(0);
    const hooks = ours(JSON.parse(readFileSync(user, 'utf8')) as Settings);
    expect(Object.keys(hooks).sort()).toEqual([...EVENTS_2_1_332].sort());
    for (const [event, hook] of Object.entries(hooks)) {
      expect(hook.type).toBe('command');
      expect(hook.command).toBe(`exec /bin/sh ${recordScript} claude-code ${event} ${process.execPath} '' # agent-trace`);
      expect(existsSync(recordScript)).toBe(true);
      expect(hook.command).not.toMatch(/\$|OTEL|npx/);
      expect(hook.timeout).toBeGreaterThan(0);
      // The recorder takes a few milliseconds: no hook is async, so Claude Code never cancels one, and each event
      // is in the spool before the agent goes on (the spool's order is the session's).
      expect(hook.async, event).toBeUndefined();
    }
    // Never registered: a hook there would replace what Claude Code does (worktrees) or take part in it.
    for (const event of ['WorktreeCreate', 'WorktreeRemove', 'Setup', 'PreSkillShellCommand', 'MessageDisplay']) expect(hooks[event]).toBeUndefined();
    const settings = JSON.parse(readFileSync(user, 'utf8')) as Settings;
    expect(settings.hooks!.PreToolUse![0]!.matcher).toBe('*');
  });

  it('is idempotent: a second install changes nothing and does not rewrite the file', async () => {
    const { run, user } = setup();
    mkdirSync(join(user, '..'), { recursive: true });
    writeFileSync(user, `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
    expect((await run(['install'])).code).toBe(0);
    const before = { text: readFileSync(user, 'utf8'), ino: statSync(user).ino, mtime: statSync(user).mtimeMs };
    const again = await run(['install']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already installed/);
    expect(readFileSync(user, 'utf8')).toBe(before.text);
    expect(statSync(user).ino).toBe(before.ino);
    expect(statSync(user).mtimeMs).toBe(before.mtime);
    const dry = await run(['install', '--dry-run']);
    expect(dry.stdout).toMatch(/would not change/);
  });

  it('uninstall removes exactly what install added, and keeps what the user changed meanwhile', async () => {
    const { run, user } = setup();
    mkdirSync(join(user, '..'), { recursive: true });
    const original = `${JSON.stringify(USER_SETTINGS, null, 2)}\n`;
    writeFileSync(user, original);
    expect((await run(['install'])).code).toBe(0);
    const un = await run(['uninstall']);
    expect(un.code, un.stderr).toBe(0);
    expect(un.stdout).toMatch(/removed 14 agent-trace hooks/);
    // Byte for byte, including the user's own hand-written `npx agent-trace hook` entry (not ours: no marker).
    expect(readFileSync(user, 'utf8')).toBe(original);
    expect((await run(['uninstall'])).stdout).toMatch(/nothing to remove/);

    // A file that had no hooks at all gets no empty "hooks" left behind; a setting added meanwhile stays.
    writeFileSync(user, `${JSON.stringify({ model: 'sonnet' }, null, 2)}\n`);
    expect((await run(['install'])).code).toBe(0);
    const meanwhile = JSON.parse(readFileSync(user, 'utf8')) as Settings;
    meanwhile.theme = 'dark';
    writeFileSync(user, `${JSON.stringify(meanwhile, null, 2)}\n`);
    expect((await run(['uninstall'])).code).toBe(0);
    expect(JSON.parse(readFileSync(user, 'utf8'))).toEqual({ model: 'sonnet', theme: 'dark' });
  });

  it('uninstall is the exact reverse: the user’s own containers stay, even empty; what install created goes, the file too', async () => {
    const { home, project, run, user } = setup();
    mkdirSync(join(user, '..'), { recursive: true });
    for (const original of [{ hooks: { Notification: [] }, model: 'x' }, { hooks: {} }, { hooks: { Stop: [], PreToolUse: [] } }]) {
      const text = `${JSON.stringify(original, null, 2)}\n`;
      writeFileSync(user, text);
      expect((await run(['install'])).code).toBe(0);
      expect(Object.keys(ours(JSON.parse(readFileSync(user, 'utf8')) as Settings))).toHaveLength(14);
      const un = await run(['uninstall']);
      expect(un.code, un.stderr).toBe(0);
      expect(readFileSync(user, 'utf8')).toBe(text);
    }

    // No settings file (nor folder) before: install creates both, uninstall takes both away again.
    const local = join(project, '.claude', 'settings.local.json');
    expect((await run(['install', '--scope', 'local'])).code).toBe(0);
    expect(existsSync(local)).toBe(true);
    const dry = await run(['uninstall', '--scope', 'local', '--dry-run']);
    expect(dry.stdout).toMatch(/^--- .*settings\.local\.json\n\+\+\+ \/dev\/null\n/);
    expect(dry.stdout).toMatch(/would be removed: install created it/);
    expect(existsSync(local)).toBe(true);
    const un = await run(['uninstall', '--scope', 'local']);
    expect(un.stdout).toMatch(/and the file itself/);
    expect(existsSync(join(project, '.claude'))).toBe(false);

    // A created file the user put a setting in meanwhile stays, with that setting only.
    expect((await run(['install', '--scope', 'local'])).code).toBe(0);
    writeFileSync(local, JSON.stringify({ ...(JSON.parse(readFileSync(local, 'utf8')) as Settings), theme: 'dark' }));
    expect((await run(['uninstall', '--scope', 'local'])).code).toBe(0);
    expect(JSON.parse(readFileSync(local, 'utf8'))).toEqual({ theme: 'dark' });

    // What install created is remembered outside the settings file, and forgotten once undone.
    expect(readdirSync(join(project, '.claude'))).toEqual(['settings.local.json']);
    expect(existsSync(join(home, '.local', 'state', 'agent-trace', 'installed.json'))).toBe(false);
  });

  it('without install’s record (an older version installed), uninstall still removes every entry and the containers it empties', async () => {
    const { home, run, user } = setup();
    mkdirSync(join(user, '..'), { recursive: true });
    writeFileSync(user, `${JSON.stringify({ model: 'sonnet', hooks: { Notification: [] } }, null, 2)}\n`);
    expect((await run(['install'])).code).toBe(0);
    rmSync(join(home, '.local', 'state', 'agent-trace', 'installed.json'));
    expect((await run(['uninstall'])).stdout).toMatch(/removed 14 agent-trace hooks/);
    expect(JSON.parse(readFileSync(user, 'utf8'))).toEqual({ model: 'sonnet' });
  });

  it('refuses an event whose value is not a list of hook groups: exit 1, the events named, file untouched', async () => {
    const { run, user } = setup();
    mkdirSync(join(user, '..'), { recursive: true });
    const bad = '{"hooks":{"Stop":{"a":1},"PreToolUse":"x","SessionStart":[]}}';
    writeFileSync(user, bad);
    const r = await run(['install']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/"Stop" \(an object\) and "PreToolUse" \(a string\) are not lists of hook groups.*nothing was changed/);
    expect(r.stderr).not.toMatch(/SessionStart/);
    expect(readFileSync(user, 'utf8')).toBe(bad);
    expect((await run(['install', '--dry-run'])).code).toBe(1);
    expect(readFileSync(user, 'utf8')).toBe(bad);
  });

  it('--dry-run prints the diff and touches nothing (not even creating the file)', async () => {
    const { run, user } = setup();
    const dry = await run(['install', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(existsSync(user)).toBe(false);
    expect(dry.stdout).toMatch(/^--- \/dev\/null\n\+\+\+ .*settings\.json\n@@ -0,0 \+1,\d+ @@/);
    expect(dry.stdout).toMatch(/^\+.*"command": "exec \/bin\/sh .*record\.sh claude-code SessionStart .* # agent-trace",$/m);
    mkdirSync(join(user, '..'), { recursive: true });
    writeFileSync(user, `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
    const before = readFileSync(user, 'utf8');
    const diff = await run(['install', '--dry-run']);
    expect(diff.stdout).toMatch(/^\+ {4}"SessionStart": \[$/m);
    // Only additions: a line shown as removed is one that merely gained a trailing comma.
    const lines = diff.stdout.split('\n');
    const removed = lines.filter((l) => l.startsWith('-') && !l.startsWith('--- ')).map((l) => l.slice(1));
    const added = lines.filter((l) => l.startsWith('+') && !l.startsWith('+++ ')).map((l) => l.slice(1));
    for (const l of removed) expect(added).toContain(`${l},`);
    expect(readFileSync(user, 'utf8')).toBe(before);
    expect((await run(['install'])).code).toBe(0);
    const undo = await run(['uninstall', '--dry-run']);
    expect(undo.stdout).toMatch(/^-.*# agent-trace",$/m);
    expect(undo.stdout).not.toMatch(/^\+(?!\+\+ )/m);
  });

  it('refuses a settings file that is not valid JSON: exit 1, one clear line, file untouched', async () => {
    const { run, user } = setup();
    mkdirSync(join(user, '..'), { recursive: true });
    for (const bad of ['{ "model": "opus", }', '[1, 2]', '{"hooks": "nope"}']) {
      writeFileSync(user, bad);
      for (const cmd of ['install', 'uninstall']) {
        const r = await run([cmd]);
        // uninstall has nothing of ours to find under a "hooks" that is not an object: it says so.
        const refused = !(cmd === 'uninstall' && bad === '{"hooks": "nope"}');
        expect(r.code).toBe(refused ? 1 : 0);
        if (refused) {
          expect(r.stdout).toBe('');
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
        }
        expect(readFileSync(user, 'utf8')).toBe(bad);
      }
    }
    writeFileSync(user, '{ "model": "opus", }');
    expect((await run(['install'])).stderr).toMatch(/settings\.json is not valid JSON .*nothing was changed/);
    expect(readdirSync(join(user, '..'))).toEqual(['settings.json']);
  });

  it('writes atomically through a symlinked settings file, keeping its mode and leaving no temp file', async () => {
    const { home, run, user } = setup();
    const dotfiles = join(home, 'dotfiles');
    mkdirSync(dotfiles);
    writeFileSync(join(dotfiles, 'claude-settings.json'), `${JSON.stringify(USER_SETTINGS, null, 2)}\n`, { mode: 0o640 });
    mkdirSync(join(user, '..'), { recursive: true });
    symlinkSync(join(dotfiles, 'claude-settings.json'), user);
    expect((await run(['install'])).code).toBe(0);
    expect(lstatSync(user).isSymbolicLink()).toBe(true);
    expect(Object.keys(ours(JSON.parse(readFileSync(join(dotfiles, 'claude-settings.json'), 'utf8')) as Settings))).toHaveLength(14);
    expect(statSync(join(dotfiles, 'claude-settings.json')).mode & 0o777).toBe(0o640);
    expect(readdirSync(dotfiles)).toEqual(['claude-settings.json']);
    expect(readdirSync(join(user, '..'))).toEqual(['settings.json']);
  });

  it('registers only the events the installed Claude Code knows (an unknown event makes it skip the whole file)', async () => {
    const old = setup('2.0.30');
    expect((await old.run(['install'])).code).toBe(0);
    const oldHooks = ours(JSON.parse(readFileSync(old.user, 'utf8')) as Settings);
    expect(Object.keys(oldHooks).sort()).toEqual([...EVERY_VERSION].sort());
    expect(Object.values(oldHooks).every((h) => h.async === undefined)).toBe(true);

    // Version unknown (no `claude` on PATH): only the events every version has, and a note saying so.
    const unknown = setup('');
    const r = await unknown.run(['install']);
    expect(r.stdout).toMatch(/version is unknown/);
    const unknownHooks = ours(JSON.parse(readFileSync(unknown.user, 'utf8')) as Settings);
    expect(Object.keys(unknownHooks).sort()).toEqual([...EVERY_VERSION].sort());

    // After an upgrade, install again adds the newer events; after a downgrade it takes them away again.
    const upgraded = await cli(['install', '--tool-events'], { env: { ...old.env, AGENT_TRACE_CLAUDE_VERSION: '2.1.62' }, cwd: old.project });
    expect(upgraded.code).toBe(0);
    expect(Object.keys(ours(JSON.parse(readFileSync(old.user, 'utf8')) as Settings)).sort()).toEqual([...EVERY_VERSION, 'PostToolUseFailure', 'PermissionRequest', 'SubagentStart'].sort());
    await cli(['install', '--tool-events'], { env: { ...old.env, AGENT_TRACE_CLAUDE_VERSION: '2.0.30' }, cwd: old.project });
    expect(Object.keys(ours(JSON.parse(readFileSync(old.user, 'utf8')) as Settings)).sort()).toEqual([...EVERY_VERSION].sort());
  });

  it('puts --dir in the command when given, and rejects a bad scope as a usage error', async () => {
    const { run, user, home } = setup();
    const r = await run(['install', '--dir', join(home, 'traces')]);
    expect(r.code).toBe(0);
    expect(ours(JSON.parse(readFileSync(user, 'utf8')) as Settings).Stop!.command).toMatch(new RegExp(` claude-code Stop \\S+ ${join(home, 'traces')} # agent-trace$`));
    const bad = await run(['install', '--scope', 'everywhere']);
    expect(bad.code).toBe(2);
  });

  it('uninstall is byte-exact: odd formatting and a missing final newline come back as they were', async () => {
    const { run, user } = setup('2.1.332');
    mkdirSync(join(user, '..'), { recursive: true });
    const original = '{"model":"opus",   "hooks": {"Stop": []}}';
    writeFileSync(user, original);
    expect((await run(['install'])).code).toBe(0);
    expect(readFileSync(user, 'utf8')).not.toBe(original);
    expect((await run(['uninstall'])).code).toBe(0);
    expect(readFileSync(user, 'utf8')).toBe(original);

    // Edited since install: only our entries go, and the file keeps having no final newline.
    writeFileSync(user, '{\n\t"model": "opus"\n}');
    expect((await run(['install'])).code).toBe(0);
    const edited = (JSON.parse(readFileSync(user, 'utf8')) as Settings) as Record<string, unknown>;
    edited.theme = 'dark';
    writeFileSync(user, JSON.stringify(edited, null, '\t'));
    expect((await run(['uninstall'])).code).toBe(0);
    expect(readFileSync(user, 'utf8')).toBe('{\n\t"model": "opus",\n\t"theme": "dark"\n}');
  });
});
