// Conformance: the real Claude Code TUI under tmux — /compact, Esc while a tool runs, /exit.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedServer, type ScriptedServer } from '../helpers/anthropic-server.js';
import { cacheWriteSplit, claudeHome, leftovers, showTrace, transcriptLines, Tui, waitFor, tokenKinds, type ClaudeHome } from './claude-harness.js';

describe('Claude Code 2.1.332, interactive (tmux): /compact, Esc mid-tool, /exit', () => {
  let server: ScriptedServer;
  let h: ClaudeHome;
  let tui: Tui | undefined;
  beforeAll(async () => {
    server = await startScriptedServer([], { idPrefix: 'msg_tui' });
    h = await claudeHome(server.url);
  });
  afterEach((ctx) => {
    // A failing run says where the terminal was.
    if (ctx.task.result?.state === 'fail' && tui) console.log(`the Claude Code pane at failure:\n${tui.pane()}`);
  });
  afterAll(async () => {
    tui?.kill();
    await server?.close();
    h?.dispose();
  });

  it('one compaction span with tokens before and after and no phantom subagent; Esc leaves the tool and turn interrupted, not errors', async () => {
    const sessionId = 'cafe0000-0000-4000-8000-000000000001';
    const marker = join(h.home, 'tool-started');
    server.add(
      { name: 't-1', on: { prompt: 'TUI-1 ' }, reply: { blocks: [{ thinking: 'Say hello.' }, { text: 'Hello there.' }] } },
      // /compact: Claude Code asks for a summary, then makes a second request about the summary. Neither
      // response is written to a transcript: they are the CLI's own calls, not the conversation's.
      { name: 'compact-summary', path: 'side', on: { anyText: 'followed by a <summary> block' }, reply: { blocks: [{ text: '<analysis>Short.</analysis>\n<summary>The user said hello.</summary>' }] } },
      { name: 'compact-check', path: 'side', on: { anyText: 'how to write this summary' }, reply: { blocks: [{ text: '<summary>The user said hello.</summary>' }] } },
      { name: 't-2', on: { prompt: 'TUI-2 ' }, reply: { blocks: [{ text: 'Waiting.' }, { tool: { id: 'toolu_tui_sleep', name: 'Bash', input: { command: `echo $$ > ${marker} && exec sleep 53`, description: 'Wait' } } }] } },
      // After an Esc, the next prompt goes out in one user message with the rejected call's tool_result.
      { name: 't-3', on: { toolResults: ['toolu_tui_sleep'], prompt: 'TUI-3 ' }, reply: { blocks: [{ text: 'Back again.' }] } },
    );
    tui = new Tui(h, 'compact-esc', ['--session-id', sessionId]);
    await waitFor('the prompt box', () => tui!.pane().includes('bypass permissions on'));
    const lines = () => transcriptLines(h, sessionId);
    const turnsDone = () => lines().filter((l) => l.type === 'system' && l.subtype === 'turn_duration').length;

    tui.send('TUI-1 hello');
    await server.answered('t-1');
    await waitFor('turn 1 to end', () => turnsDone() >= 1);

    tui.send('/compact');
    await waitFor('the compaction in the transcript', () => lines().some((l) => l.subtype === 'compact_boundary') && tui!.pane().includes('Compacted'));

    tui.send('TUI-2 wait');
    const sleeper = await waitFor('the long tool to start', () => existsSync(marker) && Number(readFileSync(marker, 'utf8').trim()));
    tui.key('Escape');
    await waitFor('the interrupt in the transcript', () => lines().some((l) => JSON.stringify(l.message ?? '').includes('[Request interrupted by user for tool use]')));
    try {
      process.kill(sleeper, 'SIGKILL');
    } catch {
      // Claude Code ended it
    }

    // Esc fires no hook: what `show` says right away comes from the transcript.
    let doc = await showTrace(h, sessionId);
    const sleepTool = () => doc.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_tui_sleep');
    expect(sleepTool()?.endTime, 'the interrupted tool is closed').toBeDefined();
    expect(sleepTool()!.status).not.toBe('error');
    expect(sleepTool()!.attributes['agent_trace.interrupted']).toBe(true);
    expect(doc.summary.toolErrors).toBe(0);

    tui.send('TUI-3 again');
    await server.answered('t-3');
    await waitFor('turn 3 to end', () => turnsDone() >= 2);
    tui.send('/exit');
    await tui.exited();

    doc = await showTrace(h, sessionId);
    const truth = server.totals((a) => a.sessionHeader === sessionId);
    expect(server.log.filter((a) => a.path === 'unmatched')).toEqual([]);
    expect(doc.status).toBe('completed');
    // /compact: one compaction span, tokens before and after, no subagent of any kind.
    const compactions = doc.spans.filter((s) => s.kind === 'compaction');
    expect(compactions).toHaveLength(1);
    const boundary = lines().find((l) => l.subtype === 'compact_boundary')!.compactMetadata as { preTokens: number; postTokens: number };
    expect(compactions[0]!.attributes).toMatchObject({ 'agent_trace.compaction.trigger': 'manual', 'agent_trace.compaction.tokens_before': boundary.preTokens, 'agent_trace.compaction.tokens_after': boundary.postTokens });
    expect(doc.spans.filter((s) => s.kind === 'subagent').map((s) => s.name)).toEqual([]);
    expect(doc.summary.subagents).toBe(0);
    // Esc: the tool and its turn interrupted, never errors.
    expect(sleepTool()!.status).not.toBe('error');
    expect(sleepTool()!.attributes['agent_trace.interrupted']).toBe(true);
    const turns = doc.spans.filter((s) => s.kind === 'turn');
    expect(turns.map((t) => t.input)).toEqual(['TUI-1 hello', 'TUI-2 wait', 'TUI-3 again']);
    expect(turns[1]!.status).not.toBe('error');
    expect(turns[1]!.attributes['agent_trace.interrupted']).toBe(true);
    expect(doc.summary.toolErrors).toBe(0);
    // The conversation's model calls, exactly.
    expect(doc.summary.generations).toBe(truth.generations);
    expect(doc.spans.filter((s) => s.kind === 'generation').map((g) => g.attributes['gen_ai.response.id']).sort()).toEqual(truth.responseIds);
    const tokens = tokenKinds(doc);
    expect(tokens).toEqual(truth.tokens);
    const split = cacheWriteSplit(doc);
    if (split) expect(split).toEqual({ cacheWrite5m: truth.cacheWrite5m, cacheWrite1h: truth.cacheWrite1h });
    expect(doc.agent.version).toBe('2.1.332');
    expect(doc.spans.filter((s) => s.endTime === undefined).map((s) => s.name)).toEqual([]);
    expect(leftovers(h.dataDir)).toEqual([]);
  }, 120_000);
});
