import { expect } from 'vitest';
import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import type { AnsweredCall } from './model-servers/scripted.js';
import { cli } from './env.js';

/**
 * Checks a trace against what the scripted server answered: one `chat` span per answered request, in order,
 * with that reply's tokens split the provider's way; one tool span per tool call the replies asked for, with
 * its id and name; the failures named in `failed` (call id → error.type) and no other; the person's prompt.
 */
export function expectTraceMatchesLog(
  doc: TraceDocument,
  log: AnsweredCall[],
  expected: {
    prompt: string;
    failed: Record<string, string>;
    responseIds?: boolean;
    outputIncludesReasoning?: boolean;
    toolName?: (name: string) => string;
    /** How a span is known to be a scripted call when the agent makes its own call ids: by its input. */
    matchBy?: 'id' | 'input';
  },
): void {
  const generations = doc.spans.filter((s) => s.kind === 'generation').sort((a, b) => a.startTime - b.startTime);
  expect(generations.length).toBe(log.length);
  log.forEach((call, i) => {
    const g = generations[i]!;
    const u = call.reply.usage;
    expect(g.attributes['gen_ai.usage.input_tokens'], `input of call ${i + 1}`).toBe(u.input);
    expect(g.attributes['gen_ai.usage.cache_read.input_tokens'] ?? 0, `cache read of call ${i + 1}`).toBe(u.cached);
    const output = expected.outputIncludesReasoning === false ? u.output + (u.reasoning ?? 0) : u.output;
    expect(g.attributes['gen_ai.usage.output_tokens'], `output of call ${i + 1}`).toBe(output);
    if (u.reasoning) expect(g.attributes['gen_ai.usage.reasoning.output_tokens'], `reasoning of call ${i + 1}`).toBe(u.reasoning);
    if (expected.responseIds) expect(g.attributes['gen_ai.response.id']).toBe(call.responseId);
  });
  const tokens = log.reduce(
    (t, c) => ({ input: t.input + c.reply.usage.input - c.reply.usage.cached, cacheRead: t.cacheRead + c.reply.usage.cached }),
    { input: 0, cacheRead: 0 },
  );
  expect(doc.summary.tokens.input).toBe(tokens.input);
  expect(doc.summary.tokens.cacheRead).toBe(tokens.cacheRead);
  expect(doc.summary.generations).toBe(log.length);

  const asked = log.flatMap((c) => c.reply.tools ?? []);
  const tools = doc.spans.filter((s) => s.kind === 'tool');
  const byId = new Map<string, TraceSpan>();
  if (expected.matchBy === 'input') {
    expect(tools).toHaveLength(asked.length);
    for (const t of asked) {
      const span = tools.find((s) => JSON.stringify(s.input) === JSON.stringify(t.args));
      expect(span, `a tool span with the input of ${t.id}`).toBeDefined();
      byId.set(t.id, span!);
    }
  } else {
    for (const s of tools) byId.set(String(s.attributes['gen_ai.tool.call.id']), s);
    expect([...byId.keys()].sort()).toEqual(asked.map((t) => t.id).sort());
  }
  for (const t of asked) {
    const span = byId.get(t.id)!;
    expect(span.attributes['gen_ai.tool.name'], `name of ${t.id}`).toBe(expected.toolName ? expected.toolName(t.name) : t.name);
    const failure = expected.failed[t.id];
    if (failure) {
      expect(span.status, `${t.id} failed`).toBe('error');
      expect(span.attributes['error.type'], `error.type of ${t.id}`).toBe(failure);
    } else expect(span.status, `${t.id} ok`).toBe('ok');
    expect(span.endTime, `${t.id} ended`).toBeDefined();
  }
  expect(doc.summary.toolCalls).toBe(asked.length);
  expect(doc.summary.toolErrors).toBe(Object.keys(expected.failed).length);

  const turns = doc.spans.filter((s) => s.kind === 'turn');
  expect(turns.map((t) => t.input)).toEqual([expected.prompt]);
  expect(turns.every((t) => t.endTime !== undefined && t.status === 'ok')).toBe(true);
  // No model call outlives its tools' start: a chat span ends when its response ended.
  for (const g of generations) expect(g.endTime).toBeDefined();
}

/** The spans of a trace as comparable rows: ids, names, kinds, parents, status. */
export function spanRows(doc: TraceDocument): string[] {
  return doc.spans.map((s) => `${s.spanId} ${s.parentSpanId ?? '-'} ${s.kind} ${s.name} ${s.status}`).sort();
}

/** `agent-trace install --agent AGENT --dir DIR` as a user runs it, in the agent's temporary HOME. */
export async function installFor(agent: string, dir: string, env: NodeJS.ProcessEnv, agentBinPath: string): Promise<string> {
  const { cli } = await import('./env.js');
  const { dirname } = await import('node:path');
  const r = await cli(['--dir', dir, 'install', '--agent', agent], { env: { ...env, PATH: `${dirname(agentBinPath)}:${env.PATH ?? ''}` } });
  if (r.code !== 0) throw new Error(`install --agent ${agent} failed: ${r.stderr}`);
  return r.stdout;
}

/** The trace document of the one session in `dir`, as a user gets it: `list --json`, then `show --json` (both reconcile first). */
export async function showOnlySession(dir: string): Promise<TraceDocument> {
  const list = await cli(['--dir', dir, 'list', '--json']);
  const sessions = JSON.parse(list.stdout) as { sessionId: string }[];
  expect(sessions, list.stderr).toHaveLength(1);
  const shown = await cli(['--dir', dir, 'show', '--json', sessions[0]!.sessionId]);
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout) as TraceDocument;
}
