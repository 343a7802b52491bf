import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Conflict } from '../../model/conflict.js';
import type { RecordInput } from '../../diff/plan-record.js';
import { EXIT } from '../../util/errors.js';
import { UsageError } from '../cli-errors.js';
import { action, processIo, type CliIo } from '../cli-io.js';
import { checkPolicyFiles, mappingUsesFile } from '../../resolve/tooling/check-policy-files.js';
import { allowedHint } from '../../util/closest-match.js';
import type { ConflictResolver } from '../../model/conflict-resolver.js';
import { diffPolicies } from '../../resolve/tooling/diff-policies.js';
import { explainRecord } from '../../resolve/tooling/explain-record.js';
import { loadPolicyFile } from '../../resolve/policy/load-policy-file.js';
import type { PolicyMapping } from '../../resolve/policy/policy-mapping.js';
import { renderExplanation } from '../../resolve/tooling/render-explanation.js';
import { renderPolicyDiff } from '../../resolve/tooling/render-policy-diff.js';
import { BUILTIN_POLICIES, isBuiltinPolicy } from '../../resolve/policy/builtin-policies.js';
import { resolverForMapping } from '../../resolve/policy/resolver-for-mapping.js';
import type { ResolverRegistry } from '../../resolve/policy/resolver-registry.js';
import { analyzePolicy } from '../../resolve/policy/analyze-policy.js';
import { readFileSync } from 'node:fs';
import { checkPolicyLaws, renderLawReports, type LawReport } from '../../testing/check-policy-laws.js';
import { sampleConflicts } from '../../testing/sample-conflicts.js';

/**
 * What `tandem policy` needs from the configuration; the lead's CLI builds it from tandem.yaml.
 *
 * @example
 * ```ts
 * program.addCommand(policyCommand(async (path) => {
 *   const config = await loadConfig(path)
 *   return { mappings: config.objects.map(toPolicyMapping), policiesDir: config.policiesDir, explain: (o, k) => store.recordInput(o, k) }
 * }))
 * ```
 */
export interface PolicyCliContext {
  /** Every mapped object: name, canonical fields (name, type, direction) and its `policy`. */
  readonly mappings: readonly PolicyMapping[];
  /** Where policy files live (`conflict-rules/`). */
  readonly policiesDir: string;
  /**
   * Set when there is no configuration (no tandem.yaml and no --config): says so. `mappings` is then empty, `check`
   * checks structure and strategies only, and `test` and `diff` (which need a mapping's fields) stop with this.
   */
  readonly withoutConfig?: string;
  /** Custom strategies policy files may name. */
  readonly registry?: ResolverRegistry;
  /**
   * The record as the planner would see it now: both sides read from the systems, with the stored state (as
   * `sync --dry-run` sees it); with `stored`, from the state store only (what tandem last saw of each side).
   */
  readonly explain?: (object: string, key: string, options: { stored: boolean }) => Promise<ExplainInput | undefined>;
  /** Recent conflicts of an object from the state store, newest first, at most `limit`. */
  readonly recentConflicts?: (object: string, limit: number) => Promise<readonly Conflict[]>;
}

/** What `policy explain` explains: the planner's input, and where its sides came from. */
export interface ExplainInput {
  readonly input: RecordInput;
  /** `systems`: both sides read now; `stored`: the state store's view only. */
  readonly source: 'systems' | 'stored';
  /** With `systems`, per side: read now (`found`), no such record now (`absent`), or not readable by key. */
  readonly sides?: Readonly<Record<'erp' | 'crm', 'found' | 'absent' | 'unreadable'>>;
}

/** The first line of an explanation: where the record's values come from, plainly. */
export function explainSourceLine(explained: ExplainInput): string {
  if (explained.source === 'stored')
    return 'from the stored state (what tandem last saw of each side, not read from the systems now; drop --stored to read them):';
  const side = (system: 'erp' | 'crm'): string => {
    const state = explained.sides?.[system] ?? 'found';
    return state === 'found'
      ? `${system}: read now`
      : state === 'absent'
        ? `${system}: no record with this key now`
        : `${system}: cannot be read by key, from the stored state`;
  };
  return `read from both systems now (${side('erp')}; ${side('crm')}), with the stored state, as sync --dry-run would plan it:`;
}

