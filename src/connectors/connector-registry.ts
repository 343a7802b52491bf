import type { SystemId } from '../model/system.js';
import { closestMatch } from '../config/closest-match.js';
import { EXIT, TandemError } from '../util/errors.js';
import type { ConnectorDescriptor } from './connector-descriptor.js';

/**
 * No connector is registered under the `type` asked for (or it cannot serve the side asked for). The message lists the
 * registered types for that side and the closest one to a typo.
 */
export class UnknownConnectorTypeError extends TandemError {
  constructor(
    readonly type: string,
    readonly side: SystemId | undefined,
    readonly registered: readonly string[],
  ) {
    super(unknownConnectorTypeMessage(type, side, registered), {
      code: 'CONNECTOR_UNKNOWN',
      context: { type, ...(side === undefined ? {} : { side }), registered },
      exitCode: EXIT.usage,
    });
  }
}

/** A second connector registered under a type that is taken. */
export class DuplicateConnectorTypeError extends TandemError {
  constructor(readonly type: string) {
    super(
      `a connector of type '${type}' is already registered. Fix: give your connector another type, e.g. '${type}-custom'`,
      { code: 'CONNECTOR_DUPLICATE', context: { type }, exitCode: EXIT.usage },
    );
  }
}

/** `unknown crm type 'salesfroce'; did you mean 'salesforce'? registered crm types: memory, salesforce. Fix: ...` */
export function unknownConnectorTypeMessage(
  type: string,
  side: SystemId | undefined,
  registered: readonly string[],
): string {
  const guess = closestMatch(type, registered);
  const what = side === undefined ? 'connector type' : `${side} type`;
  return (
    `unknown ${what} '${type}';${guess === undefined ? '' : ` did you mean '${guess}'?`} ` +
    `registered ${side === undefined ? 'connector types' : `${side} types`}: ${registered.join(', ') || '(none)'}. ` +
    'Fix: use one of them, or register your connector first (see docs/writing-a-connector.md)'
  );
}

/**
 * The connectors tandem can open, by `type`. tandem.yaml's `erp:` / `crm:` sections, `tandem init --crm`, the JSON
 * Schema and the engine all read this registry; the built-in connectors are registered in `builtin-connectors.ts`,
 * and a library user adds their own with `register` (or `registerConnector` on the default registry).
 *
 * @example
 * ```ts
 * const registry = new ConnectorRegistry([postgresConnector])
 * registry.register(myCrmConnector)
 * registry.get('my-crm', 'crm').open(settings, deps)
 * ```
 */
export class ConnectorRegistry {
  readonly #byType = new Map<string, ConnectorDescriptor>();

  constructor(descriptors: readonly ConnectorDescriptor[] = []) {
    for (const descriptor of descriptors) this.register(descriptor);
  }

  /** Adds a connector. Throws DuplicateConnectorTypeError when the type is taken. Returns the registry. */
  register<Settings>(descriptor: ConnectorDescriptor<Settings>): this {
    if (this.#byType.has(descriptor.type)) throw new DuplicateConnectorTypeError(descriptor.type);
    if (!/^[a-z][a-z0-9-]*$/.test(descriptor.type)) {
      throw new TandemError(
        `connector type '${descriptor.type}' must match [a-z][a-z0-9-]* (it is written in tandem.yaml), e.g. 'hubspot'`,
        { code: 'CONNECTOR_INVALID', context: { type: descriptor.type }, exitCode: EXIT.usage },
      );
    }
    this.#byType.set(descriptor.type, descriptor);
    return this;
  }

  /** The connector of `type` (that serves `side`, when given), or undefined. */
  find(type: string, side?: SystemId): ConnectorDescriptor | undefined {
    const descriptor = this.#byType.get(type);
    return descriptor !== undefined && (side === undefined || descriptor.sides.includes(side)) ? descriptor : undefined;
  }

  /** The connector of `type` (that serves `side`, when given). Throws UnknownConnectorTypeError listing the others. */
  get(type: string, side?: SystemId): ConnectorDescriptor {
    const descriptor = this.find(type, side);
    if (descriptor === undefined) throw new UnknownConnectorTypeError(type, side, this.types(side));
    return descriptor;
  }

  /** Every registered connector (that serves `side`, when given), sorted by type. */
  list(side?: SystemId): readonly ConnectorDescriptor[] {
    return [...this.#byType.values()]
      .filter((d) => side === undefined || d.sides.includes(side))
      .sort((a, b) => a.type.localeCompare(b.type));
  }

  /** The registered types (that serve `side`, when given), sorted. */
  types(side?: SystemId): readonly string[] {
    return this.list(side).map((d) => d.type);
  }
}
