import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '../../events/types.js';
import { ensureDir } from '../../store/fs-util.js';
import { AGENT_FILE, findAgentProcess, recordAgentProcess } from '../../store/liveness.js';
import { acquireSync } from '../../store/lock.js';
import { isPidAlive } from '../../store/process-info.js';
import { JOURNAL_FILE, sessionFolder } from '../../store/paths.js';
import type { IngestResult, ReconcileSource, SourceContext, SpoolItem } from '../../store/reconcile-source.js';
import { EXPORT_EVENTS, HEAVY_EVENTS, hookEventName, hookSessionId, mapHook } from './hook.js';
import { compactionNumberAt, ingestTranscripts } from './ingest.js';
import { loadIngestState, saveIngestState, TRANSCRIPT_LOCK } from './ingest-state.js';
import { AGENT_NAME } from './prompt.js';

/** Events by which the session's transcript exists (see the note where a missing one is logged). */
const TRANSCRIPT_EXPECTED = new Set(['Stop', 'StopFailure', 'SessionEnd']);

/**
 * Claude Code's part of the store's reconcile step. A spooled hook payload becomes the hook's events; on a
 * turn or session boundary the session's transcripts are read first, from the remembered offsets, so a turn's
 * model calls precede its end. Runs in the detached worker or in a reader — never in the agent's hook — so
 * nothing here can be cancelled by the agent, and the transcript lock it takes is taken over at once if its
 * holder died.
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function transcriptLock(folder: string, ctx: SourceContext) {
  return acquireSync(folder, { name: TRANSCRIPT_LOCK, waitMs: ctx.quick ? 0 : ctx.patient ? 60_000 : 15_000 });
}

function ingest(item: SpoolItem, ctx: SourceContext): IngestResult {
  const payload = item.payload;
  const event = hookEventName(payload) ?? item.event;
  const sessionId = hookSessionId(payload);
  if (!sessionId) return { events: [] };
  const now = item.time;
  const folder = sessionFolder(ctx.dir, sessionId);
  ensureDir(folder);
  const isNew = !existsSync(join(folder, JOURNAL_FILE));
  const heavy = HEAVY_EVENTS.has(event);

  // The agent's process: the hook's parent (the recorder names it), at SessionStart or the first boundary seen.
  let agentPid: number | undefined;
  if (heavy && item.ppid > 1 && (event === 'SessionStart' || !existsSync(join(folder, AGENT_FILE)))) {
    try {
      // Gone already (a reader reconciling after the agent was killed): on Linux the recorder named the agent
      // itself, past any shell, so a dead pid there means the agent is over.
      const agent = findAgentProcess(item.ppid) ?? (process.platform === 'linux' && !isPidAlive(item.ppid) ? { pid: item.ppid } : undefined);
      if (agent) {
        recordAgentProcess(folder, agent);
        agentPid = agent.pid;
      }
    } catch (error) {
      ctx.log(`reconcile ${event}: agent process`, error);
    }
  }

  let transcriptEvents: AgentEvent[] = [];
  let compactionKey: string | undefined;
  // /compact runs its summary as agents of its own: SubagentStop with no type and no start, between PreCompact
  // and PostCompact, naming a transcript never written. Not a subagent of the session.
  let compactionAgent = false;
  const transcriptPath = str(payload.transcript_path);
  const agentTranscriptPath = str(payload.agent_transcript_path);
  if (heavy && (transcriptPath || agentTranscriptPath)) {
    const release = transcriptLock(folder, ctx);
    if (!release) ctx.log(`reconcile ${event}`, `transcript lock of session ${sessionId} is held by a live process; the next reconcile will catch up`);
    else {
      try {
        const state = loadIngestState(folder);
        compactionAgent = event === 'SubagentStop' && state.pendingCompaction !== undefined && !str(payload.agent_type);
        const outcome = ingestTranscripts(state, {
          sessionId,
          transcriptPath,
          ...(agentTranscriptPath && !compactionAgent ? { agentTranscript: { path: agentTranscriptPath, agentId: str(payload.agent_id) } } : {}),
          final: event === 'SessionEnd',
          scrub: ctx.scrub,
          // Only a detached worker waits for a lagging transcript; a reader takes what is there (and the next
          // reconcile takes the rest).
          ...(ctx.patient && event === 'Stop' && str(payload.last_assistant_message) ? { waitForText: payload.last_assistant_message as string } : {}),
        });
        transcriptEvents = outcome.events;
        // Until the first answer Claude Code may not have created the transcript yet: missing then is normal,
        // and a log line for it would bury real problems (doctor shows the recent ones). At a turn's or the
        // session's end it must be there.
        if (transcriptPath && !outcome.transcriptFound && TRANSCRIPT_EXPECTED.has(event)) {
          ctx.log(`reconcile ${event}`, `transcript ${transcriptPath} not found; recorded what the hook payload holds`);
        }
        if (transcriptPath) {
          state.transcript = transcriptPath;
          state.subagentsSeen = subagentsMtime(transcriptPath);
        }
        // PreCompact opens the compaction the transcript will count next; PostCompact closes that one.
        if (event === 'PreCompact') {
          compactionKey = `compact:${transcriptPath ? compactionNumberAt(state, transcriptPath, now) : outcome.compactions + 1}`;
          state.pendingCompaction = compactionKey;
        } else if (event === 'PostCompact') {
          compactionKey = state.pendingCompaction ?? `compact:${Math.max(1, outcome.compactions)}`;
          state.pendingCompaction = undefined;
        }
        saveIngestState(folder, state);
      } catch (error) {
        ctx.log(`reconcile ${event}: transcript`, error);
      } finally {
        release();
      }
    }
  }

  const own = compactionAgent ? [] : mapHook(payload, { now, ...(agentPid !== undefined ? { agentPid } : {}), ...(compactionKey ? { compactionKey } : {}) });
  const events: AgentEvent[] = [];
  if (isNew && own[0]?.type !== 'session.start') {
    events.push({ type: 'session.meta', sessionId, time: now, source: 'hook', agent: { name: AGENT_NAME }, provider: 'anthropic', ...(str(payload.cwd) ? { cwd: payload.cwd as string } : {}) });
  }
  // What the transcript adds comes before the hook's own boundary event (a turn's model calls precede its end);
  // the hook's own events are last, where the caller marks them with the spool file's name.
  events.push(...transcriptEvents, ...own);
  return { sessionId, events, own: own.length, boundary: heavy, exportAfter: EXPORT_EVENTS.has(event) };
}

/** Reads what the session's transcripts added since the last read (nothing to do when none grew). */
function catchUp(sessionId: string, folder: string, ctx: SourceContext, options: { final: boolean }): AgentEvent[] {
  const state0 = loadIngestState(folder);
  const main = state0.transcript;
  if (!main) return [];
  if (!options.final && !grew(state0)) return [];
  const release = transcriptLock(folder, ctx);
  if (!release) return [];
  try {
    const state = loadIngestState(folder);
    // `final` here means the agent died: read its last lines, but close nothing as if it had ended cleanly.
    const outcome = ingestTranscripts(state, { sessionId, transcriptPath: state.transcript, scrub: ctx.scrub });
    state.subagentsSeen = subagentsMtime(state.transcript!);
    saveIngestState(folder, state);
    return outcome.events;
  } catch (error) {
    ctx.log(`reconcile: transcript of ${sessionId}`, error);
    return [];
  } finally {
    release();
  }
}

/** Whether a known transcript file is longer than what was read, or a new subagent file appeared (stat only). */
function grew(state: ReturnType<typeof loadIngestState>): boolean {
  for (const [path, cursor] of Object.entries(state.files)) {
    try {
      if (statSync(path).size > cursor.offset) return true;
    } catch {
      // gone
    }
  }
  return subagentsMtime(state.transcript!) > (state.subagentsSeen ?? 0);
}

function subagentsMtime(transcript: string): number {
  try {
    return statSync(join(transcript.replace(/\.jsonl?$/i, ''), 'subagents')).mtimeMs;
  } catch {
    return 0;
  }
}

export const claudeCodeSource: ReconcileSource = { agent: AGENT_NAME, ingest, catchUp };
