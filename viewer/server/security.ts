import { hostname } from 'node:os';
import { isIP } from 'node:net';

/**
 * Request checks of the local viewer. It binds 127.0.0.1 by default, and a page on any other site must not be
 * able to read traces through it: a DNS-rebinding attack points a hostile name at 127.0.0.1, so every request
 * whose Host header is not the bound host (or a loopback equivalent) is refused.
 */

/** Strict CSP: scripts, styles and data only from the viewer itself; trace text can never run. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  // innerHTML only through the 'markdown' policy (markdown-it output, raw HTML disabled)
  "require-trusted-types-for 'script'",
  'trusted-types markdown',
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function isLoopbackHost(host: string): boolean {
  const h = stripBrackets(host.toLowerCase());
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

export function isWildcardHost(host: string): boolean {
  const h = stripBrackets(host);
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** How a host appears in a URL: IPv6 addresses in brackets. */
export function urlHost(host: string): string {
  const h = stripBrackets(host);
  return isIP(h) === 6 ? `[${h}]` : h;
}

/** Splits a Host header into name and port; undefined when it is malformed. */
export function parseHostHeader(value: string): { name: string; port: number | undefined } | undefined {
  const v = value.trim().toLowerCase();
  if (!v || v.length > 300 || /[\s/\\@?#]/.test(v)) return undefined;
  let name: string;
  let portText: string | undefined;
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0) return undefined;
    name = v.slice(1, close);
    const rest = v.slice(close + 1);
    if (rest) {
      if (!rest.startsWith(':')) return undefined;
      portText = rest.slice(1);
    }
    if (isIP(name) !== 6) return undefined;
  } else {
    const colon = v.lastIndexOf(':');
    if (colon >= 0) {
      if (v.indexOf(':') !== colon) return undefined; // a bare IPv6 address must be bracketed
      name = v.slice(0, colon);
      portText = v.slice(colon + 1);
    } else name = v;
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (!name) return undefined;
  if (portText === undefined) return { name, port: undefined };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  return { name, port: Number(portText) };
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * Whether a request's Host header names this server: the bound host and port exactly; for a loopback bind,
 * also localhost / 127.0.0.1 / [::1] on the same port; for a wildcard bind (0.0.0.0, ::), any IP literal
 * (an IP literal cannot be rebound) and this machine's name.
 */
export function isAllowedHost(header: string | undefined, bound: { host: string; port: number }): boolean {
  if (!header) return false;
  const parsed = parseHostHeader(header);
  if (!parsed) return false;
  if ((parsed.port ?? 80) !== bound.port) return false;
  const name = parsed.name;
  const boundHost = stripBrackets(bound.host.toLowerCase());
  if (name === boundHost) return true;
  if (isLoopbackHost(boundHost) || isWildcardHost(boundHost)) {
    if (LOOPBACK_NAMES.has(name)) return true;
  }
  if (isWildcardHost(boundHost)) {
    if (isIP(name) !== 0) return true;
    const me = hostname().toLowerCase();
    if (name === me || name === `${me}.local`) return true;
  }
  return false;
}

/** Session ids as the store accepts them: non-empty, at most 1024 characters, no control characters. */
export function isValidSessionId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(id);
}

/** Span ids: 16 hex digits (OTel), tolerated up to 64 characters of [A-Za-z0-9_-]. */
export function isValidSpanId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id);
}
