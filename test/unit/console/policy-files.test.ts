import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  diagnosticsByLine,
  listPolicyFiles,
  PolicyPathError,
  policyFileIn,
  writePolicyFile,
} from '../../../src/console/policy-files.js';
import type { PolicyMapping } from '../../../src/resolve/policy/policy-mapping.js';
import { checkPolicyText } from '../../../src/resolve/tooling/check-policy-files.js';

const ACCOUNT: PolicyMapping = {
  object: 'account',
  policy: 'account.yaml',
  fields: [
    { name: 'name', type: 'string', direction: 'both' },
    { name: 'city', type: 'string', direction: 'both' },
  ],
};

/** The 1-based line of the line of `text` containing `needle` (from the text, not from the checker). */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`test bug: ${needle} not in text`);
  return index + 1;
}

describe('policyFileIn: only a policy file directly in the conflict-rules directory', () => {
  const dir = '/srv/tandem/conflict-rules';

  it('accepts a bare .yaml or .yml name, inside the directory', () => {
    expect(policyFileIn(dir, 'account.yaml')).toBe('/srv/tandem/conflict-rules/account.yaml');
    expect(policyFileIn(`${dir}/`, 'contact-2024_06.v2.yml')).toBe('/srv/tandem/conflict-rules/contact-2024_06.v2.yml');
  });

  it.each([
    '../tandem.yaml',
    '..%2Ftandem.yaml'.replace('%2F', '/'),
    '..\\tandem.yaml',
    'sub/account.yaml',
    '/etc/passwd.yaml',
    '.hidden.yaml',
    '..yaml',
    'a..yaml',
    'account.yaml\0.txt',
    'account.json',
    'account.yaml.bak',
    'account',
    '',
    'acc ount.yaml',
  ])('refuses %j', (name) => {
    expect(() => policyFileIn(dir, name)).toThrow(PolicyPathError);
  });
});

describe('diagnosticsByLine: the checker report at the editor lines', () => {
  it("puts a checker error at the typo's line, as `tandem policy check` reports it", () => {
    const text = 'object: account\ndefault: latest-wins\nfields:\n  name: erp-wins\n  city: manul\n';
    const report = checkPolicyText('account.yaml', text, [ACCOUNT]);
    const diagnostics = diagnosticsByLine(text, report);
    expect(diagnostics).toEqual([
      expect.objectContaining({ line: lineOf(text, 'manul'), severity: 'error', fileLevel: false }),
    ]);
    expect(diagnostics[0]?.message).toContain('manul');
    expect(
      diagnosticsByLine(
        text.replace('manul', 'manual'),
        checkPolicyText('account.yaml', text.replace('manul', 'manual'), [ACCOUNT]),
      ),
    ).toEqual([]);
  });

  it('sorts by line, errors before warnings on a line; file-level problems on line 1; lines clamped to the text', () => {
    const text = 'a: 1\nb: 2\nc: 3\n';
    const diagnostics = diagnosticsByLine(text, {
      errors: [
        { file: 'x.yaml', path: 'c', line: 3, message: 'E3' },
        { file: 'x.yaml', path: '', message: 'whole file' },
        { file: 'x.yaml', path: 'end', line: 99, message: 'past the end' },
      ],
      warnings: [
        { file: 'x.yaml', path: 'c', line: 3, message: 'W3' },
        { file: 'x.yaml', path: 'a', line: 0, message: 'before the start' },
      ],
    });
    expect(diagnostics.map((d) => [d.line, d.severity, d.message, d.fileLevel])).toEqual([
      [1, 'error', 'whole file', true],
      [1, 'warning', 'before the start', false],
      [3, 'error', 'E3', false],
      [3, 'error', 'past the end', false],
      [3, 'warning', 'W3', false],
    ]);
  });

  it('counts the last line of a text without a final newline, and CRLF line ends', () => {
    const issue = { file: 'x.yaml', path: '', line: 5, message: 'm' };
    expect(diagnosticsByLine('a\nb', { errors: [issue], warnings: [] })[0]?.line).toBe(2);
    expect(diagnosticsByLine('a\r\nb\r\nc\r\n', { errors: [issue], warnings: [] })[0]?.line).toBe(3);
    expect(diagnosticsByLine('', { errors: [issue], warnings: [] })[0]?.line).toBe(1);
  });
});

describe('writePolicyFile and listPolicyFiles', () => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-policy-files-'));
  const dir = join(root, 'conflict-rules');
  mkdirSync(dir);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the file in the directory and leaves no temporary file', async () => {
    writeFileSync(join(dir, 'account.yaml'), 'old\n');
    await writePolicyFile(dir, 'account.yaml', 'object: account\n');
    expect(readFileSync(join(dir, 'account.yaml'), 'utf8')).toBe('object: account\n');
    expect(readdirSync(dir)).toEqual(['account.yaml']);
  });

  it('refuses a traversal and a link (which could point outside)', async () => {
    writeFileSync(join(root, 'tandem.yaml'), 'sync: x\n');
    await expect(writePolicyFile(dir, '../tandem.yaml', 'x')).rejects.toThrow(PolicyPathError);
    symlinkSync(join(root, 'tandem.yaml'), join(dir, 'linked.yaml'));
    await expect(writePolicyFile(dir, 'linked.yaml', 'x')).rejects.toThrow(PolicyPathError);
    expect(readFileSync(join(root, 'tandem.yaml'), 'utf8')).toBe('sync: x\n');
  });

  it('lists the files of the directory and those the mappings name, with who uses them', async () => {
    const listed = await listPolicyFiles(dir, [ACCOUNT, { object: 'contact', policy: 'contact.yaml', fields: [] }]);
    expect(listed).toEqual([
      { name: 'account.yaml', usedBy: ['account'], exists: true },
      { name: 'contact.yaml', usedBy: ['contact'], exists: false },
    ]);
  });
});
