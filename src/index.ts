/**
 * tandem's public API, for embedding the engine or writing a connector or resolver of your own.
 * Separate entry points: the property-testing kit, `tandem/testing`; the emulators of remote systems, `tandem/emulator`.
 * Connectors are reached through their descriptors and the registry (see docs/writing-a-connector.md), never by class.
 */
export type { SystemId } from './model/system.js';
export type { FieldValue, Fields, NativeRecord, CanonicalRecord } from './model/record.js';
export type { StreamRef } from './model/stream.js';
export type { Watermark } from './model/watermark.js';
export { compareWatermarks } from './model/watermark.js';
export type {
  Conflict,
  ConflictAnswer,
  Decision,
  ExistenceDecision,
  FieldDecision,
  Resolution,
  SideVersion,
} from './model/conflict.js';
export type { JobLedger, JobLedgerEntry } from './model/job-ledger.js';

export type {
  CallOptions,
  ChangeBatch,
  Connector,
  ConnectorCapabilities,
  KeyEntry,
  OutboundRecord,
  ReadOptions,
  Sink,
  Source,
  WriteOptions,
  WriteResult,
} from './connectors/connector.js';
export type { ConnectorDescriptor, ConnectorOpenDeps } from './connectors/connector-descriptor.js';
export {
  ConnectorRegistry,
  UnknownConnectorTypeError,
  DuplicateConnectorTypeError,
} from './connectors/connector-registry.js';
export { BUILTIN_CONNECTORS, defaultConnectorRegistry, registerConnector } from './connectors/builtin-connectors.js';
export { strictSettings, httpUrl, nonEmpty } from './connectors/settings-schema.js';
export { changeCaptureSetupOf, type ChangeCaptureSetup } from './connectors/change-capture-setup.js';
export { memoryConnector, memorySystemNamed, type MemorySettings } from './connectors/memory/memory-descriptor.js';
export { MemorySystem, type MemoryRow } from './connectors/memory/memory-system.js';
export { postgresConnector, type PostgresSettings } from './connectors/postgres/postgres-descriptor.js';
export { salesforceConnector } from './connectors/salesforce/salesforce-descriptor.js';
export type { SalesforceSettings } from './connectors/salesforce/salesforce-connector-config.js';

export type { ConflictResolver } from './model/conflict-resolver.js';
export { latestWins } from './resolve/latest-wins.js';
export { sourceOfTruth } from './resolve/source-of-truth.js';
export { manual } from './resolve/manual.js';
export { strategyResolver } from './resolve/strategy-resolver.js';
export { ResolverRegistry, registerResolver, type StrategyFactory } from './resolve/policy/resolver-registry.js';
export type {
  FieldStrategy,
  FieldContext,
  FieldVerdict,
  ExistenceStrategy,
  ExistenceContext,
  ExistenceVerdict,
} from './resolve/field-strategy.js';
export type { PolicyMapping, PolicyField } from './resolve/policy/policy-mapping.js';
export { loadPolicyFile } from './resolve/policy/load-policy-file.js';
export { resolverForMapping } from './resolve/policy/resolver-for-mapping.js';
export { explainRecord } from './resolve/tooling/explain-record.js';
export { diffPolicies } from './resolve/tooling/diff-policies.js';
export {
  planRecord,
  ResolverContractError,
  type RecordInput,
  type RecordPlan,
  type PlannedWrite,
  type FieldOutcome,
  type RecordChangeKind,
} from './diff/plan-record.js';

export type { TandemConfig, ObjectMapping, FieldMapping, ConnectorSection } from './config/tandem-config.js';
export { parseConfig, type ParseConfigOptions } from './config/parse-config.js';
export { loadConfig } from './config/load-config.js';
export { createObjectMapper, type ObjectMapper } from './mapping/object-mapper.js';

export { StateStore } from './state/state-store.js';
export {
  openStateDatabase,
  migrateStateDatabase,
  type StateDatabase,
  type StateTarget,
} from './state/state-database.js';
export type { WatermarkStore, WatermarkKey, StoredWatermark } from './model/watermark-store.js';
export type { ConflictQueue } from './model/conflict-queue.js';
export type { QueuedConflict } from './model/queued-conflict.js';
export type { RunLog, RunSummary } from './model/run-log.js';
export type { ChangeStaging, Presence, KnownSide } from './model/change-staging.js';
export type { RecordStore, PlannedWriteView, RunProgress } from './model/record-store.js';
export type { FailedQueue, FailedRecordView } from './model/failed-queue.js';
export type { StatusQueries, QueueSizes, WatermarkView, DecisionView } from './model/status-queries.js';

export { runSync, SyncAlreadyRunningError, type SyncRunResult } from './pipeline/run-sync.js';
export { dryRunSync, type DryRunObjectPlan } from './pipeline/dry-run.js';
export type {
  SyncContext,
  SyncStores,
  SyncObject,
  SyncOptions,
  FieldMapper,
  ProgressEvent,
} from './pipeline/sync-object.js';
export { openEngine, openConnector, type Engine, type OpenEngineOptions } from './engine/open-engine.js';

export { TandemError, ConfigError, QuotaExceededError, UnavailableError, EXIT } from './util/errors.js';
export { createLogger, silentLogger } from './util/logger.js';
