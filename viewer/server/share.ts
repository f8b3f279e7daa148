import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import type { Redactor } from '../../src/redact.js';
import type { ViewerInfo } from './info.js';

/** The id of the JSON block the front end reads in a shared file (viewer/web/source.ts). */
const DATA_ID = 'agent-trace-data';

/**
 * A copy of a trace document passed through today's redaction rules: a rule added after the session was
 * recorded applies to the shared copy too. Ids stay as they are (they link spans), every text field goes
 * through the redactor.
 */
export function redactDocument(doc: TraceDocument, redactor: Redactor): TraceDocument {
  const text = (v: string | undefined) => (v === undefined ? undefined : redactor.redactString(v));
  const spans = doc.spans.map((sp): TraceSpan => {
    const out: TraceSpan = { ...sp, name: redactor.redactString(sp.name), attributes: redactor.redactValue(sp.attributes) as TraceSpan['attributes'] };
    if (sp.statusMessage !== undefined) out.statusMessage = redactor.redactString(sp.statusMessage);
    if (sp.input !== undefined) out.input = redactor.redactValue(sp.input);
    if (sp.output !== undefined) out.output = redactor.redactValue(sp.output);
    if (sp.events) out.events = redactor.redactValue(sp.events) as TraceSpan['events'];
    return out;
  });
  const out: TraceDocument = { ...doc, spans, summary: { ...doc.summary, filesTouched: doc.summary.filesTouched.map((f) => redactor.redactString(f)) } };
  if (doc.title !== undefined) out.title = text(doc.title)!;
  if (doc.cwd !== undefined) out.cwd = text(doc.cwd)!;
  if (doc.gitBranch !== undefined) out.gitBranch = text(doc.gitBranch)!;
  return out;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Text that can sit inside a <script> or <style> element without ending it early. */
function inertInRawText(text: string, closing: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${closing})`, 'gi'), '<\\/$1').replace(/<!--/g, '<\\!--');
}

/**
 * One self-contained HTML file showing one session with the viewer's three tabs: the built front end and the
 * trace are inlined, and the page's CSP allows only those exact inline blocks (by hash) and no request of any
 * kind (no fetch, no images from elsewhere, no fonts), so it opens from disk, offline, and tells nobody.
 */
export function buildSharedPage(options: { doc: TraceDocument; info: ViewerInfo; webRoot: string }): string {
  const js = inertInRawText(readFileSync(join(options.webRoot, 'app.js'), 'utf8'), 'script');
  const css = inertInRawText(readFileSync(join(options.webRoot, 'styles.css'), 'utf8'), 'style');
  // JSON inside HTML: `<` escaped keeps `</script>` in a prompt from closing the block
  const data = JSON.stringify({ info: options.info, doc: options.doc }).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(js)}`,
    `style-src ${sha256(css)}`,
    'img-src data:',
    "connect-src 'none'",
    "font-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "require-trusted-types-for 'script'",
    'trusted-types markdown',
  ].join('; ');
  const title = (options.doc.title ?? options.doc.sessionId).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · agent-trace</title>
<style>${css}</style>
<script type="application/json" id="${DATA_ID}">${data}</script>
<script type="module">${js}</script>
</head>
<body>
<div id="app"><p class="boot">Loading the trace…</p></div>
<noscript><p class="boot">This shared agent-trace session needs JavaScript.</p></noscript>
</body>
</html>
`;
}
