import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithFixtures } from './helpers/fixtures.js';
import type { AgentEvent } from '../src/events/types.js';
import type { TraceDocument } from '../src/model/trace.js';
import { cli, tempDir, type RunResult } from './helpers/env.js';
import { claudeFixtures, countTranscript, freshDataDir, isolatedEnv, readLines, spansOf } from './helpers/claude-code.js';

type Payload = Record<string, unknown>;

const ORDER = [
  'session_start',
  'user_prompt_submit',
  'pre_tool_use',
  'permission_request',
  'notification',
  'subagent_start',
  'post_tool_use',
  'post_tool_use_failure',
  'subagent_stop',
  'stop',
  'session_end',
];
const TOOL_FILES = new Set(['pre_tool_use', 'post_tool_use', 'post_tool_use_failure']);

function loadPayloads(): Map<string, Payload[]> {
  const out = new Map<string, Payload[]>();
  for (const name of ORDER) out.set(name, JSON.parse(readFileSync(join(claudeFixtures, 'hooks', `${name}.json`), 'utf8')) as Payload[]);
  return out;
}

/** Runs hook processes, `parallel` at a time, as Claude Code does for parallel tool calls. */
async function replay(payloads: Payload[], dir: string, env: NodeJS.ProcessEnv, parallel: number): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (let i = 0; i < payloads.length; i += parallel) {
    const batch = payloads.slice(i, i + parallel);
    results.push(...(await Promise.all(batch.map((p) => cli(['hook', '--dir', dir], { env, input: JSON.stringify(p) })))));
  }
  return results;
}