/** Where output goes; tests capture it. Defaults: process.stdout, process.stderr, process.exitCode. */
export type PolicyCliIo = Partial<CliIo>;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

/** Policy files of the directory plus those the mappings name. */
function defaultFiles(context: PolicyCliContext): string[] {
  const files = new Set<string>();
  if (existsSync(context.policiesDir)) {
    for (const name of readdirSync(context.policiesDir).sort())
      if (/\.ya?ml$/i.test(name)) files.add(join(context.policiesDir, name));
  }
  for (const m of context.mappings)
    if (m.policy && /\.ya?ml$/i.test(m.policy)) files.add(join(context.policiesDir, m.policy));
  return [...files];
}

/** A file argument as given, or found in the policies directory. */
function locateFile(context: PolicyCliContext, file: string): string {
  if (existsSync(file)) return file;
  const inDir = join(context.policiesDir, file);
  return existsSync(inDir) ? inDir : file;
}

/** The mappings a file applies to: those naming it, else the one its `object:` names. */
function mappingsFor(context: PolicyCliContext, file: string): PolicyMapping[] {
  const users = context.mappings.filter((m) => mappingUsesFile(m, file));
  if (users.length > 0) return users;
  let object: string | undefined;
  try {
    object = analyzePolicy(readFileSync(file, 'utf8'), { file, mapping: null }).object;
  } catch {
    return [];
  }
  return context.mappings.filter((m) => m.object === object);
}

function findMapping(context: PolicyCliContext, object: string): PolicyMapping {
  const mapping = context.mappings.find((m) => m.object === object);
  if (!mapping)
    throw new UsageError(
      `unknown object '${object}'${allowedHint(
        object,
        context.mappings.map((m) => m.object),
      )}`,
    );
  return mapping;
}

/**
 * `tandem policy check|test|explain|diff`. Exit codes: 0 ok; 1 when check or test found problems; 2 for wrong usage
 * or invalid configuration.
 */
