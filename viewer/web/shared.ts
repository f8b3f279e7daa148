import { h } from './dom.js';

export type Tab = 'summary' | 'chat' | 'waterfall';
export const TABS: Tab[] = ['summary', 'chat', 'waterfall'];

export function sessionHref(id: string, tab?: Tab, spanId?: string): string {
  let href = `#/s/${encodeURIComponent(id)}`;
  if (tab) href += `/${tab}`;
  if (tab && spanId) href += `/${encodeURIComponent(spanId)}`;
  return href;
}

export type Route =
  | { page: 'list'; query: string }
  | { page: 'insights'; query: string }
  | { page: 'search'; query: string }
  | { page: 'session'; id: string; tab: Tab; span?: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const m = /^\/s\/([^/?]+)(?:\/([a-z]+))?(?:\/([^/?]+))?\/?$/.exec(raw);
  if (m) {
    let id: string;
    let span: string | undefined;
    try {
      id = decodeURIComponent(m[1]!);
      span = m[3] ? decodeURIComponent(m[3]) : undefined;
    } catch {
      return { page: 'list', query: '' };
    }
    const tab = (TABS as string[]).includes(m[2] ?? '') ? (m[2] as Tab) : 'summary';
    return span ? { page: 'session', id, tab, span } : { page: 'session', id, tab };
  }
  const q = raw.indexOf('?');
  const query = q >= 0 ? raw.slice(q + 1) : '';
  const path = q >= 0 ? raw.slice(0, q) : raw;
  if (path === '/insights' || path === '/search') return { page: path.slice(1) as 'insights' | 'search', query };
  return { page: 'list', query };
}

const STATUS_LABEL: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  crashed: 'Crashed',
  interrupted: 'Interrupted',
  error: 'Error',
};

export function statusBadge(status: string): HTMLElement {
  const known = status in STATUS_LABEL;
  return h('span', { class: `badge status-${known ? status : 'unknown'}` }, status === 'running' ? h('span', { class: 'pulse' }) : null, STATUS_LABEL[status] ?? status);
}
