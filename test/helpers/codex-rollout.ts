/**
 * A Codex CLI 0.171 rollout as Codex writes it (the record kinds and order of a real `codex exec` session): a
 * session_meta line, then per turn task_started, turn_context, the prompt, and per response its reasoning, text and
 * function calls, a token_usage_record, the calls' outputs and a token_count; task_complete ends the turn.
 * `rolloutTurns` gives each turn's lines apart, so a test can write a session as it grows.
 */
export const ROLLOUT_SESSION = '01a22795-1600-7c22-8c02-41e1537d5327';

export function rolloutTurns(turns: number, options: { toolsPerTurn?: number; outputBytes?: number; start?: number } = {}): string[][] {
  const toolsPerTurn = options.toolsPerTurn ?? 3;
  const body = 'x'.repeat(options.outputBytes ?? 400);
  let t = options.start ?? Date.parse('2026-11-29T13:00:00Z');
  const line = (type: string, payload: Record<string, unknown>) => JSON.stringify({ timestamp: new Date((t += 7)).toISOString(), type, payload });
  const total = { input_tokens: 0, cached_input_tokens: 0, cache_write_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0 };
  const out: string[][] = [];
  let response = 0;
  for (let turn = 1; turn <= turns; turn++) {
    const turnId = `01a22795-1613-7010-aa20-${String(turn).padStart(12, '0')}`;
    const lines: string[] = [];
    if (turn === 1) {
      lines.push(line('session_meta', { id: ROLLOUT_SESSION, session_id: ROLLOUT_SESSION, timestamp: new Date(t).toISOString(), cwd: '/work/bench', originator: 'codex_exec', cli_version: '0.171.0', source: 'exec', model_provider: 'openai', base_instructions: { text: 'You are Codex.' } }));
    }
    lines.push(line('event_msg', { type: 'task_started', turn_id: turnId }));
    lines.push(line('turn_context', { turn_id: turnId, cwd: '/work/bench', model: 'gpt-5.5', approval_policy: 'never' }));
    lines.push(line('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: `task ${turn}: tidy module ${turn}` }] }));
    const respond = (tools: string[], text?: string) => {
      const usage = { input_tokens: 2000 + response * 10, cached_input_tokens: 1024, cache_write_input_tokens: 0, output_tokens: 40, reasoning_output_tokens: 8, total_tokens: 2040 + response * 10 };
      response++;
      lines.push(line('response_item', { type: 'reasoning', id: `rs_${response}`, summary: [{ type: 'summary_text', text: `Thinking about step ${response}.` }], content: null, encrypted_content: null }));
      if (text) lines.push(line('response_item', { type: 'message', status: 'completed', id: `msg_${response}`, role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }));
      for (const id of tools) lines.push(line('response_item', { type: 'function_call', status: 'completed', id: `fc_${id}`, name: 'exec_command', arguments: JSON.stringify({ cmd: `cat ${id}.txt` }), call_id: id }));
      lines.push(line('token_usage_record', { thread_id: ROLLOUT_SESSION, turn_id: turnId, response_id: `resp_${response}`, usage }));
      for (const id of tools) lines.push(line('response_item', { type: 'function_call_output', call_id: id, output: `Chunk ID: ${id}\nWall time: 0.0000 seconds\nProcess exited with code ${id.endsWith('_2') ? 1 : 0}\nOutput:\n${body}` }));
      for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += usage[k];
      lines.push(line('event_msg', { type: 'token_count', info: { total_token_usage: { ...total }, last_token_usage: usage } }));
    };
    respond(Array.from({ length: toolsPerTurn }, (_, i) => `call_${turn}_${i}`), `Looking at module ${turn}.`);
    respond([], `Module ${turn} is tidy.`);
    lines.push(line('event_msg', { type: 'task_complete', turn_id: turnId, last_agent_message: `Module ${turn} is tidy.` }));
    out.push(lines);
  }
  return out;
}
