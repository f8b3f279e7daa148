import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithFixtures } from './helpers/fixtures.js';
import { classifyUserText, TranscriptParser, type ParserState } from '../src/adapters/claude-code/transcript.js';
import type { AgentEvent } from '../src/events/types.js';
import { buildTrace } from '../src/model/trace-builder.js';
import type { TraceDocument } from '../src/model/trace.js';
import { cli, tempDir } from './helpers/env.js';
import { claudeFixtures, freshDataDir, haveClaudeFixtures, isolatedEnv, readLines, spansOf, TranscriptWriter } from './helpers/claude-code.js';

/** Feeds lines in chunks, saving and restoring the parser state as JSON between chunks, as the hook does. */
function parseInChunks(sessionId: string, lines: unknown[], cuts: number[]): AgentEvent[] {
  const events: AgentEvent[] = [];
  let state: ParserState | undefined;
  let from = 0;
  for (const cut of [...cuts, lines.length]) {
    const p = new TranscriptParser(sessionId, state ? (JSON.parse(JSON.stringify(state)) as ParserState) : undefined);
    for (const l of lines.slice(from, cut)) p.feed(l);
    events.push(...p.drain());
    if (cut === lines.length) events.push(...p.finish());
    state = p.state;
    from = cut;
  }
  return events;
}

function shape(doc: TraceDocument) {
  return {
    summary: doc.summary,
    spans: doc.spans.map((s) => ({ id: s.spanId, parent: s.parentSpanId, name: s.name, start: s.startTime, end: s.endTime, status: s.status, input: s.input, output: s.output, attributes: s.attributes })),
  };
}

describeWithFixtures(['claude-code/transcripts', 'claude-code/hooks'], 'reading the real transcripts incrementally (../shared/fixtures)', () => {
  const files = haveClaudeFixtures ? [...readdirSync(join(claudeFixtures, 'transcripts')).map((f) => join(claudeFixtures, 'transcripts', f)), join(claudeFixtures, 'hooks', 'chat.json')] : [];
  it.each(files.map((f) => [f.split('/').pop(), f]))('%s: any split into reads, with the state saved as JSON between them, gives the one-pass trace', (_n, path) => {
    const lines = readLines(path as string);
    const whole = buildTrace('s', parseInChunks('s', lines, [])).toDocument();
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 6; trial++) {
      const cuts = trial === 0 ? lines.map((_, i) => i + 1).slice(0, -1) : [...new Set(Array.from({ length: 1 + Math.floor(rand() * 8) }, () => 1 + Math.floor(rand() * (lines.length - 1))))].sort((a, b) => a - b);
      const chunked = buildTrace('s', parseInChunks('s', lines, cuts)).toDocument();
      expect(shape(chunked)).toEqual(shape(whole));
    }
  });
});

