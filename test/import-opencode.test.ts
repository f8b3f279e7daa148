import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithFixtures, fixtureFiles, fixturesDir } from './helpers/fixtures.js';
import { opencodeImporter, opencodeUsage, readOpencodeEvents, readOpencodeExport } from '../src/adapters/opencode/import.js';
import type { ImportedSession } from '../src/adapters/types.js';
import { validateEvent } from '../src/events/validate.js';
import { buildTrace } from '../src/model/trace-builder.js';
import type { TraceDocument, TraceSpan } from '../src/model/trace.js';

const fixtures = fixturesDir;

const tmp = mkdtempSync(path.join(tmpdir(), 'agent-trace-opencode-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = path.join(tmp, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

function docs(sessions: ImportedSession[]): TraceDocument[] {
  return sessions.map((s) => {
    for (const e of s.events) validateEvent(e);
    return buildTrace(s.sessionId, s.events).toDocument();
  });
}

function docOf(file: string): TraceDocument {
  const out = docs(opencodeImporter.read(file));
  expect(out).toHaveLength(1);
  return out[0]!;
}

const head = (file: string, bytes = 4096) => readFileSync(file).subarray(0, bytes).toString('utf8');
const prompts = (doc: TraceDocument) => doc.spans.filter((s) => s.kind === 'turn').map((s) => s.input);
const byCallId = (doc: TraceDocument, id: string) => doc.spans.find((s) => s.kind === 'tool' && s.attributes['gen_ai.tool.call.id'] === id)!;

type Msg = { info: Record<string, any>; parts: Array<Record<string, any>> };

/** Final state of every message of an event stream: the last part.updated per part id wins, deltas appended. */
function messagesFromEvents(text: string): Msg[] {
  const infos = new Map<string, Record<string, any>>();
  const parts = new Map<string, Map<string, Record<string, any>>>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const { event } = JSON.parse(line);
    const p = event.properties;
    if (event.type === 'message.updated') infos.set(p.info.id, p.info);
    if (event.type === 'message.part.updated') {
      if (!parts.has(p.part.messageID)) parts.set(p.part.messageID, new Map());
      parts.get(p.part.messageID)!.set(p.part.id, p.part);
    }
  }
  return [...infos.values()].map((info) => ({ info, parts: [...(parts.get(info.id)?.values() ?? [])] }));
}

/** Independent count: a model call per step-finish (or per finished message without steps), tools by status. */
function rawOpencodeFacts(messages: Msg[]) {
  const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
  let generations = 0;
  let tools = 0;
  let errors = 0;
  let subagents = 0;
  const userPrompts: string[] = [];
  const add = (t: any, provider: string) => {
    const separate = t.total !== undefined ? t.total === t.input + t.output + t.reasoning + t.cache.read + t.cache.write && t.reasoning > 0 : /google|gemini/.test(provider);
    tokens.input += t.input;
    tokens.output += t.output + (separate ? t.reasoning : 0);
    tokens.reasoning += t.reasoning;
    tokens.cacheRead += t.cache.read;
    tokens.cacheWrite += t.cache.write;
  };
  for (const m of messages) {
    if (m.info.role === 'user') {
      const text = m.parts.filter((p) => p.type === 'text' && !p.synthetic).map((p) => p.text).join('\n').trim();
      if (text) userPrompts.push(text);
      continue;
    }
    const finishes = m.parts.filter((p) => p.type === 'step-finish');
    generations += Math.max(1, finishes.length);
    for (const f of finishes) add(f.tokens, m.info.providerID);
    for (const p of m.parts.filter((p) => p.type === 'tool')) {
      tools++;
      if (p.state.status === 'error') errors++;
      if (p.tool === 'task' && p.state.metadata?.sessionId) subagents++;
    }
  }
  return { generations, tokens, tools, errors, subagents, userPrompts };
}

describeWithFixtures(['opencode'], 'opencode: real export and event-stream fixtures', () => {
  const exportsDir = path.join(fixtures, 'opencode/exports');
  const eventsDir = path.join(fixtures, 'opencode/events');
  // Listed at collection, so absent folders must give empty lists rather than throw.
  const exportFiles = fixtureFiles('opencode/exports');
  const eventFiles = fixtureFiles('opencode/events');

  it.each(exportFiles)('export %s: generations, tools, errors, tokens and prompts match the raw file', (file) => {
    const raw = rawOpencodeFacts(JSON.parse(readFileSync(file, 'utf8')).messages);
    const doc = docOf(file);
    expect(doc.summary.generations).toBe(raw.generations);
    expect(doc.summary.toolCalls).toBe(raw.tools);
    expect(doc.summary.toolErrors).toBe(raw.errors);
    expect(doc.summary.tokens).toEqual({ ...raw.tokens, cacheWrite5m: raw.tokens.cacheWrite, cacheWrite1h: 0 });
    expect(doc.summary.subagents).toBe(raw.subagents);
    expect(prompts(doc)).toEqual(raw.userPrompts);
    expect(doc.agent.name).toBe('opencode');
  });

  it.each(eventFiles)('event stream %s: final part states, counted once, match the raw file', (file) => {
    const raw = rawOpencodeFacts(messagesFromEvents(readFileSync(file, 'utf8')));
    const doc = docOf(file);
    expect(doc.summary.generations).toBe(raw.generations);
    expect(doc.summary.toolCalls).toBe(raw.tools);
    expect(doc.summary.toolErrors).toBe(raw.errors);
    expect(doc.summary.tokens).toEqual({ ...raw.tokens, cacheWrite5m: raw.tokens.cacheWrite, cacheWrite1h: 0 });
    expect(doc.summary.subagents).toBe(raw.subagents);
    expect(prompts(doc)).toEqual(raw.userPrompts);
    // synthetic parts added by the plugin are not the person's words
    expect(JSON.stringify(prompts(doc))).not.toContain('discord-user');
    expect(JSON.stringify(prompts(doc))).not.toContain('[Current branch');
  });

  it('nests the task subagent of the export under the tool that ran it', () => {
    const doc = docOf(path.join(exportsDir, 'all-tools.json'));
    const task = doc.spans.find((s) => s.kind === 'tool' && s.name === 'execute_tool task')!;
    const sub = doc.spans.filter((s) => s.kind === 'subagent');
    expect(sub).toHaveLength(1);
    expect(sub[0]!.parentSpanId).toBe(task.spanId);
    expect(sub[0]!.name).toBe('invoke_agent explore');
    expect(sub[0]!.attributes['gen_ai.agent.id']).toBe('ses_4133f9119ffeHydORAuKxtmR3h'); // the child session
    expect(sub[0]!.input).toContain('package.json');
    const failed = doc.spans.find((s) => s.kind === 'tool' && s.status === 'error')!;
    expect(failed.name).toBe('execute_tool execute');
    expect(failed.statusMessage).toContain('def.execute is not a function');
  });

  it('nests the three parallel task subagents of the event stream under their tools', () => {
    const doc = docOf(path.join(eventsDir, 'real-session-task-three-parallel-sleeps.jsonl'));
    const tasks = doc.spans.filter((s) => s.kind === 'tool' && s.name === 'execute_tool task');
    const subs = doc.spans.filter((s) => s.kind === 'subagent');
    expect(tasks).toHaveLength(3);
    expect(subs).toHaveLength(3);
    expect(new Set(subs.map((s) => s.parentSpanId))).toEqual(new Set(tasks.map((t) => t.spanId)));
    for (const s of subs) expect(s.endTime).toBeDefined();
    const gen = doc.spans.find((s) => s.kind === 'generation' && (s.output as { thinking?: string })?.thinking);
    expect((gen!.output as { thinking: string }).thinking).toContain('Orchestrating parallel tasks');
  });

  it('records the permission asked and answered on the tool, and leaves the unfinished call open', () => {
    const doc = docOf(path.join(eventsDir, 'real-session-permission-external-file.jsonl'));
    const tool = byCallId(doc, 'uifaJHtaRefZUrWe');
    const names = (tool.events ?? []).map((e) => e.name);
    expect(names).toContain('permission_request');
    expect(names).toContain('notification');
    expect(JSON.stringify(tool.events)).toContain('external_directory');
    expect(tool.endTime).toBeUndefined();
    expect(doc.spans.find((s) => s.kind === 'generation')!.endTime).toBeUndefined();
  });

  it('reads Google usage with reasoning reported apart from output', () => {
    const doc = docOf(path.join(eventsDir, 'real-session-action-buttons.jsonl'));
    expect(doc.summary.tokens).toEqual({ input: 39043 + 39366, output: 28 + 105 + 6, cacheRead: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 105 });
  });

  it('is deterministic for every fixture', () => {
    for (const file of [...exportFiles, ...eventFiles]) {
      const a = opencodeImporter.read(file);
      const b = opencodeImporter.read(file);
      const ta = buildTrace(a[0]!.sessionId, a[0]!.events);
      const tb = buildTrace(b[0]!.sessionId, b[0]!.events);
      expect(ta.serialize(), file).toBe(tb.serialize());
      expect(ta.toDocument().spans.map((s) => s.spanId)).toEqual(tb.toDocument().spans.map((s) => s.spanId));
    }
  });

  it('detects exports and event streams, and nothing else', () => {
    for (const f of [...exportFiles, ...eventFiles]) {
      expect(opencodeImporter.detect(f, head(f)), f).toBe(true);
      expect(opencodeImporter.detect(f, head(f, 400)), f).toBe(true);
    }
    const others = [
      ...readdirSync(path.join(fixtures, 'claude-code/transcripts')).map((f) => path.join(fixtures, 'claude-code/transcripts', f)),
      ...readdirSync(path.join(fixtures, 'claude-code/hooks')).map((f) => path.join(fixtures, 'claude-code/hooks', f)),
      path.join(fixtures, 'codex/agentlogs-crud.jsonl'),
      path.join(fixtures, 'gemini/test_conversation_gemini.json'),
    ];
    for (const f of others) expect(opencodeImporter.detect(f, head(f)), f).toBe(false);
  });

  it('survives truncation, garbage lines and missing fields', () => {
    const exportText = readFileSync(path.join(exportsDir, 'all-tools.json'), 'utf8');
    const full = docOf(path.join(exportsDir, 'all-tools.json'));
    const cut = docOf(write('cut/all-tools.json', exportText.slice(0, Math.floor(exportText.length * 0.5))));
    expect(cut.summary.generations).toBeGreaterThan(0);
    expect(cut.summary.generations).toBeLessThan(full.summary.generations);

    const streamFile = path.join(eventsDir, 'real-session-task-three-parallel-sleeps.jsonl');
    const stream = readFileSync(streamFile, 'utf8').split('\n');
    const fullStream = docOf(streamFile);
    stream.splice(10, 0, 'garbage ]]', '{"event": 12}', '{"event": {"type": "message.part.updated", "properties": {}}}');
    expect(docOf(write('garbage/events.jsonl', stream.join('\n'))).summary).toEqual(fullStream.summary);
    const truncated = readFileSync(streamFile, 'utf8');
    const partial = docOf(write('truncated/events.jsonl', truncated.slice(0, Math.floor(truncated.length * 0.7))));
    expect(partial.summary.toolCalls).toBe(3);

    const doc = JSON.parse(exportText);
    delete doc.info.time;
    delete doc.info.directory;
    for (const m of doc.messages) {
      delete m.info.time;
      delete m.info.tokens;
      delete m.info.modelID;
      for (const p of m.parts) {
        delete p.tokens;
        delete p.callID;
        if (p.state) {
          delete p.state.time;
          delete p.state.metadata;
        }
      }
    }
    const stripped = docOf(write('stripped/export.json', doc));
    expect(stripped.summary.toolCalls).toBe(full.summary.toolCalls);
    expect(stripped.summary.generations).toBe(full.summary.generations);
  });
});

// ——— sessions written by the test ———

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const tokens = (input: number, output: number, reasoning = 0, read = 0) => ({ input, output, reasoning, cache: { read, write: 0 } });

function exportDoc(id: string, messages: Msg[], extra: Record<string, unknown> = {}) {
  return { info: { id, version: '1.1.40', projectID: 'p', directory: '/w', title: 'Child session - 2026-03-01T12:00:00.000Z', time: { created: T0, updated: T0 }, ...extra }, messages };
}

function user(id: string, sessionID: string, t: number, text: string): Msg {
  return { info: { id, sessionID, role: 'user', time: { created: t } }, parts: [{ id: `${id}-p1`, sessionID, messageID: id, type: 'text', text }] };
}

function assistant(id: string, sessionID: string, parentID: string, t0: number, t1: number, parts: Array<Record<string, any>>, finish = 'stop'): Msg {
  return {
    info: { id, sessionID, role: 'assistant', parentID, time: { created: t0, completed: t1 }, modelID: 'claude-sonnet-4-5', providerID: 'anthropic', agent: 'build', tokens: tokens(10, 5), finish },
    parts: parts.map((p, i) => ({ id: `${id}-p${i + 1}`, sessionID, messageID: id, ...p })),
  };
}

describe('opencode: sessions written by the test', () => {
  it('nests a child export found beside the parent, and does not import the child twice', () => {
    const parent = exportDoc('ses_parent', [
      user('msg_a1', 'ses_parent', T0 + 1, 'review the code'),
      assistant('msg_a2', 'ses_parent', 'msg_a1', T0 + 2, T0 + 50, [
        { type: 'step-start' },
        { type: 'tool', callID: 'call_task', tool: 'task', state: { status: 'completed', input: { subagent_type: 'reviewer', prompt: 'look at a.ts', description: 'review' }, output: 'LGTM', metadata: { sessionId: 'ses_child' }, time: { start: T0 + 5, end: T0 + 40 } } },
        { type: 'step-finish', reason: 'tool-calls', tokens: tokens(100, 20, 0, 50) },
      ], 'tool-calls'),
      assistant('msg_a3', 'ses_parent', 'msg_a1', T0 + 51, T0 + 60, [{ type: 'step-start' }, { type: 'text', text: 'All good.' }, { type: 'step-finish', reason: 'stop', tokens: tokens(30, 4) }]),
    ], { title: 'Review' });
    const child = exportDoc('ses_child', [
      user('msg_c1', 'ses_child', T0 + 6, 'look at a.ts'),
      assistant('msg_c2', 'ses_child', 'msg_c1', T0 + 7, T0 + 30, [
        { type: 'step-start' },
        { type: 'tool', callID: 'call_read', tool: 'read', state: { status: 'completed', input: { filePath: '/w/a.ts' }, output: 'x', time: { start: T0 + 10, end: T0 + 11 } } },
        { type: 'step-finish', reason: 'tool-calls', tokens: tokens(40, 6) },
        { type: 'step-start' },
        { type: 'text', text: 'LGTM' },
        { type: 'step-finish', reason: 'stop', tokens: tokens(45, 2) },
      ]),
    ], { parentID: 'ses_parent' });
    const parentFile = write('pair/parent.json', parent);
    const childFile = write('pair/child.json', child);

    const doc = docOf(parentFile);
    expect(doc.title).toBe('Review');
    expect(prompts(doc)).toEqual(['review the code']);
    expect(doc.summary.generations).toBe(4);
    expect(doc.summary.toolCalls).toBe(2);
    const task = byCallId(doc, 'call_task');
    const sub = doc.spans.find((s) => s.kind === 'subagent')!;
    expect(sub.parentSpanId).toBe(task.spanId);
    expect(sub.name).toBe('invoke_agent reviewer');
    expect(sub.output).toBe('LGTM');
    const read = byCallId(doc, 'call_read');
    expect(read.parentSpanId).toBe(sub.spanId);
    const childGens = doc.spans.filter((s: TraceSpan) => s.kind === 'generation' && s.parentSpanId === sub.spanId);
    expect(childGens).toHaveLength(2);
    expect(doc.summary.tokens).toEqual({ input: 100 + 30 + 40 + 45, output: 20 + 4 + 6 + 2, cacheRead: 50, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });

    expect(opencodeImporter.read(childFile)).toEqual([]); // imported with its parent
    const alone = write('alone/child.json', child);
    expect(docOf(alone).sessionId).toBe('ses_child');
  });

  it('reads an event stream holding a parent and its child session: one trace, child nested', () => {
    const ev = (t: number, type: string, properties: unknown) => JSON.stringify({ timestamp: t, threadId: '1', event: { type, properties } });
    const lines = [
      ev(T0, 'session.created', { info: { id: 'ses_p', version: '1.2.20', directory: '/w', title: 'go', time: { created: T0 } } }),
      ev(T0 + 1, 'message.updated', { info: { id: 'msg_1', sessionID: 'ses_p', role: 'user', time: { created: T0 + 1 } } }),
      ev(T0 + 1, 'message.part.updated', { part: { id: 'prt_1', sessionID: 'ses_p', messageID: 'msg_1', type: 'text', text: 'go' } }),
      ev(T0 + 2, 'message.updated', { info: { id: 'msg_2', sessionID: 'ses_p', role: 'assistant', parentID: 'msg_1', time: { created: T0 + 2 }, modelID: 'gpt-5', providerID: 'openai', tokens: tokens(0, 0) } }),
      ev(T0 + 3, 'message.part.updated', { part: { id: 'prt_2', sessionID: 'ses_p', messageID: 'msg_2', type: 'step-start' } }),
      ev(T0 + 4, 'message.part.updated', { part: { id: 'prt_3', sessionID: 'ses_p', messageID: 'msg_2', type: 'tool', callID: 'c1', tool: 'task', state: { status: 'running', input: {}, time: { start: T0 + 4 } } } }),
      ev(T0 + 5, 'session.created', { info: { id: 'ses_c', parentID: 'ses_p', version: '1.2.20', title: 'child', time: { created: T0 + 5 } } }),
      ev(T0 + 5, 'message.part.updated', { part: { id: 'prt_3', sessionID: 'ses_p', messageID: 'msg_2', type: 'tool', callID: 'c1', tool: 'task', state: { status: 'running', input: {}, metadata: { sessionId: 'ses_c' }, time: { start: T0 + 4 } } } }),
      ev(T0 + 6, 'message.updated', { info: { id: 'msg_3', sessionID: 'ses_c', role: 'user', time: { created: T0 + 6 } } }),
      ev(T0 + 6, 'message.part.updated', { part: { id: 'prt_4', sessionID: 'ses_c', messageID: 'msg_3', type: 'text', text: 'child prompt' } }),
      ev(T0 + 7, 'message.updated', { info: { id: 'msg_4', sessionID: 'ses_c', role: 'assistant', parentID: 'msg_3', time: { created: T0 + 7 }, modelID: 'gemini-2.5-flash', providerID: 'google', tokens: tokens(0, 0) } }),
      ev(T0 + 8, 'message.part.updated', { part: { id: 'prt_5', sessionID: 'ses_c', messageID: 'msg_4', type: 'text', text: '' } }),
      ev(T0 + 8, 'message.part.delta', { sessionID: 'ses_c', messageID: 'msg_4', partID: 'prt_5', field: 'text', delta: 'Hel' }),
      ev(T0 + 9, 'message.part.delta', { sessionID: 'ses_c', messageID: 'msg_4', partID: 'prt_5', field: 'text', delta: 'lo' }),
      ev(T0 + 10, 'message.part.updated', { part: { id: 'prt_6', sessionID: 'ses_c', messageID: 'msg_4', type: 'step-finish', reason: 'stop', tokens: tokens(20, 3, 7) } }),
      ev(T0 + 10, 'message.updated', { info: { id: 'msg_4', sessionID: 'ses_c', role: 'assistant', parentID: 'msg_3', time: { created: T0 + 7, completed: T0 + 10 }, modelID: 'gemini-2.5-flash', providerID: 'google', tokens: tokens(20, 3, 7), finish: 'stop' } }),
      ev(T0 + 11, 'session.status', { sessionID: 'ses_p', status: { type: 'retry', attempt: 1, message: 'Overloaded', next: T0 + 20 } }),
      ev(T0 + 12, 'message.part.updated', { part: { id: 'prt_3', sessionID: 'ses_p', messageID: 'msg_2', type: 'tool', callID: 'c1', tool: 'task', state: { status: 'completed', input: {}, output: 'Hello', metadata: { sessionId: 'ses_c' }, time: { start: T0 + 4, end: T0 + 12 } } } }),
    ];
    const file = write('stream/events.jsonl', lines.join('\n'));
    expect(opencodeImporter.detect(file, head(file))).toBe(true);
    const out = docs(opencodeImporter.read(file));
    expect(out).toHaveLength(1);
    const doc = out[0]!;
    expect(doc.sessionId).toBe('ses_p');
    expect(prompts(doc)).toEqual(['go']);
    const sub = doc.spans.find((s) => s.kind === 'subagent')!;
    expect(sub.parentSpanId).toBe(byCallId(doc, 'c1').spanId);
    const childGen = doc.spans.find((s) => s.kind === 'generation' && s.parentSpanId === sub.spanId)!;
    expect(childGen.output).toEqual({ text: 'Hello' }); // streamed deltas, put together
    expect(childGen.attributes['gen_ai.usage.output_tokens']).toBe(10); // Google: reasoning apart from output
    expect(doc.summary.generations).toBe(2); // the parent's call never finished: still open
    expect(JSON.stringify(doc.spans.flatMap((s) => s.events ?? []))).toContain('Overloaded');
  });

  it("reads opencode's own storage folder: session, message and part files, child session nested", () => {
    const store = (rel: string, value: unknown) => write(`storage/${rel}`, value);
    const parent = exportDoc('ses_sp', [
      user('msg_s1', 'ses_sp', T0 + 1, 'audit the deps'),
      assistant('msg_s2', 'ses_sp', 'msg_s1', T0 + 2, T0 + 30, [
        { type: 'step-start' },
        { type: 'tool', callID: 'call_t', tool: 'task', state: { status: 'completed', input: { subagent_type: 'general', prompt: 'list deps' }, output: 'ok', metadata: { sessionId: 'ses_sc' }, time: { start: T0 + 3, end: T0 + 20 } } },
        { type: 'step-finish', reason: 'tool-calls', tokens: tokens(10, 1) },
      ], 'tool-calls'),
    ], { title: 'Audit' });
    const child = exportDoc('ses_sc', [
      user('msg_c1', 'ses_sc', T0 + 4, 'list deps'),
      assistant('msg_c2', 'ses_sc', 'msg_c1', T0 + 5, T0 + 19, [
        { type: 'step-start' },
        { type: 'tool', callID: 'call_r', tool: 'read', state: { status: 'error', input: { filePath: '/w/package.json' }, error: 'File not found', time: { start: T0 + 6, end: T0 + 7 } } },
        { type: 'step-finish', reason: 'stop', tokens: tokens(5, 1) },
      ]),
    ], { parentID: 'ses_sp' });
    const files: string[] = [];
    for (const doc of [parent, child]) {
      files.push(store(`session/proj1/${doc.info.id}.json`, doc.info));
      for (const m of doc.messages) {
        store(`message/${doc.info.id}/${m.info.id}.json`, m.info);
        for (const part of m.parts) store(`part/${m.info.id}/${part.id}.json`, part);
      }
    }
    const [parentFile, childFile] = files as [string, string];
    expect(opencodeImporter.detect(parentFile, head(parentFile))).toBe(true);
    const msgFile = path.join(tmp, 'storage/message/ses_sp/msg_s1.json');
    const partFile = path.join(tmp, 'storage/part/msg_s2/msg_s2-p2.json');
    expect(opencodeImporter.detect(msgFile, head(msgFile))).toBe(false);
    expect(opencodeImporter.detect(partFile, head(partFile))).toBe(false);

    const doc = docOf(parentFile);
    expect(doc.sessionId).toBe('ses_sp');
    expect(doc.title).toBe('Audit');
    expect(prompts(doc)).toEqual(['audit the deps']);
    const sub = doc.spans.find((s) => s.kind === 'subagent')!;
    expect(sub.parentSpanId).toBe(byCallId(doc, 'call_t').spanId);
    expect(byCallId(doc, 'call_r').parentSpanId).toBe(sub.spanId);
    expect(doc.summary).toMatchObject({ generations: 2, toolCalls: 2, toolErrors: 1, subagents: 1 });
    expect(opencodeImporter.read(childFile)).toEqual([]);
  });

  it('maps usage: input excludes the cache, output includes reasoning whatever the provider', () => {
    expect(opencodeUsage({ total: 46737, input: 45922, output: 815, reasoning: 418, cache: { read: 0, write: 0 } }, 'openai')).toEqual({ input: 45922, output: 815, cacheRead: 0, cacheWrite: 0, reasoning: 418 });
    expect(opencodeUsage({ total: 39176, input: 39043, output: 28, reasoning: 105, cache: { read: 0, write: 0 } }, 'some-proxy')).toEqual({ input: 39043, output: 133, cacheRead: 0, cacheWrite: 0, reasoning: 105 });
    expect(opencodeUsage({ input: 1, output: 2, reasoning: 3, cache: { read: 4, write: 5 } }, 'google')).toEqual({ input: 1, output: 5, cacheRead: 4, cacheWrite: 5, reasoning: 3 });
    expect(opencodeUsage('nope')).toBeUndefined();
  });

  it('never throws on foreign or broken input', () => {
    expect(readOpencodeExport('')).toEqual([]);
    expect(readOpencodeExport('{"info": 3, "messages": "x"}')).toEqual([]);
    expect(() => readOpencodeExport('{"info": {"id": "ses_x"}, "messages": [null, {"info": null, "parts": [1, {"type": "tool"}]}]}')).not.toThrow();
    expect(readOpencodeEvents('garbage\n{"event": null}\n')).toEqual([]);
    expect(opencodeImporter.detect('x.json', '{"type":"assistant","message":{"id":"m"},"sessionId":"s","uuid":"u"}')).toBe(false);
  });
});
