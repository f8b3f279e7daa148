import type { AgentEvent, GenerationOutput } from '../../events/types.js';
import { nonEmpty, num, rec, str, type Rec } from '../codex/util.js';
import { lastText, stepsOf, userPrompt } from './message-parts.js';
import { byId, timeOf, type OcSession } from './session-model.js';
import { emitTool, type EmitContext } from './tool-events.js';
import { hasTokens, opencodeUsage } from './usage.js';

/**
 * One session's messages → events. A user message starts a turn (or a compaction); an assistant message holds
 * one or more steps (step-start … step-finish), each one model call with its own usage, and the tools it ran;
 * the assistant message that completes a turn's answer ends the turn.
 */

/** Turns one session's messages into events; a child session's go under `agentKey`. */
export function emitMessages(ctx: EmitContext, session: OcSession, agentKey?: string): void {
  const base = { sessionId: ctx.sessionId, source: 'import' as const };
  const { events } = ctx;
  const turns = new Set<string>();
  const messages = [...session.messages].sort(byId).map(([, m]) => m);
  const compactionUsers = new Set<string>();

  for (const msg of messages) {
    const info = msg.info;
    const mid = str(info.id)!;
    const created = timeOf(info.time, 'created') ?? msg.seen ?? session.firstSeen ?? 0;
    const completed = timeOf(info.time, 'completed');
    if (info.role === 'user') {
      const compaction = [...msg.parts.values()].find((p) => p.type === 'compaction');
      if (compaction) {
        compactionUsers.add(mid);
        events.push({
          ...base,
          type: 'compaction.start',
          key: mid,
          time: created,
          trigger: compaction.auto === true ? 'auto' : 'manual',
          ...(agentKey ? { agentKey } : {}),
        });
        continue;
      }
      if (agentKey) continue; // a subagent's prompt is the spawning tool's input, not a turn of the session
      const prompt = userPrompt(msg);
      if (!prompt) continue;
      events.push({ ...base, type: 'turn.start', key: mid, time: created, prompt, ...agentAttrs(info) });
      turns.add(mid);
      continue;
    }
    if (info.role !== 'assistant') continue;

    const parentID = nonEmpty(info.parentID);
    const place = agentKey ? { agentKey } : parentID && turns.has(parentID) ? { turnKey: parentID } : {};
    const model = nonEmpty(info.modelID);
    const provider = nonEmpty(info.providerID);
    const steps = stepsOf(msg);
    if (steps.length === 0) steps.push({ parts: [], started: false });
    const error = rec(info.error);
    const aborted = error?.name === 'MessageAbortedError';
    const errorMessage = error && !aborted ? (nonEmpty(rec(error.data)?.message) ?? nonEmpty(error.name) ?? 'error') : undefined;
    let stepStart = created;

    steps.forEach((step, index) => {
      const last = index === steps.length - 1;
      const key = steps.length === 1 ? mid : `${mid}:step:${index + 1}`;
      const tools = step.parts.filter((p) => p.type === 'tool');
      const toolStarts = tools.map((p) => timeOf(rec(p.state)?.time, 'start')).filter((t): t is number => t !== undefined);
      const partEnds = step.parts
        .map((p) => timeOf(p.time, 'end') ?? session.partSeen.get(str(p.id) ?? '')?.last)
        .filter((t): t is number => t !== undefined);
      const finishSeen = step.finish ? session.partSeen.get(str(step.finish.id) ?? '')?.last : undefined;
      let end: number | undefined;
      if (toolStarts.length) end = Math.min(...toolStarts);
      else if (last && completed !== undefined) end = completed;
      else if (partEnds.length) end = Math.max(...partEnds);
      else end = finishSeen;
      const finished = step.finish !== undefined || (last && (completed !== undefined || error !== undefined));

      const output: GenerationOutput = {};
      const text = step.parts.filter((p) => p.type === 'text' && p.synthetic !== true).map((p) => str(p.text) ?? '').join('').trim();
      const thinking = step.parts.filter((p) => p.type === 'reasoning').map((p) => str(p.text) ?? '').join('\n').trim();
      const toolCalls = tools.map((p) => ({ id: nonEmpty(p.callID) ?? str(p.id)!, name: nonEmpty(p.tool) ?? 'tool' }));
      if (text) output.text = text;
      if (thinking) output.thinking = thinking;
      if (toolCalls.length) output.toolCalls = toolCalls;
      const tokens = step.finish?.tokens ?? (steps.length === 1 ? info.tokens : undefined);
      const usage = finished ? opencodeUsage(tokens, provider, model) : undefined;
      const finishReason = nonEmpty(step.finish?.reason) ?? (last ? nonEmpty(info.finish) : undefined);
      const cost = num(step.finish?.cost) ?? (steps.length === 1 ? num(info.cost) : undefined);
      const attributes = {
        ...(cost ? { 'opencode.cost_usd': cost } : {}),
        ...(nonEmpty(info.agent) ? { 'opencode.agent': info.agent as string } : {}),
      };

      if (finished) {
        events.push({
          ...base,
          type: 'generation.end',
          key,
          time: Math.max(end ?? stepStart, stepStart),
          startTime: stepStart,
          ...place,
          ...(model ? { model } : {}),
          ...(provider ? { provider } : {}),
          ...(usage && hasTokens(usage) ? { usage } : {}),
          ...(Object.keys(output).length ? { output } : {}),
          ...(finishReason ? { finishReasons: [finishReason] } : {}),
          ...(last && errorMessage ? { error: errorMessage } : {}),
          ...(Object.keys(attributes).length ? { attributes } : {}),
        });
      } else {
        events.push({
          ...base,
          type: 'generation.start',
          key,
          time: stepStart,
          ...place,
          ...(model ? { model } : {}),
          ...(provider ? { provider } : {}),
          ...(Object.keys(attributes).length ? { attributes } : {}),
        });
      }

      for (const tool of tools) emitTool(ctx, session, tool, place, agentKey, created);
      const toolEnds = tools.map((p) => timeOf(rec(p.state)?.time, 'end')).filter((t): t is number => t !== undefined);
      stepStart = Math.max(stepStart, end ?? stepStart, ...toolEnds);
    });

    if (aborted) events.push({ ...base, type: 'interrupt', time: completed ?? stepStart, message: 'aborted', ...place });
    if (info.summary === true) {
      const summary = [...msg.parts.values()].filter((p) => p.type === 'text').map((p) => str(p.text) ?? '').join('').trim();
      events.push({
        ...base,
        type: 'compaction.end',
        key: parentID && compactionUsers.has(parentID) ? parentID : mid,
        time: completed ?? stepStart,
        ...(summary ? { summary } : {}),
        ...(agentKey ? { agentKey } : {}),
      });
    } else if (!agentKey && parentID && turns.has(parentID) && completed !== undefined && !/^tool[-_]calls$/.test(str(info.finish) ?? 'tool-calls')) {
      const text = lastText(msg);
      events.push({ ...base, type: 'turn.end', key: parentID, time: completed, ...(text ? { output: text } : {}) });
    }
  }

  const hasCompactionMessages = compactionUsers.size > 0 || messages.some((m) => m.info.summary === true);
  for (const mark of session.marks) {
    // The bus's session.compacted repeats what the compaction messages already say.
    if (mark.type === 'compaction.end' && hasCompactionMessages) continue;
    events.push({ ...mark, sessionId: ctx.sessionId, ...(agentKey ? { agentKey } : {}) } as AgentEvent);
  }
}

function agentAttrs(info: Rec): { attributes?: Record<string, string> } {
  const agent = nonEmpty(info.agent);
  return agent ? { attributes: { 'opencode.agent': agent } } : {};
}