describe('what a transcript line means', () => {
  it('tells the person’s words from everything else a user line can hold', () => {
    expect(classifyUserText('fix the bug')).toEqual({ kind: 'prompt', text: 'fix the bug' });
    expect(classifyUserText([{ type: 'image', source: {} }, { type: 'text', text: 'what is this? [Image #1]' }])).toEqual({ kind: 'prompt', text: 'what is this? [Image #1]' });
    expect(classifyUserText('<system-reminder>the date is …</system-reminder>\nrun it')).toEqual({ kind: 'prompt', text: 'run it' });
    expect(classifyUserText([{ type: 'text', text: '<ide_opened_file>The user opened a.ts</ide_opened_file>' }, { type: 'text', text: 'explain' }])).toEqual({ kind: 'prompt', text: 'explain' });
    expect(classifyUserText('<command-name>/review</command-name>\n<command-message>review</command-message>\n<command-args>src/a.ts</command-args>')).toEqual({ kind: 'command', text: '/review src/a.ts' });
    expect(classifyUserText('<command-message>x:y</command-message>\n<command-name>/x:y</command-name>')).toEqual({ kind: 'command', text: '/x:y' });
    expect(classifyUserText('<local-command-stdout>Compacted</local-command-stdout>')).toEqual({ kind: 'none' });
    expect(classifyUserText('<local-command-caveat>Caveat: …</local-command-caveat>')).toEqual({ kind: 'none' });
    expect(classifyUserText('<bash-input>ls</bash-input>')).toEqual({ kind: 'none' });
    expect(classifyUserText('<task-notification><task-id>a1</task-id></task-notification>')).toEqual({ kind: 'none' });
    expect(classifyUserText([{ type: 'text', text: '[Request interrupted by user for tool use]' }])).toEqual({ kind: 'interrupt', text: '[Request interrupted by user for tool use]' });
    expect(classifyUserText([{ type: 'tool_result', tool_use_id: 't', content: 'x' }])).toEqual({ kind: 'none' });
    expect(classifyUserText(undefined)).toEqual({ kind: 'none' });
    expect(classifyUserText(42)).toEqual({ kind: 'none' });
  });

  it('the answer a resumed session writes for a call its killed process left open: interrupted, ended when last seen', () => {
    // As Claude Code 2.1.332 writes it: the tool_use, the kill, then on --resume the queued prompt and a
    // synthetic error result dated at resume time.
    const sid = 'orphan-1';
    const base = { sessionId: sid, cwd: '/w', version: '2.1.332' };
    const lines = [
      { ...base, type: 'user', uuid: 'u1', timestamp: '2026-11-29T14:05:45.719Z', message: { role: 'user', content: 'sleep please' } },
      { ...base, type: 'assistant', uuid: 'a1', timestamp: '2026-11-29T14:05:45.787Z', requestId: 'r1', message: { id: 'msg_1', model: 'claude-sonnet-4-5', role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_K', name: 'Bash', input: { command: 'sleep 32' } }], stop_reason: 'tool_use', usage: { input_tokens: 9, output_tokens: 33 } } },
      { ...base, type: 'queue-operation', operation: 'enqueue', timestamp: '2026-11-29T14:05:47.097Z', content: 'resume' },
      { ...base, type: 'user', uuid: 'u2', timestamp: '2026-11-29T14:05:47.022Z', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_K', is_error: true, content: "[Tool call interrupted: the session ended before this call's result was recorded, so its outcome is unknown.]" }] }, toolUseResult: "[Tool call interrupted: the session ended before this call's result was recorded, so its outcome is unknown.]" },
    ];
    const end = parseInChunks(sid, lines, []).find((e) => e.type === 'tool.end');
    expect(end).toMatchObject({ key: 'toolu_K', errorType: 'interrupted', time: Date.parse('2026-11-29T14:05:45.787Z') });
  });

  it('records API errors as marks, not model calls; meta lines, local commands and odd lines as nothing', () => {
    const d = tempDir();
    const w = new TranscriptWriter(join(d, 's.jsonl'), 's', Date.parse('2026-03-01T10:00:00Z'));
    w.prompt('hello');
    w.raw({ type: 'assistant', isApiErrorMessage: true, message: { model: '<synthetic>', id: 'synthetic-1', role: 'assistant', content: [{ type: 'text', text: 'API Error: 529 Overloaded' }], usage: { input_tokens: 0, output_tokens: 0 } } });
    w.raw({ type: 'system', subtype: 'api_error', level: 'error', error: { status: 429, error: { type: 'rate_limit_error', message: 'Rate limited' } }, retryAttempt: 2, retryInMs: 4000 });
    w.raw({ type: 'assistant', message: { model: '<synthetic>', id: 'synthetic-2', role: 'assistant', content: [{ type: 'text', text: 'No response requested.' }] } });
    w.meta('expanded skill text that the person did not type');
    w.raw({ type: 'user', message: { role: 'user', content: '<command-name>/model</command-name>\n<command-args></command-args>' } });
    w.raw({ type: 'user', message: { role: 'user', content: '<local-command-stdout>Kept model</local-command-stdout>' } });
    w.raw({ type: 'assistant' });
    w.raw({ type: 'user', message: 'not an object' });
    w.raw({ type: 'progress', data: { type: 'hook_progress', hookEvent: 'Stop' } });
    w.raw({ type: 'file-history-snapshot', snapshot: {} });
    w.response('msg_ok', [{ text: 'Done.' }], { input: 1, output: 2, cacheRead: 3, cacheWrite: 4 });
    appendFileSync(w.path, 'this line is torn {"type":\n');
    const p = new TranscriptParser('s');
    for (const line of readFileSync(w.path, 'utf8').split('\n').filter(Boolean)) {
      try {
        p.feed(JSON.parse(line));
      } catch {
        // the torn line
      }
    }
    const doc = buildTrace('s', [...p.drain(), ...p.finish()]).toDocument();
    expect(doc.summary).toMatchObject({ turns: 1, generations: 1, tokens: { input: 1, output: 2, cacheRead: 3, cacheWrite: 4, cacheWrite5m: 4, cacheWrite1h: 0, reasoning: 0 } });
    const marks = doc.spans.flatMap((s) => s.events ?? []).filter((e) => e.name === 'api_error');
    expect(marks.map((m) => m.attributes?.message)).toEqual(['API Error: 529 Overloaded', 'Rate limited']);
    expect(marks[1]!.attributes?.['agent_trace.retry_attempt']).toBe(2);
    expect(doc.spans.find((s) => s.kind === 'turn')!.events?.length).toBe(2);
    expect(doc.agent).toEqual({ name: 'claude-code', version: '2.1.62' });
    expect(doc.gitBranch).toBe('main');
  });

  it('imports the 2.0.x layout, where subagents are agent-*.jsonl files next to the session naming it', async () => {
    const { home, dir } = freshDataDir();
    const project = join(home, 'projects', '-p');
    const sessionId = '55555555-5555-4555-8555-555555555555';
    const w = new TranscriptWriter(join(project, `${sessionId}.jsonl`), sessionId, Date.parse('2026-01-01T10:00:00Z'));
    w.prompt('delegate it');
    w.response('msg_m1', [{ tool: { id: 'toolu_t1', name: 'Task', input: { prompt: 'Count the files', subagent_type: 'general-purpose', description: 'count' } } }], { input: 1, output: 5, cacheRead: 0, cacheWrite: 0 });
    const sub = new TranscriptWriter(join(project, 'agent-6e067db7.jsonl'), sessionId, w.now + 5);
    sub.write({ type: 'user', isSidechain: true, agentId: '6e067db7', message: { role: 'user', content: 'Count the files' } });
    sub.response('msg_s1', [{ text: 'There are 3 files.' }], { input: 2, output: 6, cacheRead: 0, cacheWrite: 0 }, 'claude-sonnet-4-5-20250929', { isSidechain: true, agentId: '6e067db7' });
    // Another session's subagent in the same folder is not this session's.
    const other = new TranscriptWriter(join(project, 'agent-ffffffff.jsonl'), '66666666-6666-4666-8666-666666666666', w.now);
    other.write({ type: 'user', isSidechain: true, agentId: 'ffffffff', message: { role: 'user', content: 'x' } });
    w.toolResult('toolu_t1', 'There are 3 files.', false, { status: 'completed', agentId: '6e067db7' });
    const r = await cli(['import', join(project, `${sessionId}.jsonl`), '--json', '--dir', dir], { env: isolatedEnv(home) });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 'sessions', sessionId, 'trace.json'), 'utf8')) as TraceDocument;
    expect(doc.summary).toMatchObject({ generations: 2, subagents: 1, toolCalls: 1 });
    const [agent] = spansOf(doc, 'subagent');
    expect(doc.spans.find((s) => s.spanId === agent!.parentSpanId)?.name).toBe('execute_tool Task');
    expect(doc.spans.filter((s) => s.parentSpanId === agent!.spanId).map((s) => s.name)).toEqual(['chat claude-sonnet-4-5-20250929']);
  });
});

