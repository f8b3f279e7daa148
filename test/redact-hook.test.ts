import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceDocument } from '../src/model/trace.js';
import { cli } from './helpers/env.js';
import { freshDataDir, isolatedEnv, TranscriptWriter } from './helpers/claude-code.js';

// Fake secrets of every kind the default rules know, assembled at run time (no real-looking secret is
// committed). Each is distinctive enough that finding it anywhere on disk means it leaked.
const j = (...parts: string[]) => parts.join('');
const SECRETS: Record<string, string> = {
  anthropic: j('sk-', 'ant-', 'api03-', 'Zq9', 'x'.repeat(30), 'AA1'),
  openai: j('sk-', 'proj-', 'Q7w', 'y'.repeat(28), 'B2'),
  aws: j('AKIA', 'IOSFODNN7', 'EXAMPLE'),
  github: j('ghp_', 'k'.repeat(33), 'Rs1'),
  githubPat: j('github_', 'pat_', '11ABCDEFG', '0'.repeat(20), '_zz'),
  slack: j('xoxb-', '1234567890', '-', 'abcdefghijkl'),
  google: j('AIza', 'Sy', 'D'.repeat(31), '9k'),
  jwt: j('eyJ', 'hbGciOiJIUzI1NiJ9', '.', 'eyJ', 'zdWIiOiIxMjM0NTY3ODkwIn0', '.', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'),
  privateKey: j('-----BEGIN RSA ', 'PRIVATE KEY-----\n', 'MIIEowIBAAKCAQEA7bq', 'w'.repeat(40), '\n-----END RSA ', 'PRIVATE KEY-----'),
  bearerValue: j('tok_', 'bearer', 'V4lue', 'q'.repeat(20)),
  password: j('hunter2', 'Sup3r', 'Secr3t'),
  ticket: j('TICKET-', '884422'),
};

function haystack(dir: string): string {
  let all = '';
  const walk = (p: string) => {
    for (const name of readdirSync(p)) {
      const full = join(p, name);
      if (statSync(full).isDirectory()) walk(full);
      else all += `\n${full}\n${readFileSync(full, 'utf8')}`;
    }
  };
  walk(dir);
  return all;
}

describe('secrets never reach disk (SPEC §7.8)', () => {
  it('redacts every default kind, and a configured pattern, in prompts, tool input, tool output, errors and transcripts via the spawned hook', async () => {
    const { home, dir } = freshDataDir();
    mkdirSync(join(home, '.config', 'agent-trace'), { recursive: true });
    writeFileSync(join(home, '.config', 'agent-trace', 'config.json'), JSON.stringify({ redaction: { patterns: [{ name: 'ticket', pattern: 'TICKET-[0-9]{6}' }] } }));
    const env = isolatedEnv(home);
    // Self-identifying secrets anywhere; a bearer value and a password only where they are recognisable as such.
    const all = Object.entries(SECRETS)
      .filter(([k]) => k !== 'bearerValue' && k !== 'password')
      .map(([, v]) => v)
      .join(' ');
    const sessionId = 'r-1';
    const transcript = new TranscriptWriter(join(home, 'p', `${sessionId}.jsonl`), sessionId);
    const hook = async (payload: Record<string, unknown>) => {
      const r = await cli(['hook', '--dir', dir], { env, input: JSON.stringify({ session_id: sessionId, transcript_path: transcript.path, ...payload }) });
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    };
    const prompt = `deploy with these: ${all} and password=${SECRETS.password} Authorization: Bearer ${SECRETS.bearerValue}`;
    await hook({ hook_event_name: 'SessionStart', source: 'startup' });
    transcript.prompt(prompt);
    await hook({ hook_event_name: 'UserPromptSubmit', prompt });
    transcript.response('msg_r1', [{ thinking: `the key is ${SECRETS.anthropic}` }, { text: `Using ${SECRETS.openai}` }, { tool: { id: 'toolu_r1', name: 'Bash', input: { command: `curl -H "Authorization: Bearer ${SECRETS.bearerValue}" https://admin:${SECRETS.password}@example.com/x`, env: { AWS_SECRET_ACCESS_KEY: SECRETS.aws, api_key: SECRETS.google } } } }], { input: 5, output: 50, cacheRead: 0, cacheWrite: 0 });
    await hook({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: 'toolu_r1', tool_input: { command: `export GITHUB_TOKEN=${SECRETS.github}; echo ${SECRETS.jwt}`, password: SECRETS.password } });
    await hook({ hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_use_id: 'toolu_r1', tool_response: { stdout: `${SECRETS.privateKey}\n${SECRETS.slack}\n${SECRETS.githubPat}\n${SECRETS.ticket}`, stderr: '' } });
    transcript.toolResult('toolu_r1', `${SECRETS.privateKey}\n${SECRETS.slack}\n${SECRETS.ticket}`);
    await hook({ hook_event_name: 'PreToolUse', tool_name: 'Read', tool_use_id: 'toolu_r2', tool_input: { file_path: `/tmp/${SECRETS.aws}` } });
    await hook({ hook_event_name: 'PostToolUseFailure', tool_name: 'Read', tool_use_id: 'toolu_r2', error: `cannot read ${SECRETS.aws}: token ${SECRETS.anthropic}` });
    await hook({ hook_event_name: 'Notification', message: `stuck on ${SECRETS.openai}`, notification_type: 'idle_prompt' });
    transcript.response('msg_r2', [{ text: `Done with ${SECRETS.github} and ${SECRETS.ticket}` }], { input: 3, output: 9, cacheRead: 0, cacheWrite: 0 });
    await hook({ hook_event_name: 'Stop', last_assistant_message: `Done with ${SECRETS.github} and ${SECRETS.ticket}` });
    await hook({ hook_event_name: 'SessionEnd', reason: 'other' });
    // A malformed payload holding secrets: the error message that quotes it goes to the log, redacted.
    const torn = await cli(['hook', '--dir', dir], { env, input: `{"session_id": "${sessionId}", "prompt": "${SECRETS.anthropic} ${SECRETS.github}", oops` });
    expect(torn).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(join(dir, 'agent-trace.log'), 'utf8')).toMatch(/payload is not JSON/);

    const disk = haystack(dir);
    for (const [kind, secret] of Object.entries(SECRETS)) {
      const probe = kind === 'privateKey' ? 'MIIEowIBAAKCAQEA7bq' : secret;
      expect(disk.includes(probe), `${kind} leaked to disk`).toBe(false);
    }
    expect(disk).toMatch(/\[REDACTED:anthropic-key\]/);
    expect(disk).toMatch(/\[REDACTED:ticket\]/);
    expect(disk).toMatch(/\[REDACTED:private-key\]/);

    // Still one turn for the prompt the hook and the transcript both saw, one span per tool call.
    const doc = JSON.parse((await cli(['show', sessionId, '--json', '--dir', dir], { env })).stdout) as TraceDocument;
    expect(doc.summary).toMatchObject({ turns: 1, generations: 2, toolCalls: 2, toolErrors: 1 });
    expect(doc.status).toBe('completed');
  });
});
