// Builds what the package ships: the CLI (bin), the library, and the viewer's front end, all with esbuild,
// then the type declarations with tsc. The bin is compiled JavaScript: hooks start it on every agent event.
import { build, transform } from 'esbuild';
import { createRequire } from 'node:module';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const skipTypes = process.argv.includes('--no-types');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(join(dist, 'bin'), { recursive: true, force: true });
rmSync(join(dist, 'lib'), { recursive: true, force: true });
rmSync(join(dist, 'viewer'), { recursive: true, force: true });
rmSync(join(dist, 'hook'), { recursive: true, force: true });
if (!skipTypes) rmSync(join(dist, 'types'), { recursive: true, force: true });

// src/config-validators.ts compiles the config schema with ajv at run time (~80 ms of CPU per command): the
// bundles get the same validators compiled here, once, as ajv's standalone code.
const requireHere = createRequire(import.meta.url);
async function precompiledValidators() {
  const load = async (file) => {
    const { code } = await transform(readFileSync(join(root, file), 'utf8'), { loader: 'ts', format: 'esm' });
    return import(`data:text/javascript,${encodeURIComponent(code)}`);
  };
  const { AJV_OPTIONS, ANNOTATIONS, CONFIG_SCHEMA } = await load('src/config-schema.ts');
  const Ajv = requireHere('ajv').default;
  const standalone = requireHere('ajv/dist/standalone').default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true }, schemas: { whole: CONFIG_SCHEMA, otlp: CONFIG_SCHEMA.properties.otlp } });
  for (const keyword of ANNOTATIONS) ajv.addKeyword(keyword);
  const code = standalone(ajv, { whole: 'whole', otlp: 'otlp' });
  if (/\brequire\(/.test(code)) throw new Error('the precompiled config validators need an ajv run-time module: keep the schema to keywords that do not');
  return code;
}
const validatorsCode = await precompiledValidators();
const precompiled = {
  name: 'precompiled-config-validators',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]config-validators\.ts$/ }, () => ({ contents: validatorsCode, loader: 'js' }));
  },
};

const node = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  packages: 'external',
  sourcemap: false,
  logLevel: 'warning',
  legalComments: 'none',
  // src/version.ts: the package version, read once here.
  define: { __AGENT_TRACE_VERSION__: JSON.stringify(version) },
  plugins: [precompiled],
};

await build({
  ...node,
  entryPoints: { 'agent-trace': join(root, 'src/cli/main.ts') },
  outdir: join(dist, 'bin'),
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: '#!/usr/bin/env node' },
});

await build({
  ...node,
  entryPoints: { index: join(root, 'src/index.ts') },
  outdir: join(dist, 'lib'),
});

const web = join(root, 'viewer/web');
chmodSync(join(dist, 'bin', 'agent-trace.js'), 0o755);

// The hook recorder the agents run on every event: a POSIX shell script (no Node start-up on the agent's path).
mkdirSync(join(dist, 'hook'), { recursive: true });
cpSync(join(root, 'src/hook/record.sh'), join(dist, 'hook', 'record.sh'));
chmodSync(join(dist, 'hook', 'record.sh'), 0o755);

if (existsSync(join(web, 'app.ts'))) {
  mkdirSync(join(dist, 'viewer'), { recursive: true });
  await build({
    entryPoints: [join(web, 'app.ts')],
    outfile: join(dist, 'viewer/app.js'),
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    minify: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'styles.css']) {
    if (existsSync(join(web, file))) cpSync(join(web, file), join(dist, 'viewer', file));
  }
}

if (!skipTypes) {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}
