import { LineCounter, parseDocument } from 'yaml';
import { plainValueOf } from '../../util/yaml-limits.js';
import { PolicyFindings } from './policy-findings.js';
import { POLICY_KEYS } from './policy-schema.js';

/**
 * Step 1 of `analyzePolicy`: parses the YAML text. `raw` is the file's top-level map, or undefined when the text is
 * not valid YAML or not a map (both reported in `findings`).
 */
export function parsePolicyDocument(
  text: string,
  file: string,
): { readonly findings: PolicyFindings; readonly raw: Record<string, unknown> | undefined } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const findings = new PolicyFindings(file, doc, counter);
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const pos = error.linePos?.[0];
      findings.failAt(
        pos ? { line: pos.line, column: pos.col } : undefined,
        `YAML syntax error: ${error.message.split('\n')[0]}`,
      );
    }
    return { findings, raw: undefined };
  }
  const plain = plainValueOf(doc);
  if ('message' in plain) {
    findings.failAt({ line: 1, column: 1 }, plain.message);
    return { findings, raw: undefined };
  }
  const raw: unknown = plain.value ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    findings.fail(
      [],
      `a policy file is a set of keys (${POLICY_KEYS.join(', ')}), not a ${Array.isArray(raw) ? 'list' : typeof raw}`,
    );
    return { findings, raw: undefined };
  }
  return { findings, raw: raw as Record<string, unknown> };
}