describe('the hook reads only what is new', () => {
  it('remembers the offset per transcript: a second Stop with nothing new adds nothing from the transcript', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const sessionId = 'o-1';
    const w = new TranscriptWriter(join(home, 'p', `${sessionId}.jsonl`), sessionId);
    const stop = (msg: string) => cli(['hook', '--dir', dir], { env, input: JSON.stringify({ session_id: sessionId, hook_event_name: 'Stop', transcript_path: w.path, last_assistant_message: msg }) });
    const journalLines = () => readFileSync(join(dir, 'sessions', sessionId, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AgentEvent);
    const offset = () => (JSON.parse(readFileSync(join(dir, 'sessions', sessionId, 'claude-transcripts.json'), 'utf8')) as { files: Record<string, { offset: number }> }).files[w.path]!.offset;
    w.prompt('one');
    w.response('msg_o1', [{ text: 'First.' }], { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 });
    expect((await stop('First.')).code).toBe(0);
    expect(offset()).toBe(statSync(w.path).size);
    const after1 = journalLines().length;
    expect((await stop('First.')).code).toBe(0);
    const added = journalLines().slice(after1);
    expect(added.map((e) => `${e.source}:${e.type}`)).toEqual(['hook:turn.end']);
    // A line still being written (no newline yet) waits for the next read.
    w.prompt('two');
    w.response('msg_o2', [{ text: 'Second.' }], { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 });
    const size = statSync(w.path).size;
    appendFileSync(w.path, '{"type":"user","message":{"role":"user","content":"thr');
    expect((await stop('Second.')).code).toBe(0);
    expect(offset()).toBe(size);
    appendFileSync(w.path, `ee"},"timestamp":"${new Date(w.tick()).toISOString()}","sessionId":"${sessionId}"}\n`);
    w.response('msg_o3', [{ text: 'Third.' }], { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 });
    expect((await stop('Third.')).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 'sessions', sessionId, 'trace.json'), 'utf8')) as TraceDocument;
    expect(spansOf(doc, 'turn').map((t) => t.input)).toEqual(['one', 'two', 'three']);
    expect(doc.summary.generations).toBe(3);
    expect(journalLines().filter((e) => e.type === 'turn.start')).toHaveLength(3);
    writeFileSync(join(home, 'unused'), '');
  });
});
