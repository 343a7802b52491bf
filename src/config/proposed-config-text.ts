import type { MappingProposal, ProposedObject } from './propose-mappings.js';

/** What the proposal is written with: the connection sections (secrets as `${VAR}`) and where they came from. */
export interface ProposedConfigInput {
  readonly proposal: MappingProposal;
  /** `erp:` section body after `type:` (two-space indented), e.g. `  url: ${ERP_DATABASE_URL}\n`. */
  readonly erp: { readonly type: string; readonly section: string; readonly described: string };
  readonly crm: { readonly type: string; readonly section: string; readonly described: string };
  /** When the systems were read (ISO-8601), for the header. */
  readonly at: string;
}

/**
 * The commented tandem.yaml `tandem init` writes after reading both systems: the connection sections, then one
 * mapping per proposed pair, each with its notes as comments (what could not be decided, ties, columns left out),
 * and the tables no CRM object fitted. Pure.
 */
export function proposedConfigText(input: ProposedConfigInput): string {
  const { proposal } = input;
  const out: string[] = [
    `# tandem.yaml -- written by \`tandem init\` from what both systems reported on ${input.at}:`,
    `#   the ERP: ${input.erp.described}; the CRM: ${input.crm.described}.`,
    '# Mappings below are proposals by name and type: read every "# check:" comment, then run `tandem sync --dry-run`.',
    '# Reference: docs/configuration.md (every key); editor support: docs/tandem.schema.json.',
    '# Secrets are never written here: use ${VAR} references to environment variables.',
    '',
    'sync: default',
    '',
    "# tandem's own state: embedded under .tandem/state unless TANDEM_STATE_URL names a Postgres database.",
    'state:',
    '  url: ${TANDEM_STATE_URL:-}',
    '',
    'erp:',
    `  type: ${input.erp.type}`,
    input.erp.section.trimEnd(),
    '',
    'crm:',
    `  type: ${input.crm.type}`,
    input.crm.section.trimEnd(),
    '',
    '# Conflict policies: latest-wins | erp-wins | crm-wins | manual per object, or a file in this folder',
    '# (docs/conflict-rules.md).',
    'policies:',
    '  dir: ./conflict-rules',
    '',
    '# Runs on a timer: `tandem sync --schedule` or `tandem serve` (docs/operations.md).',
    '# schedule:',
    '#   cron: "*/15 * * * *"',
    '',
  ];
  if (proposal.objects.length === 0) {
    out.push(
      '# check: no ERP table fitted a CRM object by name or fields; write the mappings by hand (docs/configuration.md).',
      'objects: {}',
    );
  } else {
    out.push('# Mapping name -> one ERP table <-> one CRM object; fields: canonical name -> native names.', 'objects:');
    for (const object of proposal.objects) out.push(...objectLines(object));
  }
  if (proposal.unmatchedTables.length > 0) {
    out.push(
      '',
      `# check: no CRM object fitted these ERP tables, so they are not mapped: ${proposal.unmatchedTables.join(', ')}.`,
    );
  }
  return `${out.join('\n')}\n`;
}

function objectLines(object: ProposedObject): string[] {
  const lines: string[] = [''];
  lines.push(
    `  # ${object.erp.table} <-> ${object.crm.object} (paired with confidence ${object.score.toFixed(2)}: names and fields alike)`,
  );
  for (const note of object.notes) lines.push(...comment(`check: ${note}`, '  '));
  lines.push(`  ${object.name}:`);
  lines.push('    erp:');
  lines.push(`      table: ${scalar(object.erp.table)}`);
  lines.push(`      key: ${scalar(object.erp.key)}   # the column holding the sync key`);
  lines.push(`      primaryKey: ${scalar(object.erp.primaryKey)}`);
  if (object.erp.updatedAt !== undefined) {
    lines.push(`      updatedAt: ${scalar(object.erp.updatedAt)}   # the modification timestamp`);
    lines.push('      capture: watermark');
  } else {
    lines.push('      capture: changelog         # check: needs `tandem erp install-capture` before the first sync');
  }
  lines.push('    crm:');
  lines.push(`      object: ${scalar(object.crm.object)}`);
  lines.push(`      externalId: ${scalar(object.crm.externalId)}   # holds the ERP key`);
  lines.push('    policy: latest-wins');
  if (object.fields.length === 0) {
    lines.push('    # check: no column found a field; map them by hand.', '    fields: {}');
    return lines;
  }
  lines.push('    fields:');
  const width = Math.max(...object.fields.map((f) => f.name.length));
  for (const field of object.fields) {
    const parts = [`erp: ${scalar(field.erp)}`, `crm: ${scalar(field.crm)}`];
    if (field.type !== 'string') parts.push(`type: ${field.type}`);
    if (field.direction !== 'both') parts.push(`direction: ${field.direction}`);
    if (field.transforms.length > 0) parts.push(`transforms: [${field.transforms.join(', ')}]`);
    const notes: string[] = [];
    if (field.score < 1) notes.push(`check: names differ`);
    if (field.alternatives.length > 0) notes.push(`or ${field.alternatives.join(', ')}`);
    if (field.direction === 'crm-to-erp') notes.push(`${field.crm} is read-only`);
    const tail = notes.length > 0 ? `   # ${notes.join('; ')}` : '';
    lines.push(`      ${`${scalar(field.name)}:`.padEnd(width + 1)} { ${parts.join(', ')} }${tail}`);
  }
  return lines;
}

/** A plain YAML scalar when it is one, else a JSON (double-quoted) string. */
function scalar(value: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

/** A comment wrapped at about 116 characters. */
function comment(text: string, indent: string): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = `${indent}#`;
  for (const word of words) {
    if (line.length + word.length + 1 > 116 && line !== `${indent}#`) {
      lines.push(line);
      line = `${indent}#  `;
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}
