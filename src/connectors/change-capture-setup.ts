import type { StreamRef } from '../model/stream.js';
import type { Connector } from './connector.js';

/**
 * An optional capability: a connector whose change capture needs objects created in the system once (Postgres'
 * changelog triggers and log table). `tandem erp install-capture` / `uninstall-capture` use it through
 * `changeCaptureSetupOf`, so the CLI never names a concrete connector.
 */
export interface ChangeCaptureSetup {
  /** Creates (idempotently) what capture of this stream needs. */
  installCapture(stream: StreamRef): Promise<void>;
  /** Removes what `installCapture` created for this stream. */
  uninstallCapture(stream: StreamRef): Promise<void>;
}

/** The connector's change-capture setup, or undefined when its capture needs none. */
export function changeCaptureSetupOf(connector: Connector): ChangeCaptureSetup | undefined {
  const candidate = connector as Connector & Partial<ChangeCaptureSetup>;
  return typeof candidate.installCapture === 'function' && typeof candidate.uninstallCapture === 'function'
    ? (candidate as Connector & ChangeCaptureSetup)
    : undefined;
}
