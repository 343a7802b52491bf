import { Command } from 'commander';
import { changeCaptureSetupOf } from '../../connectors/change-capture-setup.js';
import type { Connector } from '../../connectors/connector.js';
import type { StreamRef } from '../../model/stream.js';
import { UsageError } from '../cli-errors.js';
import { action, processIo, withCommonOptions, type CliIo, type CommonOptions } from '../cli-io.js';

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
export function erpCommand(loadConnector: LoadErpConnector, io: CliIo = processIo): Command {
  const erp = new Command('erp').description('ERP (Postgres) maintenance');
  const run = (verb: 'install' | 'uninstall') =>
    action(async (opts: CommonOptions & { object?: string }) => {
      const { connector, type, streams } = await loadConnector(opts.config);
      try {
        const setup = changeCaptureSetupOf(connector);
        if (setup === undefined) {
          throw new UsageError(
            `the ERP connector${type === undefined ? '' : ` '${type}'`} captures changes without anything to install; ` +
              `erp ${verb}-capture applies to connectors with changelog capture (postgres). Fix: nothing to do`,
            type === undefined ? {} : { type },
            'CAPTURE_NOT_SUPPORTED',
          );
        }
        const done: { object: string; entity: string }[] = [];
        for (const stream of pickStreams(streams, opts.object, opts.config)) {
          if (verb === 'install') await setup.installCapture(stream);
          else await setup.uninstallCapture(stream);
          done.push({ object: stream.name, entity: stream.entity });
        }
        const verbed = verb === 'install' ? 'installed' : 'uninstalled';
        io.stdout.write(
          opts.json
            ? `${JSON.stringify({ [verbed]: done }, null, 2)}\n`
            : done.map((d) => `${verbed} change capture for ${d.object} (${d.entity})\n`).join(''),
        );
      } finally {
        await connector.close();
      }
    }, io);
  const option = [
    '--object <name>',
    'only this mapped object (default: every object with capture: changelog)',
  ] as const;
  erp.addCommand(
    withCommonOptions(new Command('install-capture'))
      .description('create the change-log table and capture triggers (needs permission to create triggers)')
      .option(...option)
      .action(run('install')),
  );
  erp.addCommand(
    withCommonOptions(new Command('uninstall-capture'))
      .description('drop the capture triggers and pending change-log entries')
      .option(...option)
      .action(run('uninstall')),
  );
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
    throw new UsageError(`no mapped object named ${JSON.stringify(object)} in ${configPath}; objects: ${names}`, {
      object,
      file: configPath,
    });
  }
  return [found];
}