async function traceOf(sessionId: string, dir: string, env: NodeJS.ProcessEnv): Promise<TraceDocument> {
  const r = await cli(['show', sessionId, '--json', '--dir', dir], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as TraceDocument;
}

function journal(dir: string, sessionId: string): AgentEvent[] {
  return readFileSync(join(dir, 'sessions', sessionId, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AgentEvent);
}

function toolIdsOf(doc: TraceDocument): string[] {
  return spansOf(doc, 'tool').map((s) => String(s.attributes['gen_ai.tool.call.id']));
}

describeWithFixtures(['claude-code/transcripts', 'claude-code/hooks'], 'the hook on every real Claude Code hook payload (../shared/fixtures)', () => {
  it('replays every payload through the spawned CLI, tool hooks 8 at a time: exit 0, silent, every tool_use_id exactly once', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const payloads = loadPayloads();
    let total = 0;
    for (const name of ORDER) {
      const list = payloads.get(name)!;
      const results = await replay(list, dir, env, TOOL_FILES.has(name) ? 8 : 1);
      total += results.length;
      for (const r of results) {
        expect(r.code).toBe(0);
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe('');
      }
    }
    expect(total).toBe(ORDER.reduce((n, name) => n + payloads.get(name)!.length, 0));

    const sessions = new Set([...payloads.values()].flat().map((p) => p.session_id as string));
    expect(readdirSync(join(dir, 'sessions')).sort()).toEqual([...sessions].sort());
    for (const sessionId of sessions) {
      const of = (name: string) => payloads.get(name)!.filter((p) => p.session_id === sessionId);
      const ids = new Set([...of('pre_tool_use'), ...of('post_tool_use'), ...of('post_tool_use_failure')].map((p) => p.tool_use_id as string));
      const doc = await traceOf(sessionId, dir, env);
      const spanIds = toolIdsOf(doc);
      expect(spanIds.sort()).toEqual([...ids].sort());
      // Nothing lost between the parallel processes: one journal line per tool payload.
      const events = journal(dir, sessionId);
      expect(events.filter((e) => e.type === 'tool.start')).toHaveLength(of('pre_tool_use').length);
      expect(events.filter((e) => e.type === 'tool.end')).toHaveLength(of('post_tool_use').length + of('post_tool_use_failure').length);
      // Failures recorded as errors, with the message Claude Code gave.
      for (const f of of('post_tool_use_failure')) {
        const span = spansOf(doc, 'tool').find((s) => s.attributes['gen_ai.tool.call.id'] === f.tool_use_id)!;
        expect(span.status).toBe('error');
        expect(span.statusMessage).toBe(f.error);
      }
      expect(spansOf(doc, 'turn')).toHaveLength(of('user_prompt_submit').length);
      const agents = new Set([...of('subagent_start'), ...of('subagent_stop')].map((p) => p.agent_id as string));
      expect(spansOf(doc, 'subagent').map((s) => s.attributes['gen_ai.agent.id']).sort()).toEqual([...agents].sort());
      expect(doc.agent.name).toBe('claude-code');
      expect(doc.status).toBe(of('session_end').length ? 'completed' : 'running');
      const marks = doc.spans.flatMap((s) => s.events ?? []);
      expect(marks.filter((e) => e.name === 'notification')).toHaveLength(of('notification').length);
      expect(marks.filter((e) => e.name === 'permission_request')).toHaveLength(of('permission_request').length);
    }
  }, 240_000);

  it('merges the hooks and the transcript of session 7da73774: each tool call and each model call once', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const sessionId = '7da73774-862d-4897-94a7-ef847ce65033';
    // The payloads name the recording machine's transcript: point them at a copy of chat.json as JSONL.
    const transcript = join(tempDir(), `${sessionId}.jsonl`);
    const lines = readLines(join(claudeFixtures, 'hooks', 'chat.json'));
    writeFileSync(transcript, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const payloads = loadPayloads();
    const of = (name: string): Payload[] => payloads.get(name)!.filter((p) => p.session_id === sessionId).map((p) => ({ ...p, transcript_path: transcript }));

    const run = async (list: Payload[], parallel = 1) => {
      for (const r of await replay(list, dir, env, parallel)) {
        expect(r.code).toBe(0);
        expect(r.stdout + r.stderr).toBe('');
      }
    };
    const [prompt1, prompt2] = of('user_prompt_submit');
    const [stop1, stop2] = of('stop');
    await run(of('session_start'));
    await run([prompt1!]);
    await run(of('pre_tool_use'), 8);
    await run(of('subagent_start'));
    await run([...of('permission_request'), ...of('notification')]);
    await run([...of('post_tool_use'), ...of('post_tool_use_failure')], 8);
    await run(of('subagent_stop'));
    await run([stop1!, prompt2!, stop2!]);
    await run(of('session_end'));

    const doc = await traceOf(sessionId, dir, env);
    const expected = countTranscript(lines);
    // Model calls: only the transcript knows them; each API response once, with its last line's usage.
    expect(doc.summary.generations).toBe(expected.generations);
    expect(new Set(spansOf(doc, 'generation').map((s) => s.attributes['gen_ai.response.id'])).size).toBe(expected.generations);
    expect(doc.summary.tokens).toEqual({ ...expected.tokens, reasoning: 0 });
    // Tool calls: the hooks' and the transcript's, each id once.
    const transcriptTools = new Set<string>();
    for (const l of lines) {
      const content = (l.message as { content?: unknown } | undefined)?.content;
      if (l.type === 'assistant' && Array.isArray(content)) for (const b of content as Payload[]) if (b.type === 'tool_use') transcriptTools.add(b.id as string);
    }
    const hookTools = new Set([...of('pre_tool_use'), ...of('post_tool_use'), ...of('post_tool_use_failure')].map((p) => p.tool_use_id as string));
    const ids = toolIdsOf(doc);
    expect(ids).toHaveLength(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set([...transcriptTools, ...hookTools]));
    // Prompts: the two the hooks saw are the transcript's (one span each), plus the queued one only the transcript has.
    const turns = spansOf(doc, 'turn');
    expect(turns.map((t) => String(t.input).slice(0, 20))).toEqual(['lets use an agent te', 'i have an idea! coul', 'how can we verify th']);
    // Subagents: one span per agent id; those the transcript launched sit under their Task call.
    const agents = new Set([...of('subagent_start'), ...of('subagent_stop')].map((p) => p.agent_id as string));
    const subagents = spansOf(doc, 'subagent');
    expect(subagents.map((s) => s.attributes['gen_ai.agent.id']).sort()).toEqual([...agents].sort());
    for (const id of ['af5915960273c8851', 'a59e84c40dbe09dd4', 'a7f7074a6963e4174']) {
      const s = subagents.find((x) => x.attributes['gen_ai.agent.id'] === id)!;
      const parent = doc.spans.find((p) => p.spanId === s.parentSpanId)!;
      expect(parent.name).toBe('execute_tool Task');
    }
    expect(doc.status).toBe('completed');
    expect(doc.spans.filter((s) => s.endTime === undefined)).toEqual([]);

    // The same transcript imported alone gives the same model-call spans (same ids).
    const { home: h2, dir: d2 } = freshDataDir();
    const imp = await cli(['import', transcript, '--json', '--dir', d2], { env: isolatedEnv(h2) });
    expect(imp.code, imp.stderr).toBe(0);
    const imported = await traceOf(sessionId, d2, isolatedEnv(h2));
    const idsOf = (d: TraceDocument, kind: 'generation' | 'turn' | 'compaction') => spansOf(d, kind).map((s) => s.spanId).sort();
    expect(idsOf(imported, 'generation')).toEqual(idsOf(doc, 'generation'));
    expect(idsOf(imported, 'turn')).toEqual(idsOf(doc, 'turn'));
    expect(imported.traceId).toBe(doc.traceId);
    for (const id of transcriptTools) expect(toolIdsOf(imported)).toContain(id);
  }, 240_000);
});
