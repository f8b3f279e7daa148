// `npm run bench`: every row compares a measurement with a baseline measured in the same run (SPEC §8),
// prints a table of ratios and writes bench/results.json. Rows live in bench/rows/*.mjs; each exports
// `rows(ctx)`, an async function returning [{ name, value, unit, baseline?, baselineName?, ratio?, target, pass }].
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const only = process.argv.slice(2);
const files = readdirSync(join(here, 'rows')).filter((f) => f.endsWith('.mjs')).sort();
const results = [];
const work = mkdtempSync(join(tmpdir(), 'agent-trace-bench-'));
const ctx = { root, work, bin: join(root, 'dist/bin/agent-trace.js'), lib: join(root, 'dist/lib/index.js') };

for (const file of files) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  const mod = await import(pathToFileURL(join(here, 'rows', file)).href);
  try {
    for (const row of await mod.rows(ctx)) {
      results.push({ group: file.replace(/\.mjs$/, ''), ...row });
      print(row);
    }
  } catch (error) {
    console.error(`bench ${file} failed: ${error?.stack ?? error}`);
    process.exitCode = 1;
  }
}
rmSync(work, { recursive: true, force: true });

function fmt(v, unit) {
  if (v === undefined || v === null) return '-';
  const n = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
  return unit ? `${n} ${unit}` : n;
}

function print(r) {
  const ratio = r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '';
  console.log(
    `${(r.pass ? 'PASS' : 'FAIL').padEnd(5)} ${r.name.padEnd(52)} ${fmt(r.value, r.unit).padStart(14)}  ` +
      `${r.baselineName ? `${r.baselineName}: ${fmt(r.baseline, r.unit)}` : ''}`.padEnd(40) +
      ` ${ratio.padStart(9)}  target ${r.target}`,
  );
}

// A run of some rows (`npm run bench store`) replaces those groups' rows and keeps the others' last results.
let kept = [];
if (only.length) {
  try {
    const ran = new Set(results.map((r) => r.group));
    kept = JSON.parse(readFileSync(join(here, 'results.json'), 'utf8')).results.filter((r) => !ran.has(r.group));
  } catch {
    kept = []; // no earlier results: this run's rows are all there is
  }
}
writeFileSync(
  join(here, 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, results: [...kept, ...results] }, null, 2)}\n`,
);
console.log(`\n${results.filter((r) => r.pass).length}/${results.length} rows within target; written to bench/results.json`);
