// Writes docs/tandem.schema.json from the zod schema of tandem.yaml. Run: npx tsx scripts/generate-config-schema.ts
// (test/unit/config/config-json-schema.test.ts fails when the committed file is out of date).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/config-json-schema.js';

const target = fileURLToPath(new URL('../docs/tandem.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
