import { z } from 'zod';
import type { ConnectorDescriptor } from '../connector-descriptor.js';
import { strictSettings } from '../settings-schema.js';
import { MemoryConnector } from './memory-connector.js';
import { MemorySystem } from './memory-system.js';

const systems = new Map<string, MemorySystem>();

/**
 * The in-process MemorySystem called `name`, created empty on first use. `type: memory` in tandem.yaml reads and
 * writes it, so a test or a demo seeds and inspects the same data the sync sees.
 */
export function memorySystemNamed(name: string): MemorySystem {
  let system = systems.get(name);
  if (system === undefined) {
    system = new MemorySystem({ idPrefix: `${name}-` });
    systems.set(name, system);
  }
  return system;
}

/** tandem.yaml's `erp:` / `crm:` section for `type: memory` (without `type`). */
export const memorySettingsSchema = strictSettings({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'name must be letters, digits, _ or -, e.g. crm-test' })
    .optional()
    .describe('Name of the in-process system (memorySystemNamed). Default: the side, erp or crm.'),
  maxBatchSize: z.number().int().min(1).max(1_000_000).optional().describe('Largest write batch. Default 1000.'),
});

/** The validated settings of `type: memory`. */
export type MemorySettings = z.output<typeof memorySettingsSchema>;

/**
 * `type: memory`: the reference connector over an in-process MemorySystem, on either side. For tests, demos and as
 * the worked example in docs/writing-a-connector.md; its data lives as long as the process.
 */
export const memoryConnector: ConnectorDescriptor<MemorySettings> = {
  type: 'memory',
  sides: ['erp', 'crm'],
  settings: memorySettingsSchema,
  example:
    '  # name: crm                    # the in-process system (memorySystemNamed); default: the side\n' +
    '  # maxBatchSize: 1000           # largest write batch. Default: 1000\n',
  open: (settings, deps) =>
    Promise.resolve(
      new MemoryConnector({
        system: deps.system,
        data: memorySystemNamed(settings.name ?? deps.system),
        ...(settings.maxBatchSize === undefined ? {} : { maxBatchSize: settings.maxBatchSize }),
      }),
    ),
};