export function policyCommand(
  loadContext: (configPath: string, options: { readonly explicit: boolean }) => Promise<PolicyCliContext>,
  io: PolicyCliIo = {},
): Command {
  const cliIo: CliIo = { ...processIo, ...io };
  const stdout = cliIo.stdout;

  const policy = new Command('policy')
    .description('check, test, explain and compare conflict policies (conflict-rules/*.yaml)')
    .option('-c, --config <path>', 'tandem configuration file', 'tandem.yaml');

  /** Runs an action with the context loaded, through the CLI's one `action` (exit codes, --json errors). */
  const run =
    <A extends unknown[]>(fn: (context: PolicyCliContext, json: boolean, ...args: A) => Promise<number>) =>
    (...args: A): Promise<void> =>
      action(async (...inner: A) => {
        const command = inner[inner.length - 1] as Command;
        const opts = command.optsWithGlobals<{ config: string; json?: boolean }>();
        const explicit = policy.getOptionValueSource('config') !== 'default';
        return fn(await loadContext(opts.config, { explicit }), opts.json === true, ...inner);
      }, cliIo)(...args);

  policy
    .command('check')
    .description(
      'validate policy files against the mappings: unknown fields and strategies, rules that can never apply',
    )
    .argument(
      '[files...]',
      'policy files (default: every file in the policies directory and every file a mapping names)',
    )
    .option('--json', 'machine-readable output')
    .action(
      run(async (context, json, files: string[]) => {
        const list = files.length > 0 ? files.map((f) => locateFile(context, f)) : defaultFiles(context);
        const report = await checkPolicyFiles(
          list,
          context.withoutConfig !== undefined ? null : context.mappings,
          context.registry ? { registry: context.registry } : {},
        );
        const note =
          context.withoutConfig !== undefined
            ? `${context.withoutConfig}: checked each file's structure and strategies; mappings skipped (its object and fields are not checked against tandem.yaml; pass --config to check them)`
            : undefined;
        if (json) stdout.write(`${JSON.stringify(note !== undefined ? { ...report, note } : report, null, 2)}\n`);
        else {
          if (note !== undefined) stdout.write(`note: ${note}\n`);
          const where = (i: { file: string; line?: number }): string =>
            `${i.file}${i.line !== undefined ? `:${i.line}` : ''}`;
          for (const f of report.files) {
            const bad = report.errors.some((e) => e.file === f.file);
            stdout.write(
              `${bad ? 'FAIL' : 'ok  '} ${f.file}${f.version ? ` (version ${f.version})` : ''}${f.objects.length > 0 ? `, used by ${f.objects.join(', ')}` : ''}\n`,
            );
          }
          for (const e of report.errors) stdout.write(`${where(e)}: error: ${e.message}\n`);
          for (const w of report.warnings) stdout.write(`${where(w)}: warning: ${w.message}\n`);
          stdout.write(`${report.errors.length} error(s), ${report.warnings.length} warning(s)\n`);
        }
        return report.errors.length > 0 ? EXIT.partial : EXIT.ok;
      }),
    );

  policy
    .command('test')
    .description(
      'run the policy laws (deterministic, order-independent, idempotent, one-sided edits kept) on generated records',
    )
    .argument(
      '[files...]',
      `policy files or built-in policies (${BUILTIN_POLICIES.join(', ')}); default: every policy file`,
    )
    .option('--runs <n>', 'generated cases per law (default PBT_NUM_RUNS or 100)', positiveInt)
    .option('--seed <n>', 'random seed, to replay a failure (default PBT_SEED or random)', integer)
    .option('--json', 'machine-readable output')
    .action(
      run(async (context, json, files: string[], opts: { runs?: number; seed?: number }) => {
        const list = files.length > 0 ? files : defaultFiles(context);
        const results: { file: string; object: string; version: string; reports: LawReport[] }[] = [];
        for (const entry of list) {
          const builtin = isBuiltinPolicy(entry);
          const file = builtin ? entry : locateFile(context, entry);
          const targets = builtin ? context.mappings : mappingsFor(context, file);
          if (targets.length === 0 && context.withoutConfig !== undefined)
            throw new UsageError(
              `${context.withoutConfig}; policy test generates records from a mapping's fields. Fix: pass --config <tandem.yaml>`,
            );
          if (targets.length === 0)
            throw new UsageError(
              `${file}: no mapping uses this policy and it names no mapped object, so there are no fields to test it with; set object: or policy:`,
            );
          for (const mapping of targets) {
            let subject: () => ConflictResolver;
            let version: string;
            if (builtin) {
              const resolver = await resolverForMapping(entry, context.policiesDir, mapping, context.registry);
              subject = () => resolver;
              version = `builtin:${entry}`;
            } else {
              const loaded = await loadPolicyFile(file, { mapping, registry: context.registry });
              subject = loaded.fresh;
              version = loaded.version;
            }
            const reports = checkPolicyLaws(subject, {
              fields: mapping.fields,
              object: mapping.object,
              ...(opts.runs !== undefined ? { runs: opts.runs } : {}),
              ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
              ...(entry === 'erp-wins' || entry === 'crm-wins'
                ? { sourceOfTruth: { default: entry === 'erp-wins' ? ('erp' as const) : ('crm' as const) } }
                : {}),
              ...(entry === 'latest-wins' ? { latestWins: {} } : {}),
            });
            results.push({ file, object: mapping.object, version, reports });
          }
        }
        const failed = results.some((r) => r.reports.some((l) => !l.ok));
        if (json) stdout.write(`${JSON.stringify({ ok: !failed, results }, null, 2)}\n`);
        else
          for (const r of results)
            stdout.write(`${renderLawReports(`${r.file} for ${r.object} (version ${r.version})`, r.reports)}\n`);
        return failed ? EXIT.partial : EXIT.ok;
      }),
    );

  policy
    .command('explain')
    .description(
      'show how one record would sync: values on each side, what changed, which rule decides and why, what is written',
    )
    .requiredOption('--object <name>', 'mapped object, e.g. account')
    .requiredOption('--key <key>', 'sync key of the record')
    .option('--stored', 'explain from the state store only (what tandem last saw), without reading the systems')
    .option('--json', 'machine-readable output')
    .action(
      run(async (context, json, opts: { object: string; key: string; stored?: boolean }) => {
        const mapping = findMapping(context, opts.object);
        if (!context.explain)
          throw new UsageError(
            'explain needs the state store and connectors, which this configuration does not provide',
          );
        const explained = await context.explain(opts.object, opts.key, { stored: opts.stored === true });
        if (!explained)
          throw new UsageError(
            opts.stored === true
              ? `no record ${JSON.stringify(opts.key)} in ${opts.object} in the state store. Fix: check the key, or drop --stored to read both systems`
              : `no record ${JSON.stringify(opts.key)} in ${opts.object}: neither system nor the state store knows it`,
          );
        const resolver = await resolverForMapping(
          mapping.policy ?? 'manual',
          context.policiesDir,
          mapping,
          context.registry,
        );
        const explanation = explainRecord(explained.input, resolver);
        stdout.write(
          json
            ? `${JSON.stringify({ ...explanation, source: explained.source, ...(explained.sides ? { sides: explained.sides } : {}) }, null, 2)}\n`
            : `${explainSourceLine(explained)}\n${renderExplanation(explanation)}\n`,
        );
        return EXIT.ok;
      }),
    );

  policy
    .command('diff')
    .description(
      'how many conflicts would resolve differently under a new policy (recent conflicts, or a generated sample)',
    )
    .argument('<old>', 'current policy: a file or a built-in name')
    .argument('<new>', 'proposed policy: a file or a built-in name')
    .option('--object <name>', 'mapped object (default: the object the files name)')
    .option('--sample <n>', 'how many conflicts to compare', positiveInt, 200)
    .option('--seed <n>', 'seed for generated conflicts', integer)
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (
          context,
          json,
          oldPolicy: string,
          newPolicy: string,
          opts: { object?: string; sample: number; seed?: number },
        ) => {
          if (context.withoutConfig !== undefined)
            throw new UsageError(
              `${context.withoutConfig}; policy diff compares decisions on a mapping's fields. Fix: pass --config <tandem.yaml>`,
            );
          let object = opts.object;
          for (const p of [oldPolicy, newPolicy]) {
            if (object || isBuiltinPolicy(p)) continue;
            object = mappingsFor(context, locateFile(context, p))[0]?.object;
          }
          if (!object && context.mappings.length === 1) object = context.mappings[0]!.object;
          if (!object) throw new UsageError('cannot tell which object to compare; pass --object');
          const mapping = findMapping(context, object);
          const load = async (p: string): Promise<ConflictResolver> =>
            isBuiltinPolicy(p)
              ? resolverForMapping(p, context.policiesDir, mapping, context.registry)
              : (await loadPolicyFile(locateFile(context, p), { mapping, registry: context.registry })).resolver;
          const [before, after] = [await load(oldPolicy), await load(newPolicy)];
          const recent = context.recentConflicts ? await context.recentConflicts(object, opts.sample) : [];
          const source = recent.length > 0 ? 'recent conflicts' : 'generated conflicts';
          const conflicts =
            recent.length > 0
              ? recent
              : sampleConflicts({
                  object,
                  fields: mapping.fields,
                  count: opts.sample,
                  ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
                });
          const diff = diffPolicies(before, after, conflicts);
          stdout.write(
            json ? `${JSON.stringify({ source, ...diff }, null, 2)}\n` : `${renderPolicyDiff(diff, source)}\n`,
          );
          return EXIT.ok;
        },
      ),
    );

  return policy;
}
