import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXPORT_EVENTS, hookSessionId, mapHook } from '../../adapters/claude-code/hook.js';
import { ingestTranscripts } from '../../adapters/claude-code/ingest.js';
import { loadIngestState, saveIngestState, TRANSCRIPT_LOCK } from '../../adapters/claude-code/ingest-state.js';
import { AGENT_NAME } from '../../adapters/claude-code/transcript.js';
import type { AgentTraceConfig } from '../../config.js';
import type { AgentEvent } from '../../events/types.js';
import type { Redactor } from '../../redact.js';
import { ensureDir } from '../../store/fs-util.js';
import { AGENT_FILE, findAgentProcess, recordAgentProcess } from '../../store/liveness.js';
import { acquireSync } from '../../store/lock.js';
import { logError } from '../../store/log.js';
import { JOURNAL_FILE, sessionFolder } from '../../store/paths.js';
import { SessionStore } from '../../store/session-store.js';
import { appendHookEvents } from './hook.js';

/**
 * The hook's heavy path, for turn and session boundaries only: catch up with the transcripts under the
 * session's transcript lock, append what they add before the hook's own event (so a turn's model calls
 * precede its end), rewrite trace.json, and start the background OTLP export when one is configured.
 */

interface HeavyContext {
  dir: string;
  config: AgentTraceConfig;
  redactor: Redactor;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** How long a boundary hook waits for the transcript lock before leaving the catch-up to the next one. */
function lockWait(event: string): number {
  return event === 'SessionEnd' ? 8_000 : 3_000;
}

export function runHeavyHook(ctx: HeavyContext & { payload: Record<string, unknown>; event: string; now: number }): void {
  const { dir, payload, event, now } = ctx;
  const sessionId = hookSessionId(payload);
  if (!sessionId) return;
  const folder = sessionFolder(dir, sessionId);
  ensureDir(folder);
  const isNew = !existsSync(join(folder, JOURNAL_FILE));

  // The agent's process: at SessionStart, or at the first boundary of a session whose start was not seen.
  let agentPid: number | undefined;
  if (event === 'SessionStart' || !existsSync(join(folder, AGENT_FILE))) {
    try {
      const agent = findAgentProcess();
      if (agent) {
        recordAgentProcess(folder, agent);
        agentPid = agent.pid;
      }
    } catch (error) {
      logError(dir, `hook ${event}: agent process`, error);
    }
  }

  const transcriptPath = str(payload.transcript_path);
  const agentTranscriptPath = str(payload.agent_transcript_path);
  let transcriptEvents: AgentEvent[] = [];
  let compactionKey: string | undefined;
  const release = transcriptPath || agentTranscriptPath ? acquireSync(folder, { name: TRANSCRIPT_LOCK, waitMs: lockWait(event) }) : undefined;
  if ((transcriptPath || agentTranscriptPath) && !release) {
    // Expected conditions are one short line (a string carries no stack); real errors keep theirs.
    logError(dir, `hook ${event}`, `transcript lock of session ${sessionId} is busy; the next boundary will catch up`);
  }
  try {
    let state = release ? loadIngestState(folder) : undefined;
    if (state && release) {
      try {
        const outcome = ingestTranscripts(state, {
          sessionId,
          transcriptPath,
          ...(agentTranscriptPath ? { agentTranscript: { path: agentTranscriptPath, agentId: str(payload.agent_id) } } : {}),
          final: event === 'SessionEnd',
          scrub: (text: string) => ctx.redactor.redactString(text),
          ...(event === 'Stop' && str(payload.last_assistant_message) ? { waitForText: payload.last_assistant_message as string } : {}),
        });
        transcriptEvents = outcome.events;
        if (transcriptPath && !outcome.transcriptFound && event !== 'SessionStart') {
          logError(dir, `hook ${event}`, `transcript ${transcriptPath} not found; recorded what the hook payload holds`);
        }
        // PreCompact opens the compaction the transcript will count next; PostCompact closes that one.
        if (event === 'PreCompact') {
          compactionKey = `compact:${outcome.compactions + 1}`;
          state.pendingCompaction = compactionKey;
        } else if (event === 'PostCompact') {
          compactionKey = state.pendingCompaction ?? `compact:${Math.max(1, outcome.compactions)}`;
          state.pendingCompaction = undefined;
        }
      } catch (error) {
        logError(dir, `hook ${event}: transcript`, error);
        state = undefined;
      }
    }
    const own = mapHook(payload, { now, ...(agentPid !== undefined ? { agentPid } : {}), ...(compactionKey ? { compactionKey } : {}) });
    const events: AgentEvent[] = [];
    if (isNew && own[0]?.type !== 'session.start') {
      events.push({ type: 'session.meta', sessionId, time: now, source: 'hook', agent: { name: AGENT_NAME }, provider: 'anthropic', ...(str(payload.cwd) ? { cwd: payload.cwd as string } : {}) });
    }
    // SessionStart first (a resume closes what the previous process left open before anything new lands);
    // otherwise what the transcript adds comes before the hook's own boundary event.
    if (event === 'SessionStart') events.push(...own, ...transcriptEvents);
    else events.push(...transcriptEvents, ...own);
    appendValid(ctx, events);
    if (state && release) saveIngestState(folder, state);
  } finally {
    release?.();
  }

  materializeSessions(ctx, [sessionId], EXPORT_EVENTS.has(event));
}

/** Appends events one by one when a batch is refused, so one bad event never costs the others. */
function appendValid(ctx: HeavyContext, events: AgentEvent[]): void {
  if (!events.length) return;
  try {
    appendHookEvents(ctx.dir, events, ctx.redactor);
  } catch {
    for (const e of events) {
      try {
        appendHookEvents(ctx.dir, [e], ctx.redactor);
      } catch (error) {
        logError(ctx.dir, `hook: ${e.type} event refused`, error);
      }
    }
  }
}

/** Rewrites trace.json of these sessions; optionally starts the background OTLP export. */
export function materializeSessions(ctx: HeavyContext, sessionIds: string[], exportAfter: boolean): void {
  const store = new SessionStore(ctx.dir, { redactor: ctx.redactor, prices: ctx.config.prices });
  for (const sessionId of sessionIds) {
    try {
      store.materialize(sessionId, { waitMs: 3_000 });
    } catch (error) {
      logError(ctx.dir, `hook: trace of ${sessionId}`, error);
    }
    const otlp = ctx.config.otlp;
    if (exportAfter && otlp?.endpoint && otlp.auto !== false) {
      void import('../../../exporters/otlp/background.js')
        .then(({ spawnBackgroundExport }) => spawnBackgroundExport({ dir: ctx.dir, sessionId }))
        .catch((error: unknown) => logError(ctx.dir, `hook: export of ${sessionId}`, error));
    }
  }
}
