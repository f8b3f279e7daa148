import type { AgentInfo, Attributes, GenerationOutput } from '../events/types.js';
import {
  compactionAttributes,
  generationAttributes,
  sessionAttributes,
  subagentAttributes,
  toolAttributes,
  turnAttributes,
} from './attributes.js';
import type { CallCost } from './pricing.js';
import type { SpanState } from './span-state.js';

/** What a span's attributes need of the session. */
export interface AttributeContext {
  sessionId: string;
  agent: AgentInfo;
  provider: string | undefined;
  agentPid: number | undefined;
  cwd: string | undefined;
  costOf(span: SpanState): CallCost | undefined;
}

/** A span's name as the GenAI conventions give it (`chat MODEL`, `execute_tool NAME`, …); OTel spans keep their own. */
export function spanName(span: SpanState, agentName: string): string {
  if (span.otel) return span.otel.name;
  switch (span.kind) {
    case 'session':
      return `invoke_agent ${agentName}`;
    case 'turn':
      return span.notice ? `notice ${span.notice}` : `turn ${span.ordinal ?? 0}`;
    case 'generation':
      return span.model ? `chat ${span.model}` : 'chat';
    case 'tool':
      // A result whose call was never recorded has no name to give: it is not a tool named "unknown".
      return span.name ? `execute_tool ${span.name}` : 'execute_tool';
    case 'subagent':
      return `invoke_agent ${span.name ?? 'subagent'}`;
    case 'compaction':
      return 'compact';
  }
}

/** A span's attributes (attributes.ts builds them per kind); OTel spans keep theirs; extras and interruption on top. */
export function spanAttributes(span: SpanState, session: AttributeContext): Attributes {
  let a: Attributes;
  if (span.otel) a = { ...span.otel.attributes };
  else {
    switch (span.kind) {
      case 'session':
        a = sessionAttributes({
          sessionId: session.sessionId,
          agentName: session.agent.name,
          agentVersion: session.agent.version,
          provider: session.provider,
          agentPid: session.agentPid,
          cwd: session.cwd,
        });
        break;
      case 'turn':
        a = turnAttributes(session.sessionId, span.ordinal ?? 0);
        if (span.notice) {
          delete a['agent_trace.turn'];
          a['agent_trace.notice'] = span.notice;
        }
        break;
      case 'generation':
        a = generationAttributes(session.sessionId, {
          model: span.model,
          provider: span.provider ?? session.provider,
          responseId: span.responseId,
          finishReasons: span.finishReasons,
          usage: span.usage,
          cost: session.costOf(span),
          calledTools: Boolean((span.output as GenerationOutput | undefined)?.toolCalls?.length),
          finished: span.endTime !== undefined && span.status === 'ok' && !span.interrupted,
        });
        break;
      case 'tool':
        a = toolAttributes(session.sessionId, {
          name: span.name,
          callId: span.key,
          toolType: span.toolType,
          errorType: span.errorType,
        });
        break;
      case 'subagent':
        a = subagentAttributes(session.sessionId, { agentType: span.name ?? 'subagent', agentId: span.key, provider: session.provider, agentVersion: session.agent.version });
        // Every subagent calls a model: one that finished with none recorded lost its transcript, and its
        // calls, tools, tokens and duration are unknown, not zero.
        if (span.endTime !== undefined && !span.calls) a['agent_trace.subagent.unrecorded'] = true;
        break;
      case 'compaction':
        a = compactionAttributes(session.sessionId, span);
        break;
    }
  }
  if (span.extra) Object.assign(a, span.extra);
  if (span.interrupted) a['agent_trace.interrupted'] = true;
  return a;
}
