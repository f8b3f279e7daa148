import type { AgentEvent } from '../../events/types.js';
import type { HookMapper } from '../hook-types.js';
import { nonEmpty, rec, type Rec } from '../codex/util.js';

/**
 * What agent-trace's opencode plugin records (`{hook_event_name, session_id, transcript_path, cwd, timestamp,
 * event: {type, properties}}`, see src/plugins/opencode.ts): the session's start, each turn's end (idle),
 * permission requests and replies, errors, the session's deletion. Everything else — prompts, model calls,
 * tokens, tools — comes from opencode's database (`transcript_path`) at each catch-up.
 */

/** What opencode's database records on its own: with it at hand, the plugin adds only what it lacks. */
export const FILE_COVERS: ReadonlySet<AgentEvent['type']> = new Set(['turn.start', 'turn.end', 'tool.start', 'tool.end', 'generation.start', 'generation.end', 'compaction.start', 'compaction.end']);

export const mapHook: HookMapper = (payload, context) => {
  try {
    const sessionId = nonEmpty(payload.session_id);
    const event = rec(payload.event);
    const type = nonEmpty(event?.type) ?? nonEmpty(payload.hook_event_name);
    if (!sessionId || !type) return [];
    const time = typeof payload.timestamp === 'number' && payload.timestamp > 0 ? payload.timestamp : context.now;
    const base = { sessionId, time, source: 'hook' as const };
    const p: Rec = rec(event?.properties) ?? {};
    const info = rec(p.info);
    const cwd = nonEmpty(payload.cwd) ?? nonEmpty(info?.directory);
    switch (type) {
      case 'session.created':
        return [
          {
            ...base,
            type: 'session.start',
            agent: { name: 'opencode', ...(nonEmpty(info?.version) ? { version: info!.version as string } : {}) },
            ...(cwd ? { cwd } : {}),
            ...(context.agentPid !== undefined ? { agentPid: context.agentPid } : {}),
          },
        ];
      case 'session.idle':
        return [{ ...base, type: 'turn.end' }];
      case 'session.deleted':
        return [{ ...base, type: 'session.end', reason: 'deleted' }];
      case 'session.error': {
        const error = rec(p.error);
        const message = nonEmpty(rec(error?.data)?.message) ?? nonEmpty(error?.message) ?? nonEmpty(error?.name) ?? 'session error';
        return [{ ...base, type: 'api.error', message }];
      }
      case 'permission.asked':
      case 'permission.updated': {
        const tool = rec(p.tool);
        const key = nonEmpty(tool?.callID) ?? nonEmpty(p.callID);
        const message = nonEmpty(p.title) ?? nonEmpty(p.permission) ?? nonEmpty(p.type) ?? 'permission requested';
        return [{ ...base, type: 'permission', message, ...(key ? { toolKey: key } : {}) }];
      }
      case 'permission.replied': {
        const reply = nonEmpty(p.reply) ?? nonEmpty(p.response) ?? 'replied';
        const key = nonEmpty(rec(p.tool)?.callID) ?? nonEmpty(p.callID);
        return [{ ...base, type: 'notification', message: `permission ${reply}`, ...(key ? { toolKey: key } : {}) }];
      }
      default:
        return [];
    }
  } catch {
    return [];
  }
};
