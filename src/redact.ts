/**
 * Secrets never reach disk or network: every event is passed through these rules before the journal is
 * written. Rules replace the secret with `[REDACTED:<rule>]` and keep the text around it, so a trace stays
 * readable. Users add their own rules (and switch built-ins off) in the config file's `redaction` section.
 */

export interface RedactionRule {
  name: string;
  pattern: RegExp;
  /** Replacement for the whole match; `$1`-style groups keep context such as `password=`. */
  replace?: string;
}

export interface RedactionConfig {
  /** Extra rules: `{ "name": "ticket", "pattern": "TICKET-[0-9]+", "flags": "i" }`. */
  patterns?: Array<{ name: string; pattern: string; flags?: string }>;
  /** Names of built-in rules to switch off. */
  disable?: string[];
  /** Strings longer than this (in characters) are cut, so a 30 MB tool output cannot flood the journal. */
  maxStringLength?: number;
}

const SECRET_NAME = String.raw`(?:password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|private[_-]?key|token)`;

export const DEFAULT_RULES: RedactionRule[] = [
  { name: 'private-key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g },
  { name: 'anthropic-key', pattern: /\bsk-ant-[A-Za-z0-9_-]{16,}/g },
  { name: 'openai-key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { name: 'stripe-key', pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { name: 'aws-access-key', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  { name: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { name: 'gitlab-token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { name: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { name: 'slack-webhook', pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/g },
  { name: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { name: 'google-oauth-token', pattern: /\bya29\.[0-9A-Za-z_-]{20,}/g },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { name: 'bearer', pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi, replace: '$1[REDACTED:bearer]' },
  { name: 'basic-auth-url', pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+(@)/gi, replace: '$1[REDACTED:url-password]$2' },
  {
    name: 'assignment',
    // password=hunter2, "api_key": "abc", export AWS_SECRET_ACCESS_KEY=..., --token abc
    pattern: new RegExp(String.raw`(\b[A-Za-z0-9_]*${SECRET_NAME}[A-Za-z0-9_]*["']?\s*(?:[:=]|=>)\s*["']?)([^\s"'&,;}{]{4,})`, 'gi'),
    replace: '$1[REDACTED:assignment]',
  },
];

const DEFAULT_MAX_STRING = 256 * 1024;
const SECRET_KEY = new RegExp(`^[A-Za-z0-9_-]*${SECRET_NAME}[A-Za-z0-9_-]*$`, 'i');
/** Fields that identify things (never secrets, and rewriting them would break ids). */
const ID_FIELDS = new Set(['type', 'sessionId', 'key', 'agentKey', 'turnKey', 'parentToolKey', 'toolKey', 'traceId', 'spanId', 'parentSpanId', 'source']);

export class Redactor {
  private readonly rules: RedactionRule[];
  private readonly maxStringLength: number;

  constructor(config: RedactionConfig = {}) {
    const disabled = new Set(config.disable ?? []);
    this.rules = DEFAULT_RULES.filter((r) => !disabled.has(r.name));
    for (const p of config.patterns ?? []) {
      const flags = p.flags?.includes('g') ? p.flags : `${p.flags ?? ''}g`;
      this.rules.push({ name: p.name, pattern: new RegExp(p.pattern, flags) });
    }
    this.maxStringLength = config.maxStringLength ?? DEFAULT_MAX_STRING;
  }

  redactString(text: string): string {
    let out = text.length > this.maxStringLength
      ? `${text.slice(0, this.maxStringLength)}…[truncated ${text.length - this.maxStringLength} characters]`
      : text;
    if (out.length < 8) return out;
    for (const rule of this.rules) {
      rule.pattern.lastIndex = 0;
      if (!rule.pattern.test(out)) continue;
      rule.pattern.lastIndex = 0;
      out = out.replace(rule.pattern, rule.replace ?? `[REDACTED:${rule.name}]`);
    }
    return out;
  }

  /** A redacted deep copy; values under secret-looking keys (`password`, `apiKey` …) are replaced whole. */
  redactValue(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.redactString(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > 64) return '[truncated: nesting too deep]';
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && v.length > 0 && SECRET_KEY.test(k) && !/^\[REDACTED/.test(v) && !isTokenCount(k)) {
        out[k] = '[REDACTED:field]';
      } else out[k] = this.redactValue(v, depth + 1);
    }
    return out;
  }

  /** Redacts every field of an event except its identifying ones. */
  redactEvent<T extends object>(event: T): T {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(event)) out[k] = ID_FIELDS.has(k) ? v : this.redactValue(v, 1);
    return out as T;
  }
}

/** `input_tokens`, `max_tokens`: counts, not secrets. */
function isTokenCount(key: string): boolean {
  return /tokens?_?(count|total)?$/i.test(key) && /(input|output|max|total|cache|reasoning|prompt|completion)/i.test(key);
}
