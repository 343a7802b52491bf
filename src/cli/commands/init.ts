import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { exampleConfigFor } from '../../config/example-config.js';
import { defaultConnectorRegistry } from '../../connectors/builtin-connectors.js';
import { proposeConfigFromSystems } from '../../engine/introspect-systems.js';
import { UsageError } from '../cli-errors.js';
import { action, loggerFor, output, withCommonOptions, type CommonOptions } from '../cli-io.js';

interface InitOptions extends CommonOptions {
  force?: boolean;
  crm: string;
  erp: string;
  erpUrl?: string;
  crmUrl?: string;
  example?: boolean;
}

/**
 * `tandem init`: with both systems' URLs (flags, or the variables their connectors name: ERP_DATABASE_URL,
 * SF_LOGIN_URL, HUBSPOT_BASE_URL, ZOHO_API_DOMAIN), reads the ERP's tables and the CRM's objects and writes the mappings it proposes, with what it
 * could not decide as comments; without them (or with --example), the commented example.
 */
export function initCommand(): Command {
  const urlEnv = (type: string, side: 'erp' | 'crm'): string | undefined =>
    defaultConnectorRegistry.types(side).includes(type)
      ? defaultConnectorRegistry.get(type, side).connection?.urlEnv
      : undefined;
  return withCommonOptions(new Command('init'))
    .description(
      'write tandem.yaml: mappings proposed from both systems when their URLs are given, else a commented example',
    )
    .option('--force', 'overwrite an existing file')
    .option(
      '--crm <type>',
      `the CRM connector (registered: ${defaultConnectorRegistry.types('crm').join(', ')})`,
      'salesforce',
    )
    .option('--erp <type>', 'the ERP connector', 'postgres')
    .option(
      '--erp-url <url>',
      'the ERP database to read, or the folder of an embedded one (default: $ERP_DATABASE_URL)',
    )
    .option(
      '--crm-url <url>',
      'the CRM to read: the Salesforce My Domain URL ($SF_LOGIN_URL; credentials SF_CLIENT_ID, SF_CLIENT_SECRET), the HubSpot API origin ($HUBSPOT_BASE_URL; HUBSPOT_TOKEN) or the Zoho API domain ($ZOHO_API_DOMAIN; ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN)',
    )
    .option('--example', 'write the commented example even when URLs are set')
    .action(
      action(async (options: InitOptions) => {
        // An unregistered type is refused before anything is written, with the registered types listed.
        const example = exampleConfigFor(options.crm, defaultConnectorRegistry);
        defaultConnectorRegistry.get(options.erp, 'erp');
        const file = resolve(options.config);
        if (existsSync(file) && !options.force) {
          throw new UsageError(
            `${file} already exists; nothing was written. Fix: edit it, pass another --config path, or add --force to overwrite it`,
            { file },
            'FILE_EXISTS',
          );
        }
        const fromEnv = (type: string, side: 'erp' | 'crm'): string | undefined => {
          const name = urlEnv(type, side);
          const value = name === undefined ? undefined : process.env[name];
          return value === '' ? undefined : value;
        };
        const givenErp = options.erpUrl ?? fromEnv(options.erp, 'erp');
        // A folder (no scheme) names an embedded database: written as an absolute path.
        const erpUrl = givenErp === undefined || givenErp.includes('://') ? givenErp : resolve(givenErp);
        const crmUrl = options.crmUrl ?? fromEnv(options.crm, 'crm');
        if (!options.example && (options.erpUrl !== undefined || options.crmUrl !== undefined)) {
          const lacking = erpUrl === undefined ? 'erp' : crmUrl === undefined ? 'crm' : undefined;
          if (lacking !== undefined)
            throw new UsageError(
              `tandem init reads both systems to propose mappings, but no ${lacking.toUpperCase()} URL was given. Fix: add --${lacking}-url <url>` +
                `${urlEnv(lacking === 'erp' ? options.erp : options.crm, lacking) ? ` (or set ${urlEnv(lacking === 'erp' ? options.erp : options.crm, lacking)})` : ''}, or pass --example for the commented example`,
              { missing: lacking },
            );
        }
        if (options.example || erpUrl === undefined || crmUrl === undefined) {
          await writeFile(file, example, 'utf8');
          output(
            options,
            { written: file, crm: options.crm, proposed: false },
            () =>
              `wrote ${file} (the commented example)\nnext: set the \${...} environment variables it names, adapt the mappings to your tables, then run: tandem sync --dry-run` +
              `\n(tandem init --erp-url <url> --crm-url <url> proposes mappings from both systems instead)`,
          );
          return;
        }
        const proposed = await proposeConfigFromSystems(
          { erp: { type: options.erp, url: erpUrl }, crm: { type: options.crm, url: crmUrl } },
          { env: process.env, logger: loggerFor(options), baseDir: dirname(file) },
        );
        await writeFile(file, proposed.text, 'utf8');
        const { objects, unmatchedTables } = proposed.proposal;
        const notes = objects.reduce((n, o) => n + o.notes.length, 0);
        output(
          options,
          {
            written: file,
            crm: options.crm,
            proposed: true,
            objects: objects.map((o) => ({
              name: o.name,
              table: o.erp.table,
              object: o.crm.object,
              fields: o.fields.length,
              notes: o.notes,
            })),
            unmatchedTables,
            env: proposed.env,
          },
          () =>
            [
              `wrote ${file}: ${objects.length} mapping${objects.length === 1 ? '' : 's'} proposed from both systems`,
              ...objects.map(
                (o) =>
                  `  ${o.name}: ${o.erp.table} <-> ${o.crm.object}, ${o.fields.length} fields${o.notes.length > 0 ? `, ${o.notes.length} to check` : ''}`,
              ),
              ...(unmatchedTables.length > 0 ? [`  not mapped: ${unmatchedTables.join(', ')}`] : []),
              notes > 0
                ? `read the "# check:" comments in it, then run: tandem sync --dry-run`
                : 'next: tandem sync --dry-run',
              ...(proposed.env.length > 0 ? [`(with ${proposed.env.join(', ')} set, as now)`] : []),
            ].join('\n'),
        );
      }),
    );
}
