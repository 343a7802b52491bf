import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? testFiles(join(dir, entry.name)) : /\.ts$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

describe('docs/spec.md and the tests', () => {
  it('every invariant I1.. is named ([I4]) in the title of a test that enforces it, and no title names an unknown one', () => {
    const spec = readFileSync(join(root, 'docs', 'spec.md'), 'utf8');
    const invariants = [...spec.matchAll(/^### (I\d+)\./gm)].map((m) => m[1]!);
    expect(invariants.length).toBeGreaterThanOrEqual(12);
    const named = new Set<string>();
    for (const file of testFiles(join(root, 'test')))
      for (const m of readFileSync(file, 'utf8').matchAll(/\[(I\d+)\]/g)) named.add(m[1]!);
    expect(invariants.filter((id) => !named.has(id))).toEqual([]);
    expect([...named].filter((id) => !invariants.includes(id))).toEqual([]);
  });
});
