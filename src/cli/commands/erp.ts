import { Command } from 'commander';
import { changeCaptureSetupOf } from '../../connectors/change-capture-setup.js';
import type { Connector } from '../../connectors/connector.js';
import type { StreamRef } from '../../model/stream.js';
import { ConfigError, EXIT, TandemError } from '../../util/errors.js';

/**
 * Loads the ERP connector (chosen by `erp.type`), its type and the ERP side of every mapped object from a tandem.yaml
 * path (wired in by the CLI).
 */
export type LoadErpConnector = (
  configPath: string,
) => Promise<{ connector: Connector; type?: string; streams: readonly StreamRef[] }>;

/**
 * `tandem erp install-capture [--object NAME]` and `tandem erp uninstall-capture [--object NAME]`: create or drop
 * changelog capture (triggers and change-log table) for every object whose options say `capture: changelog`, or for
 * the one named.
 *
 * @example
 * ```ts
 * program.addCommand(erpCommand(loadErpFromConfig))
 * // $ tandem erp install-capture --object account --config tandem.yaml
 * ```
 */
export function erpCommand(loadConnector: LoadErpConnector): Command {
  const erp = new Command('erp').description('ERP (Postgres) maintenance');
  const action = (verb: 'install' | 'uninstall') => async (opts: { object?: string; config: string }) => {
    const { connector, type, streams } = await loadConnector(opts.config);
    try {
      const setup = changeCaptureSetupOf(connector);
      if (setup === undefined) {
        throw new TandemError(
          `the ERP connector${type === undefined ? '' : ` '${type}'`} captures changes without anything to install; ` +
            `erp ${verb}-capture applies to connectors with changelog capture (postgres). Fix: nothing to do`,
          { code: 'CAPTURE_NOT_SUPPORTED', context: { ...(type === undefined ? {} : { type }) }, exitCode: EXIT.usage },
        );
      }
      const chosen = pickStreams(streams, opts.object, opts.config);
      for (const stream of chosen) {
        if (verb === 'install') await setup.installCapture(stream);
        else await setup.uninstallCapture(stream);
        process.stdout.write(
          `${verb === 'install' ? 'installed' : 'uninstalled'} change capture for ${stream.name} (${stream.entity})\n`,
        );
      }
    } finally {
      await connector.close();
    }
  };
  erp
    .command('install-capture')
    .description('create the change-log table and capture triggers (needs permission to create triggers)')
    .option('--object <name>', 'only this mapped object (default: every object with capture: changelog)')
    .option('-c, --config <path>', 'tandem.yaml', 'tandem.yaml')
    .action(action('install'));
  erp
    .command('uninstall-capture')
    .description('drop the capture triggers and pending change-log entries')
    .option('--object <name>', 'only this mapped object (default: every object with capture: changelog)')
    .option('-c, --config <path>', 'tandem.yaml', 'tandem.yaml')
    .action(action('uninstall'));
  return erp;
}

/** The named stream, or every stream configured with `capture: changelog`. */
export function pickStreams(
  streams: readonly StreamRef[],
  object: string | undefined,
  configPath: string,
): readonly StreamRef[] {
  if (object === undefined) return streams.filter((s) => s.options['capture'] === 'changelog');
  const found = streams.find((s) => s.name === object);
  if (found === undefined) {
    const names = streams.map((s) => s.name).join(', ') || '(none)';
    throw new ConfigError(`no mapped object named ${JSON.stringify(object)} in ${configPath}; objects: ${names}`, [
      { file: configPath, path: 'objects', message: `unknown object ${JSON.stringify(object)}; objects: ${names}` },
    ]);
  }
  return [found];
}
