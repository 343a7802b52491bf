/**
 * tandem's public API, for embedding the engine or writing a connector or resolver of your own.
 * The property-testing kit is a separate entry point: `tandem/testing`.
 */
export type { SystemId } from './model/system.js';
export type { FieldValue, Fields, NativeRecord, CanonicalRecord } from './model/record.js';
export type { StreamRef } from './model/stream.js';
export type { Watermark } from './model/watermark.js';
export { compareWatermarks } from './model/watermark.js';
export type {
  Conflict,
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
export { MemoryConnector } from './connectors/memory/memory-connector.js';
export { MemorySystem } from './connectors/memory/memory-system.js';
export { PostgresConnector } from './connectors/postgres/postgres-connector.js';
export { SalesforceConnector } from './connectors/salesforce/salesforce-connector.js';
export {
  startSalesforceEmulator,
  type RunningSalesforceEmulator,
  type SalesforceEmulatorOptions,
  type FaultConfig,
} from './emulator/salesforce/index.js';

export type { ConflictResolver } from './resolve/conflict-resolver.js';
export {
  latestWins,
  sourceOfTruth,
  manual,
  strategyResolver,
  ResolverRegistry,
  registerResolver,
  loadPolicyFile,
  resolverForMapping,
  explainRecord,
  diffPolicies,
} from './resolve/index.js';
export {
  planRecord,
  ResolverContractError,
  type RecordInput,
  type RecordPlan,
  type PlannedWrite,
  type FieldOutcome,
  type RecordChangeKind,
} from './diff/plan-record.js';

export type { TandemConfig, ObjectMapping, FieldMapping } from './config/tandem-config.js';
export { loadConfig, parseConfig } from './config/tandem-config.js';
export { createObjectMapper, type ObjectMapper } from './mapping/object-mapper.js';

export { StateStore } from './state/state-store.js';
export {
  openStateDatabase,
  migrateStateDatabase,
  type StateDatabase,
  type StateTarget,
} from './state/state-database.js';
export type { WatermarkStore, WatermarkKey, StoredWatermark } from './model/watermark-store.js';
export type { ConflictQueue, QueuedConflict, ConflictAnswer } from './model/conflict-queue.js';
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
export { openEngine, type Engine, type OpenEngineOptions } from './engine/open-engine.js';

export { TandemError, ConfigError, QuotaExceededError, UnavailableError, EXIT } from './util/errors.js';
export { createLogger, silentLogger } from './util/logger.js';
