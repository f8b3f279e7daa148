import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentAttributes } from '../src/model/attributes.js';
import type { TraceDocument, TraceSpan } from '../src/model/trace.js';
import { claudeFixtures, freshDataDir, haveClaudeFixtures, isolatedEnv } from './helpers/claude-code.js';
import { cli } from './helpers/env.js';
import { useOtlpReceiver, type ReceivedSpan } from './helpers/otlp-receiver.js';

/**
 * Model calls reach a collector as conversations: real Claude Code transcripts are imported and exported by
 * the CLI over OTLP/protobuf to a receiver that decodes the bytes, and the message attributes it got are
 * checked against the OpenTelemetry GenAI input/output message schemas and the OpenInference flattening.
 */

// ——— the GenAI message schemas (semantic-conventions gen-ai-input-messages.json / gen-ai-output-messages.json),
// reduced to what they require of each part, and a small checker for them ———

type Schema =
  | { type: 'string' | 'object' | 'array'; const?: string; enum?: string[]; required?: string[]; properties?: Record<string, Schema>; items?: Schema }
  | { anyOf: Schema[] };

const str: Schema = { type: 'string' };
const part = (type: string, required: string[], properties: Record<string, Schema> = {}): Schema => ({
  type: 'object',
  required: ['type', ...required],
  properties: { type: { type: 'string', const: type }, ...properties },
});
const PARTS: Schema = {
  anyOf: [
    part('text', ['content'], { content: str }),
    part('reasoning', ['content'], { content: str }),
    part('tool_call', ['name'], { id: str, name: str }),
    part('tool_call_response', ['response'], { id: str }),
    part('uri', ['modality', 'uri'], { uri: str, modality: str }),
    part('blob', ['modality', 'content'], { content: str, modality: str }),
  ],
};
const ROLE: Schema = { type: 'string', enum: ['system', 'user', 'assistant', 'tool'] };
const INPUT_MESSAGES: Schema = {
  type: 'array',
  items: { type: 'object', required: ['role', 'parts'], properties: { role: ROLE, parts: { type: 'array', items: PARTS } } },
};
const OUTPUT_MESSAGES: Schema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['role', 'parts', 'finish_reason'],
    properties: { role: ROLE, parts: { type: 'array', items: PARTS }, finish_reason: { type: 'string', enum: ['stop', 'length', 'content_filter', 'tool_call', 'error'] } },
  },
};

/** The schema violations of a value (empty when it conforms). */
function violations(value: unknown, schema: Schema, path = '$'): string[] {
  if ('anyOf' in schema) return schema.anyOf.some((s) => violations(value, s, path).length === 0) ? [] : [`${path}: matches none of the allowed shapes: ${JSON.stringify(value).slice(0, 120)}`];
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (kind !== schema.type) return [`${path}: ${kind}, expected ${schema.type}`];
  if (schema.const !== undefined && value !== schema.const) return [`${path}: ${String(value)}, expected ${schema.const}`];
  if (schema.enum && !schema.enum.includes(value as string)) return [`${path}: ${String(value)} is not one of ${schema.enum.join(', ')}`];
  const out: string[] = [];
  if (schema.type === 'array' && schema.items) (value as unknown[]).forEach((v, i) => out.push(...violations(v, schema.items!, `${path}[${i}]`)));
  if (schema.type === 'object') {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o) || o[r] === undefined) out.push(`${path}.${r}: required`);
    for (const [k, s] of Object.entries(schema.properties ?? {})) if (k in o && o[k] !== null) out.push(...violations(o[k], s, `${path}.${k}`));
  }
  return out;
}

const receiver = useOtlpReceiver();

describe('interrupts as attributes', () => {
  it('an interrupted turn says so in attributes as well as in its events (Langfuse keeps no events)', () => {
    const a = contentAttributes({ kind: 'turn', input: 'go', events: [{ name: 'interrupt', time: 1, attributes: { message: '[Request interrupted by user]' } }] });
    expect(a).toMatchObject({ 'agent_trace.interrupts': 1, 'agent_trace.interrupt.message': '[Request interrupted by user]', 'input.value': 'go' });
  });
});

