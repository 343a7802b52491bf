/**
 * A second process for the single-process tests: opens the embedded state store in the folder given as argument,
 * prints `ready` and holds it until its standard input ends (then closes it and exits 0).
 * Usage: node --import tsx test/support/hold-embedded-store.ts <dataDir>
 */
import { openStateDatabase } from '../../src/state/state-database.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: hold-embedded-store.ts <dataDir>');
const database = await openStateDatabase({ kind: 'embedded', dataDir });
process.stdout.write('ready\n');
process.stdin.resume();
await new Promise<void>((resolve) => process.stdin.on('end', resolve));
await database.close();
