import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { shortHash } from '../model/ids.js';

export const JOURNAL_FILE = 'events.jsonl';
export const TRACE_FILE = 'trace.json';
export const CRASH_MARKER = 'crashed';
/** Journal length the current trace.json was built from: tells readers whether it is up to date. */
export const MATERIALIZED_FILE = 'materialized';
export const LOCK_FILE = 'lock';
export const LOG_FILE = 'agent-trace.log';

const MAX_FOLDER = 100;
const SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * The folder of a session: safe on every filesystem and injective. An id made only of `[a-z0-9_-]` is used as
 * it is; any other id (unsafe characters, upper case — case-insensitive filesystems would merge `A` and `a` —
 * or too long) is cleaned and gets a hash of the raw id, so two ids never share a folder and none escapes.
 */
export function sessionFolderName(sessionId: string): string {
  if (sessionId.length <= MAX_FOLDER && SAFE.test(sessionId) && sessionId === sessionId.toLowerCase()) return sessionId;
  const hash = shortHash(sessionId, 12);
  const cleaned = sessionId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_FOLDER - hash.length - 1);
  return `${cleaned}-${hash}`;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'agent-trace');
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENT_TRACE_CONFIG) return resolve(env.AGENT_TRACE_CONFIG);
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'agent-trace', 'config.json');
}

export function sessionsDir(dir: string): string {
  return join(dir, 'sessions');
}

export function sessionFolder(dir: string, sessionId: string): string {
  return join(sessionsDir(dir), sessionFolderName(sessionId));
}
