import { existsSync } from 'node:fs';
import { loadConfig } from '../config.js';
import type { AgentEvent } from '../events/types.js';
import { Redactor } from '../redact.js';
import { findAgentProcess } from '../store/liveness.js';
import { sessionFolder } from '../store/paths.js';
import type { ReconcileSource, SourceContext, SpoolItem } from '../store/reconcile-source.js';
import { SessionStore } from '../store/session-store.js';
import { catchUpFromAgentFile, rememberAgentFile } from './catch-up.js';
import type { HookMapper } from './hook-types.js';

/**
 * The reconcile part of an agent whose hooks name its own session file in `transcript_path` (Codex's rollout,
 * Gemini CLI's chat file). The hook payloads give what only they know — the session's start and end, the agent
 * process, permission requests, interrupts, notifications — and, while the file is unknown or missing,
 * everything they carry. The file, read by the agent's importer at each catch-up, gives the turns, model calls,
 * tokens and tools: so a hook-captured session equals an import of the same file, spans and ids included.
 */
export function agentFileSource(agent: string, mapper: HookMapper, fileCovers: ReadonlySet<AgentEvent['type']>): ReconcileSource {
  return {
    agent,
    ingest(item: SpoolItem, ctx: SourceContext) {
      const p = item.payload;
      const name = String(p.hook_event_name ?? p.hookEventName ?? p.type ?? item.event);
      const isStart = /sessionstart|session_start/i.test(name);
      const agentPid = isStart && item.ppid > 1 ? findAgentProcess(item.ppid)?.pid : undefined;
      let events = mapper(p, { now: item.time, ...(agentPid !== undefined ? { agentPid } : {}) });
      const sessionId = events[0]?.sessionId;
      const boundary = events.some((e) => e.type === 'turn.end' || e.type === 'session.end' || e.type === 'session.start');
      const file = typeof p.transcript_path === 'string' && p.transcript_path ? p.transcript_path : undefined;
      // Remembered even before the agent writes it (Codex creates its rollout after SessionStart), so that a read
      // in the middle of the first turn already catches up from it.
      if (sessionId && file) rememberAgentFile(sessionFolder(ctx.dir, sessionId), agent, file);
      if (sessionId && file && existsSync(file)) {
        events = events.filter((e) => !fileCovers.has(e.type));
        // A boundary (a turn or the session ended) is when the file holds the turn's calls: read it now, before
        // the session's end makes it no longer running (readers catch up running sessions only).
        // (Not at the session's start: the file holds nothing yet.)
        if (boundary && !isStart) catchUp(sessionId, ctx);
      }
      return { sessionId, events, boundary, exportAfter: boundary && !isStart };
    },
    catchUp(sessionId: string, _folder: string, ctx: SourceContext) {
      catchUp(sessionId, ctx);
      return []; // written in place: the journal changed, so the trace is rebuilt
    },
  };

  function catchUp(sessionId: string, ctx: SourceContext): void {
    try {
      // The replacement takes the session's lock itself; the events it writes are redacted like the hooks'.
      const store = new SessionStore(ctx.dir, { redactor: new Redactor(safeRedaction()) });
      catchUpFromAgentFile(store, sessionId, agent);
    } catch (error) {
      ctx.log(`catch-up of ${agent} session ${sessionId}`, error);
    }
  }
}

function safeRedaction(): ReturnType<typeof loadConfig>['redaction'] {
  try {
    return loadConfig().redaction;
  } catch {
    return undefined;
  }
}
