import type { GenerationOutput } from '../../events/types.js';
import { AGENT_NAME } from './prompt.js';
import { str, type Line } from './transcript-content.js';
import { emit, type ToolInfo, type TranscriptContext } from './transcript-context.js';

/** What the parser says about a session and its model calls: meta, the open responses, where an event belongs. */

export const PROVIDER = 'anthropic';

export function meta(c: TranscriptContext, line: Line, time: number, title?: string): void {
  if (c.fixedAgent) return;
  const m = c.state.meta;
  const version = str(line.version);
  const cwd = str(line.cwd);
  const gitBranch = str(line.gitBranch);
  const changed =
    (version !== undefined && version !== m.version) ||
    (cwd !== undefined && cwd !== m.cwd) ||
    (gitBranch !== undefined && gitBranch !== m.gitBranch) ||
    (title !== undefined && title !== m.title);
  if (!changed) return;
  if (version) m.version = version;
  if (cwd) m.cwd = cwd;
  if (gitBranch) m.gitBranch = gitBranch;
  if (title) m.title = title;
  emit(c, {
    type: 'session.meta',
    time,
    agent: { name: AGENT_NAME, ...(m.version ? { version: m.version } : {}) },
    provider: PROVIDER,
    ...(m.cwd ? { cwd: m.cwd } : {}),
    ...(m.gitBranch ? { gitBranch: m.gitBranch } : {}),
    ...(title ? { title } : {}),
  });
}

/** Emits the response open in a thread; `done` forgets it (a later line of the same id starts afresh). */
export function emitMessage(c: TranscriptContext, threadKey: string, done: boolean): void {
  const thread = c.state.threads[threadKey];
  const m = thread?.msg;
  if (!m) return;
  if (done) thread.msg = undefined;
  if (!m.dirty) return;
  m.dirty = false;
  const output: GenerationOutput = {};
  if (m.text) output.text = m.text;
  if (m.thinking) output.thinking = m.thinking;
  if (m.toolCalls?.length) output.toolCalls = m.toolCalls;
  const agentKey = threadKey || undefined;
  emit(c, {
    type: 'generation.end',
    key: m.id,
    time: m.time,
    startTime: m.start,
    provider: PROVIDER,
    responseId: m.id,
    ...(m.model ? { model: m.model } : {}),
    ...(m.stop ? { finishReasons: [m.stop] } : {}),
    ...(m.usage ? { usage: m.usage } : {}),
    ...(m.usage && m.provisional ? { attributes: { 'agent_trace.usage.provisional': true } } : {}),
    ...(Object.keys(output).length ? { output } : {}),
    ...(agentKey ? { agentKey } : m.turnKey ? { turnKey: m.turnKey } : {}),
  });
}

export function place(c: TranscriptContext, agentKey: string | undefined): { agentKey?: string; turnKey?: string } {
  if (agentKey) return { agentKey };
  return c.state.turnKey ? { turnKey: c.state.turnKey } : {};
}

export function placeTool(info: ToolInfo): { agentKey?: string; turnKey?: string } {
  if (info.agentKey) return { agentKey: info.agentKey };
  return info.turnKey ? { turnKey: info.turnKey } : {};
}
