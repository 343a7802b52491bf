import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { benchmarksMarkdown, type BenchResults } from './report/benchmarks-markdown.js';

/**
 * Merges the results of several `npm run bench` invocations (e.g. a full run and a re-run of the scenarios that
 * failed) into one docs/benchmarks.md. Later files win for a scenario they measured; an error recorded for a
 * scenario is dropped once a later file has its report.
 *
 *   node --import tsx bench/merge-results.ts bench/results/<a>.json bench/results/<b>.json
 */
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node --import tsx bench/merge-results.ts <results.json>...');
  process.exit(2);
}
const all = await Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as BenchResults));
const reports = new Map<string, BenchResults['reports'][number]>();
const errors: Record<string, string> = {};
for (const r of all) {
  for (const report of r.reports) {
    reports.set(report.id, report);
    delete errors[report.id];
  }
  for (const [id, message] of Object.entries(r.errors)) if (!reports.has(id)) errors[id] = message;
}
const last = all[all.length - 1]!;
const merged: BenchResults = {
  ...last,
  date: all.map((r) => r.date).sort()[0]!,
  totalMs: all.reduce((sum, r) => sum + r.totalMs, 0),
  setupMs: Object.assign({}, ...all.map((r) => r.setupMs)),
  reports: [...reports.values()],
  errors,
  statements: all.flatMap((r) => r.statements ?? []),
};
await writeFile(fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url)), benchmarksMarkdown(merged));
console.error(
  `docs/benchmarks.md written from ${files.length} result files (${merged.reports.map((r) => r.id).join(', ')})`,
);
