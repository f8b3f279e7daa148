import { writeFileSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { PRICE_SOURCE_LABEL, PRICES_AS_OF } from '../../model/pricing.js';
import { Redactor } from '../../redact.js';
import { version } from '../../version.js';
import { SessionNotFoundError } from '../../store/session-store.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from '../options.js';

/** `agent-trace share SESSION -o FILE.html`: one offline HTML file of a session, redacted by today's rules. */
export async function runShare(query: string, options: GlobalOptions & { output?: string }): Promise<void> {
  const { store, config } = cliContext(options);
  let sessionId: string;
  try {
    sessionId = store.resolve(query);
  } catch (error) {
    if (error instanceof SessionNotFoundError) throw new CliError(error.message);
    throw error;
  }
  const doc = store.load(sessionId);
  if (!doc) throw new CliError(`session ${sessionId} has no readable trace`);
  const { findWebRoot } = await import('../../../viewer/server/app.js');
  const { buildSharedPage, redactDocument } = await import('../../../viewer/server/share.js');
  const webRoot = findWebRoot();
  if (!webRoot) throw new CliError('the viewer front end is not built; run `npm run build`');
  const html = buildSharedPage({
    doc: redactDocument(doc, new Redactor(config.redaction)),
    info: { version: version, dir: '', pricesAsOf: PRICES_AS_OF, priceSource: PRICE_SOURCE_LABEL, prices: { ...config.prices }, priceOverrides: Object.keys(config.prices ?? {}) },
    webRoot,
  });
  const target = resolve(options.output ?? `${sessionId}.html`);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, target);
  } catch (error) {
    throw new CliError(`cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  process.stdout.write(`${target}\n`);
}
