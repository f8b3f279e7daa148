import type { ReconcileSource, SourceContext, SpoolItem } from '../store/reconcile-source.js';
import { findAgentProcess } from '../store/liveness.js';
import { claudeCodeSource } from './claude-code/reconcile-source.js';
import { mapHook as mapCodexHook } from './codex/hook.js';
import { mapHook as mapGeminiHook } from './gemini/hook.js';
import type { HookMapper } from './hook-types.js';

/**
 * Every agent's part of the store's reconcile step (see src/store/reconcile-source.ts). An agent whose hooks
 * need nothing but their payload uses `mapperSource`; Claude Code also reads its transcripts.
 */
export function mapperSource(agent: string, mapper: HookMapper): ReconcileSource {
  return {
    agent,
    ingest(item: SpoolItem, _ctx: SourceContext) {
      const p = item.payload;
      const name = String(p.hook_event_name ?? p.hookEventName ?? p.type ?? item.event);
      const isStart = /sessionstart|session_start/i.test(name);
      const agentPid = isStart && item.ppid > 1 ? findAgentProcess(item.ppid)?.pid : undefined;
      const events = mapper(p, { now: item.time, ...(agentPid !== undefined ? { agentPid } : {}) });
      const boundary = events.some((e) => e.type === 'turn.end' || e.type === 'session.end' || e.type === 'session.start');
      return { sessionId: events[0]?.sessionId, events, boundary, exportAfter: events.some((e) => e.type === 'turn.end' || e.type === 'session.end') };
    },
  };
}

export const RECONCILE_SOURCES: readonly ReconcileSource[] = [claudeCodeSource, mapperSource('codex', mapCodexHook), mapperSource('gemini', mapGeminiHook)];
