import type { AgentEvent, AgentEventType } from './types.js';

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

type FieldCheck = 'string' | 'number' | 'object' | 'any';

/** Required fields per event type beyond `type`, `sessionId` and `time`. */
const REQUIRED: Record<AgentEventType, Record<string, FieldCheck>> = {
  'session.start': {},
  'session.meta': {},
  'session.end': {},
  'session.interrupted': {},
  'session.crash': {},
  'turn.start': { prompt: 'string' },
  'turn.end': {},
  'generation.start': { key: 'string' },
  'generation.end': { key: 'string' },
  'tool.start': { key: 'string', name: 'string' },
  'tool.end': { key: 'string' },
  'subagent.start': { key: 'string' },
  'subagent.end': { key: 'string' },
  'compaction.start': {},
  'compaction.end': {},
  text: { role: 'string', text: 'string' },
  notification: {},
  permission: {},
  'api.error': {},
  interrupt: {},
  'otel.span': { traceId: 'string', spanId: 'string', name: 'string', startTime: 'number' },
};

/** Optional fields whose type is still checked when present, so a bad value never reaches the reducer. */
const OPTIONAL: Record<string, FieldCheck> = {
  key: 'string',
  agentKey: 'string',
  turnKey: 'string',
  parentToolKey: 'string',
  model: 'string',
  startTime: 'number',
  usage: 'object',
  attributes: 'object',
  agent: 'object',
  agentPid: 'number',
};

/** Fields with a closed set of values, per event type (`*`: every type). */
const ENUMS: Partial<Record<AgentEventType | '*', Record<string, readonly string[]>>> = {
  '*': { source: ['hook', 'transcript', 'sdk', 'otel', 'import', 'system'] },
  'session.end': { status: ['completed', 'error'] },
  'turn.end': { status: ['ok', 'error'] },
  'subagent.end': { status: ['ok', 'error'] },
  'tool.start': { toolType: ['function', 'extension'] },
  text: { role: ['assistant', 'system'] },
  'otel.span': { status: ['ok', 'error', 'unset'] },
};

const MAX_ID_LENGTH = 1024;

function hasType(value: unknown, check: FieldCheck): boolean {
  switch (check) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'any':
      return true;
  }
}

/**
 * Checks an event at the boundary. Returns it typed, or throws InvalidEventError naming the first problem,
 * so a malformed event is refused before it can reach a journal.
 */
export function validateEvent(input: unknown): AgentEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidEventError('event must be an object');
  }
  const event = input as Record<string, unknown>;
  const type = event.type;
  if (typeof type !== 'string' || !(type in REQUIRED)) {
    throw new InvalidEventError(`unknown event type ${JSON.stringify(type)}`);
  }
  if (typeof event.sessionId !== 'string' || event.sessionId.length === 0) {
    throw new InvalidEventError(`${type}: sessionId must be a non-empty string`);
  }
  if (event.sessionId.length > MAX_ID_LENGTH) {
    throw new InvalidEventError(`${type}: sessionId is longer than ${MAX_ID_LENGTH} characters`);
  }
  if (!hasType(event.time, 'number') || (event.time as number) < 0) {
    throw new InvalidEventError(`${type}: time must be epoch milliseconds`);
  }
  for (const [field, check] of Object.entries(REQUIRED[type as AgentEventType])) {
    if (!hasType(event[field], check)) {
      throw new InvalidEventError(`${type}: ${field} must be a ${check}`);
    }
  }
  for (const [field, check] of Object.entries(OPTIONAL)) {
    if (event[field] !== undefined && !hasType(event[field], check)) {
      throw new InvalidEventError(`${type}: ${field} must be a ${check} when present`);
    }
  }
  for (const enums of [ENUMS['*'], ENUMS[type as AgentEventType]]) {
    for (const [field, allowed] of Object.entries(enums ?? {})) {
      const value = event[field];
      if (value !== undefined && !allowed.includes(value as string)) {
        throw new InvalidEventError(`${type}: ${field} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
      }
    }
  }
  if (event.usage !== undefined) {
    // Token counts: every field (input, output, cacheRead, cacheWrite … and any a newer source adds) a count.
    for (const [field, value] of Object.entries(event.usage as Record<string, unknown>)) {
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
        throw new InvalidEventError(`${type}: usage.${field} must be a number ≥ 0, not ${JSON.stringify(value)}`);
      }
    }
  }
  if (typeof event.key === 'string' && event.key.length > MAX_ID_LENGTH) {
    throw new InvalidEventError(`${type}: key is longer than ${MAX_ID_LENGTH} characters`);
  }
  return event as unknown as AgentEvent;
}
