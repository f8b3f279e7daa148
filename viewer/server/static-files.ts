import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { packagePath } from '../../src/package-root.js';

export interface StaticFilesOptions {
  /** Folder with the built front end; without one, `/` explains how to build it. */
  webRoot?: string;
}

/** The built front end: the package's `dist/viewer` (src/package-root.ts finds the package). */
export function findWebRoot(): string | undefined {
  const root = packagePath('dist', 'viewer');
  return existsSync(join(root, 'index.html')) && existsSync(join(root, 'app.js')) ? root : undefined;
}

/** The front end's files (index.html, app.js, styles.css) from the web root. */
export const staticFiles: FastifyPluginAsync<StaticFilesOptions> = async (app: FastifyInstance, options) => {
  const webRoot = options.webRoot;
  if (webRoot) {
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      dotfiles: 'deny',
      cacheControl: true,
      maxAge: 0,
    });
  } else {
    app.get('/', async (request, reply) =>
      reply.code(500).type('text/plain; charset=utf-8').send('agent-trace viewer: the front end is not built; run `npm run build`\n'),
    );
  }
};
