// Conformance: the real Claude Code CLI killed mid-tool, and a session continued with --resume.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedServer, type ScriptedServer } from '../helpers/anthropic-server.js';
import { cacheWriteSplit, claudeHome, leftovers, showTrace, startClaudeP, transcriptLines, waitFor, tokenKinds, type ClaudeHome } from './claude-harness.js';

describe('Claude Code 2.1.332: kill -9 mid-tool and --resume', () => {
  let server: ScriptedServer;
  let h: ClaudeHome;
  beforeAll(async () => {
    server = await startScriptedServer([], { idPrefix: 'msg_life' });
    h = await claudeHome(server.url);
  });
  afterAll(async () => {
    await server?.close();
    h?.dispose();
  });

  it('kill -9 while a tool runs: interrupted, with the model calls that were made, the tool interrupted (not an error), nothing locked', async () => {
    const sessionId = 'dead0000-0000-4000-8000-000000000001';
    const marker = join(h.home, 'tool-started');
    server.add(
      { name: 'k-first', on: { prompt: 'KILL-1 ' }, reply: { blocks: [{ text: 'Listing first.' }, { tool: { id: 'toolu_k_ls', name: 'Bash', input: { command: 'echo listed', description: 'List' } } }] } },
      // `exec` makes the shell the sleep itself, whose pid the marker holds (the test ends it afterwards).
      { name: 'k-second', on: { toolResults: ['toolu_k_ls'] }, reply: { blocks: [{ thinking: 'Now wait.' }, { text: 'Waiting.' }, { tool: { id: 'toolu_k_sleep', name: 'Bash', input: { command: `echo $$ > ${marker} && exec sleep 47`, description: 'Wait' } } }], usage: { cacheWrite1h: 700 } } },
    );
    const run = startClaudeP(h, 'KILL-1 wait for it', ['--session-id', sessionId]);
    const sleeper = await waitFor('the long tool to start', () => existsSync(marker) && Number(readFileSync(marker, 'utf8').trim()));
    // Claude Code writes its transcript asynchronously: kill it once it has recorded the call it is running
    // (a call it never wrote down is known to nobody but the API).
    await waitFor('the running call in the transcript', () => transcriptLines(h, sessionId).some((l) => l.type === 'assistant' && JSON.stringify(l.message).includes('toolu_k_sleep')));
    run.child.kill('SIGKILL');
    const result = await run.done;
    try {
      process.kill(sleeper, 'SIGKILL');
    } catch {
      // already gone
    }
    expect(result.signal).toBe('SIGKILL');

    const doc = await showTrace(h, sessionId);
    const truth = server.totals((a) => a.sessionHeader === sessionId);
    expect(truth.generations).toBe(2);
    expect(doc.status).toBe('interrupted');
    expect(doc.summary.generations).toBe(truth.generations);
    const tokens = tokenKinds(doc);
    expect(tokens).toEqual(truth.tokens);
    const split = cacheWriteSplit(doc);
    if (split) expect(split).toEqual({ cacheWrite5m: truth.cacheWrite5m, cacheWrite1h: truth.cacheWrite1h });
    expect(doc.spans.filter((s) => s.kind === 'generation').map((g) => g.attributes['gen_ai.response.id']).sort()).toEqual(truth.responseIds);
    const sleep = doc.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_k_sleep');
    expect(sleep, 'the tool that was running').toBeDefined();
    expect(sleep!.status).not.toBe('error');
    expect(sleep!.endTime).toBeDefined();
    expect(sleep!.attributes['agent_trace.interrupted']).toBe(true);
    expect(doc.summary.toolErrors).toBe(0);
    expect(doc.summary.turns).toBe(1);
    expect(doc.spans.filter((s) => s.endTime === undefined).map((s) => s.name)).toEqual([]);
    expect(leftovers(h.dataDir)).toEqual([]);
  });

  it('--resume continues the same trace: same trace id, every span kept, one turn per prompt, completed', async () => {
    const sessionId = 'aaaa0000-0000-4000-8000-000000000002';
    server.add(
      { name: 'r-first', on: { prompt: 'RESUME-1 ' }, reply: { blocks: [{ text: 'Reading.' }, { tool: { id: 'toolu_r_1', name: 'Bash', input: { command: 'echo one', description: 'One' } } }] } },
      { name: 'r-first-end', on: { toolResults: ['toolu_r_1'] }, reply: { blocks: [{ text: 'First part done.' }] } },
      { name: 'r-second', on: { prompt: 'RESUME-2 ' }, reply: { blocks: [{ text: 'Continuing.' }, { tool: { id: 'toolu_r_2', name: 'Bash', input: { command: 'echo two', description: 'Two' } } }] } },
      { name: 'r-second-end', on: { toolResults: ['toolu_r_2'] }, reply: { blocks: [{ text: 'Second part done.' }] } },
    );
    const first = await startClaudeP(h, 'RESUME-1 start', ['--session-id', sessionId]).done;
    expect(first.code, first.stderr).toBe(0);
    const before = await showTrace(h, sessionId);
    expect(before.status).toBe('completed');

    const second = await startClaudeP(h, 'RESUME-2 go on', ['--resume', sessionId]).done;
    expect(second.code, second.stderr).toBe(0);
    const after = await showTrace(h, sessionId);
    const truth = server.totals((a) => a.sessionHeader === sessionId);
    expect(truth.generations).toBe(4);
    expect(after.traceId).toBe(before.traceId);
    expect(after.status).toBe('completed');
    const ids = new Set(after.spans.map((s) => s.spanId));
    expect(before.spans.filter((s) => !ids.has(s.spanId)).map((s) => s.name)).toEqual([]);
    expect(after.summary.turns).toBe(2);
    expect(after.spans.filter((s) => s.kind === 'turn').map((t) => t.input)).toEqual(['RESUME-1 start', 'RESUME-2 go on']);
    expect(after.summary.generations).toBe(truth.generations);
    const tokens = tokenKinds(after);
    expect(tokens).toEqual(truth.tokens);
    expect(after.spans.filter((s) => s.kind === 'tool').map((t) => t.attributes['gen_ai.tool.call.id']).sort()).toEqual(truth.toolIds);
    expect(after.spans.filter((s) => s.endTime === undefined).map((s) => s.name)).toEqual([]);
    expect(after.agent.version).toBe('2.1.332');
    expect(leftovers(h.dataDir)).toEqual([]);
  });
});
