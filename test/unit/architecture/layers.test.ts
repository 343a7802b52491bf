import { join } from 'node:path';
import madge from 'madge';
import { describe, expect, it } from 'vitest';
import { LAYER_RULES, layerViolations } from '../../support/layer-rules.js';

const src = join(import.meta.dirname, '..', '..', '..', 'src');

describe('the layers of src/', () => {
  it('diff/, model/ and resolve/ import nothing above them, serve/ and console/ nothing of cli/ (madge graph)', async () => {
    const graph = (await madge(src, { fileExtensions: ['ts'] })).obj();
    expect(Object.keys(graph).length).toBeGreaterThan(100); // the graph really covers src/
    expect(graph['diff/plan-record.ts']).toContain('model/conflict-resolver.ts');
    expect(layerViolations(graph, LAYER_RULES)).toEqual([]);
  });

  it('reports an import that crosses a layer', () => {
    const graph = {
      'diff/plan-record.ts': ['model/conflict.ts', 'resolve/policy/compiled-policy.ts'],
      'model/conflict.ts': ['model/record.ts', 'util/errors.ts'],
      'resolve/latest-wins.ts': ['resolve/field-strategy.ts', 'resolve/policy/policy-schema.ts'],
      'resolve/policy/analyze-policy.ts': ['resolve/tooling/explain-record.ts', 'resolve/latest-wins.ts'],
      'resolve/tooling/explain-record.ts': ['diff/plan-record.ts'],
      'console/pages/overview-page.ts': ['report/status-report.ts', 'cli/status-report.ts'],
    };
    expect(layerViolations(graph, LAYER_RULES)).toEqual([
      'console/pages/overview-page.ts imports cli/status-report.ts (serve/ and console/ import nothing of cli/)',
      'diff/plan-record.ts imports resolve/policy/compiled-policy.ts (diff/ imports only model/)',
      'model/conflict.ts imports util/errors.ts (model/ imports nothing above it)',
      'resolve/latest-wins.ts imports resolve/policy/policy-schema.ts (the strategies in resolve/ import only model/ and util/)',
      'resolve/policy/analyze-policy.ts imports resolve/tooling/explain-record.ts (resolve/policy/ imports only the strategies, model/ and util/)',
    ]);
  });
});
