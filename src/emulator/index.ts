/**
 * tandem's emulators of remote systems, as their own entry point: `tandem/emulator`. They speak the systems'
 * published protocols over real HTTP (bound to 127.0.0.1), for demos, tests and trying tandem without an account.
 *
 * @example
 * ```ts
 * import { startSalesforceEmulator } from 'tandem/emulator'
 * const emulator = await startSalesforceEmulator({ port: 0 })
 * // crm: { type: salesforce, loginUrl: emulator.url, auth: { flow: client_credentials, ... } }
 * await emulator.close()
 * ```
 */
export {
  startSalesforceEmulator,
  type RunningSalesforceEmulator,
  type SalesforceEmulatorOptions,
  type FaultConfig,
  type FaultKind,
  type EmulatorStats,
} from './salesforce/index.js';
