import type { SpanState } from './span-state.js';

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
