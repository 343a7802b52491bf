import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/parse-config.js';
import { policyMappingOf } from '../../src/engine/open-engine.js';
import type { PolicyMapping } from '../../src/resolve/policy/policy-mapping.js';

/**
 * The mappings of examples/demo.tandem.yaml as policies see them, so the example policies in conflict-rules/ are
 * checked and tested against the fields the demo really maps (not a copy of them).
 */
export function exampleMappings(): { account: PolicyMapping; contact: PolicyMapping } {
  const file = join(import.meta.dirname, '..', '..', 'examples', 'demo.tandem.yaml');
  const config = parseConfig(readFileSync(file, 'utf8'), file, {
    TANDEM_DEMO_SF_URL: 'http://127.0.0.1:1',
    TANDEM_DEMO_CLIENT_ID: 'id',
    TANDEM_DEMO_CLIENT_SECRET: 'secret',
  });
  const byName = new Map(config.objects.map((o) => [o.name, policyMappingOf(o)]));
  return { account: byName.get('account')!, contact: byName.get('contact')! };
}