describe('the schema check itself', () => {
  it('rejects what the conventions do not allow', () => {
    expect(violations([{ role: 'assistant', parts: [{ type: 'text', content: 'hi' }], finish_reason: 'stop' }], OUTPUT_MESSAGES)).toEqual([]);
    expect(violations([{ role: 'assistant', parts: [{ type: 'text', content: 'hi' }] }], OUTPUT_MESSAGES)).toEqual(['$[0].finish_reason: required']);
    expect(violations([{ role: 'user', parts: [{ type: 'tool_call_response', id: 'x' }] }], INPUT_MESSAGES)).toHaveLength(1);
    expect(violations([{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], INPUT_MESSAGES)).toHaveLength(1);
    expect(violations({ toolCalls: [] }, INPUT_MESSAGES)).toEqual(['$: object, expected array']);
  });
});

async function importAndExport(transcript: string): Promise<{ doc: TraceDocument; got: Map<string, ReceivedSpan> }> {
  const { home, dir } = freshDataDir();
  const env = isolatedEnv(home);
  const imported = await cli(['import', transcript, '--json', '--dir', dir], { env });
  expect(imported.code).toBe(0);
  const [{ traceFile, sessionId }] = JSON.parse(imported.stdout) as [{ traceFile: string; sessionId: string }];
  const exported = await cli(['export', sessionId, '--dir', dir, '--endpoint', receiver.baseUrl], { env });
  expect(exported.stderr).toBe('');
  expect(exported.code).toBe(0);
  const doc = JSON.parse(readFileSync(traceFile, 'utf8')) as TraceDocument;
  return { doc, got: new Map(receiver.spans.map((s) => [s.spanId, s])) };
}

const toolByCall = (doc: TraceDocument) => new Map(doc.spans.filter((s) => s.kind === 'tool').map((s) => [s.attributes['gen_ai.tool.call.id'] as string, s]));
const messages = (span: ReceivedSpan, key: string) => JSON.parse(String(span.attributes[key])) as Array<{ role: string; parts: Array<Record<string, unknown>>; finish_reason?: string }>;

describe.skipIf(!haveClaudeFixtures)('model calls as conversations, as a collector receives them (real transcripts, OTLP/protobuf)', () => {
  it('every model call carries schema-valid GenAI messages and the OpenInference messages; tool calls and results line up', async () => {
    const { doc, got } = await importAndExport(join(claudeFixtures, 'transcripts', 'tool_heavy.jsonl'));
    expect(receiver.requests.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
    const tools = toolByCall(doc);
    const gens = doc.spans.filter((s) => s.kind === 'generation');
    expect(gens.length).toBeGreaterThan(1);
    let sawToolResults = 0;
    let sawToolCalls = 0;
    for (const g of gens) {
      const span = got.get(g.spanId)!;
      const a = span.attributes;
      // No home-made blob that Langfuse would show instead of the conversation.
      expect(a['output.value']).toBeUndefined();
      expect(a['input.value']).toBeUndefined();
      const input = messages(span, 'gen_ai.input.messages');
      const output = messages(span, 'gen_ai.output.messages');
      expect(violations(input, INPUT_MESSAGES)).toEqual([]);
      expect(violations(output, OUTPUT_MESSAGES)).toEqual([]);
      expect(a['gen_ai.response.finish_reasons']).toHaveLength(1);
      // OpenInference: the same messages, flattened.
      expect(a['llm.output_messages.0.message.role']).toBe('assistant');
      expect(a['llm.input_messages.0.message.role']).toBe(input[0]!.role);
      for (const p of output[0]!.parts.filter((p) => p.type === 'tool_call')) {
        sawToolCalls++;
        const tool = tools.get(p.id as string)!;
        expect(p.arguments).toEqual(tool.input);
        const j = output[0]!.parts.filter((q) => q.type === 'tool_call').indexOf(p);
        expect(a[`llm.output_messages.0.message.tool_calls.${j}.tool_call.function.name`]).toBe(p.name);
        expect(JSON.parse(String(a[`llm.output_messages.0.message.tool_calls.${j}.tool_call.function.arguments`]))).toEqual(tool.input);
      }
      for (const m of input.filter((m) => m.role === 'tool')) {
        for (const p of m.parts) {
          sawToolResults++;
          const tool = tools.get(p.id as string)!;
          expect(String(p.response)).toContain(tool.status === 'error' ? tool.statusMessage!.slice(0, 40) : String(tool.output).slice(0, 40));
        }
      }
    }
    expect(sawToolCalls).toBeGreaterThan(0);
    expect(sawToolResults).toBeGreaterThan(0);
    // The first call of the turn received the prompt.
    const first = got.get(gens[0]!.spanId)!;
    const turn = doc.spans.find((s) => s.kind === 'turn')!;
    expect(messages(first, 'gen_ai.input.messages')[0]).toEqual({ role: 'user', parts: [{ type: 'text', content: turn.input }] });
  });

  it('tools send a result only when they finished; session and turns carry the final text; the trace is named by the title', async () => {
    const { doc, got } = await importAndExport(join(claudeFixtures, 'transcripts', 'short.jsonl'));
    // short.jsonl: two parallel calls the person rejected: interrupted, so no result goes out for them.
    const rejected = doc.spans.filter((s) => s.kind === 'tool' && s.attributes['agent_trace.interrupted'] === true);
    expect(rejected.length).toBe(2);
    for (const r of rejected) expect(got.get(r.spanId)!.attributes['gen_ai.tool.call.result']).toBeUndefined();
    const root = doc.spans.find((s) => s.kind === 'session')!;
    const lastText = lastAssistantText(doc);
    expect(lastText).toBeTruthy();
    expect(got.get(root.spanId)!.attributes).toMatchObject({ 'langfuse.trace.name': doc.title, 'output.value': lastText });
    const turns = doc.spans.filter((s) => s.kind === 'turn');
    expect(got.get(turns.at(-1)!.spanId)!.attributes['output.value']).toBe(lastText);
  });

  it('subagents carry provider and version; failed tools send their error; finish reasons are inferred where the transcript wrote none', async () => {
    const { doc, got } = await importAndExport(join(claudeFixtures, 'transcripts', 'subagent.jsonl'));
    const subs = doc.spans.filter((s) => s.kind === 'subagent');
    expect(subs.length).toBeGreaterThan(0);
    // subagent.jsonl has tools that failed: their error goes out, not a result.
    const failed = doc.spans.filter((s) => s.kind === 'tool' && s.status === 'error');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      const a = got.get(f.spanId)!.attributes;
      expect(a['gen_ai.tool.call.result']).toBeUndefined();
      expect(a['error.message']).toBe(f.statusMessage);
    }
    const succeeded = doc.spans.find((s) => s.kind === 'tool' && s.status === 'ok' && s.output !== undefined)!;
    expect(got.get(succeeded.spanId)!.attributes['gen_ai.tool.call.result']).toBeDefined();
    for (const s of subs) expect(got.get(s.spanId)!.attributes).toMatchObject({ 'gen_ai.provider.name': 'anthropic', 'gen_ai.agent.version': doc.agent.version });
    const gens = doc.spans.filter((s) => s.kind === 'generation' && s.endTime !== undefined && s.status === 'ok');
    for (const g of gens) {
      const a = got.get(g.spanId)!.attributes;
      const calledTools = Boolean((g.output as { toolCalls?: unknown[] } | undefined)?.toolCalls?.length);
      if (a['agent_trace.finish_reasons.inferred']) expect(a['gen_ai.response.finish_reasons']).toEqual([calledTools ? 'tool_use' : 'end_turn']);
      expect(a['gen_ai.response.finish_reasons']).toBeDefined();
    }
    expect(gens.some((g) => got.get(g.spanId)!.attributes['agent_trace.finish_reasons.inferred'] === true)).toBe(true);
  });
});

function lastAssistantText(doc: TraceDocument): string | undefined {
  const main = doc.spans.filter((s: TraceSpan) => s.kind === 'generation' && doc.spans.find((p) => p.spanId === s.parentSpanId)?.kind === 'turn');
  for (let i = main.length - 1; i >= 0; i--) {
    const text = (main[i]!.output as { text?: string } | undefined)?.text;
    if (text?.trim()) return text;
  }
  return undefined;
}
