import { pathToFileURL } from 'node:url';
import { CHILD_RESULT_MARKER } from './child-process.js';

// `node --import tsx child-entry.ts <module> <export>`, input in BENCH_CHILD_INPUT: runs one measured function and
// prints its result with this process's peak RSS (maxRSS is in kilobytes on Linux) and CPU time.
const [modulePath, exportName] = process.argv.slice(2);
if (!modulePath || !exportName) throw new Error('usage: child-entry.ts <module> <export>');
const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, (input: unknown) => Promise<unknown>>;
const fn = mod[exportName];
if (typeof fn !== 'function') throw new Error(`${modulePath} exports no function ${exportName}`);
const result = await fn(JSON.parse(process.env['BENCH_CHILD_INPUT'] ?? 'null'));
const usage = process.resourceUsage();
process.stdout.write(
  `${CHILD_RESULT_MARKER}${JSON.stringify({ result, maxRssMb: Math.round(usage.maxRSS / 1024), cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000) })}\n`,
);
process.exit(0);
