/**
 * `tandem/testing`: fast-check arbitraries for records, edits, clocks and conflicts, and the laws a conflict
 * resolver must satisfy. See docs/property-testing.md.
 */
export {
  DEFAULT_FIELDS,
  clockOffsetArb,
  conflictArb,
  dateArb,
  datetimeArb,
  fieldValueArb,
  isoMicros,
  modificationTimesArb,
  recordArb,
  recordInputArb,
  type ConflictArbOptions,
  type FieldSpec,
  type RecordInputArbOptions,
  type SideEdit,
} from './arbitraries.js';
export {
  LawViolation,
  deterministicLaw,
  idempotentLaw,
  latestWinsLaw,
  oneSidedEditLaw,
  orderIndependentLaw,
  sourceOfTruthLaw,
  wellFormedLaw,
  type LawOptions,
  type ResolverSubject,
} from './laws.js';
export {
  LAW_NAMES,
  checkPolicyLaws,
  renderLawReports,
  type CheckPolicyLawsOptions,
  type LawName,
  type LawReport,
} from './check-policy-laws.js';
export { renderRecordTable, type RecordTableInput } from './record-table.js';
export { sampleConflicts } from './sample-conflicts.js';
