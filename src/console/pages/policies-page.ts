import { readFile } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { policyMappingOf } from '../../engine/open-engine.js';
import { policyContextFor } from '../../engine/policy-context.js';
import { loadStrategyModule } from '../../engine/strategy-module.js';
import type { Conflict } from '../../model/conflict.js';
import { analyzePolicy, policyHash } from '../../resolve/policy/analyze-policy.js';
import { policyFromText } from '../../resolve/policy/load-policy-file.js';
import type { PolicyMapping } from '../../resolve/policy/policy-mapping.js';
import { resolverForMapping } from '../../resolve/policy/resolver-for-mapping.js';
import type { ResolverRegistry } from '../../resolve/policy/resolver-registry.js';
import { checkPolicyText, mappingUsesFile } from '../../resolve/tooling/check-policy-files.js';
import { diffPolicies } from '../../resolve/tooling/diff-policies.js';
import { renderPolicyDiff } from '../../resolve/tooling/render-policy-diff.js';
import { checkPolicyLaws, renderLawReports } from '../../testing/check-policy-laws.js';
import { sampleConflicts } from '../../testing/sample-conflicts.js';
import { YAML_LIMITS } from '../../util/yaml-limits.js';
import type { ConsoleContext } from '../console-context.js';
import type { ConsolePage } from '../console-page.js';
import { csrfField, csrfToken, noticeOf, queryText, redirectWith, renderPage, type Notice } from '../console-page.js';
import { html } from '../html.js';
import {
  assertPlainFile,
  diagnosticsByLine,
  listPolicyFiles,
  PolicyPathError,
  policyFileIn,
  writePolicyFile,
  type LineDiagnostic,
} from '../policy-files.js';

/** Generated cases per law when the editor runs the laws (the CLI's `policy test --runs`): quick, on demand. */
export const EDITOR_LAW_RUNS = 25;
const MAX_LAW_RUNS = 500;
/** Conflicts the editor's diff compares (the CLI's `policy diff --sample`). */
export const EDITOR_DIFF_SAMPLE = 200;
/** A policy file's text may be as large as `tandem policy check` reads (JSON-escaped, twice that). */
const BODY_LIMIT = YAML_LIMITS.maxFileBytes * 2 + 64 * 1024;

/** What the page works with, derived once from the console context. */
interface PolicyScope {
  readonly dir: string;
  readonly mappings: readonly PolicyMapping[];
  registry(): Promise<ResolverRegistry | undefined>;
}

function scopeOf(ctx: ConsoleContext): PolicyScope {
  let registry: Promise<ResolverRegistry | undefined> | undefined;
  return {
    dir: ctx.config.policies.dir,
    mappings: ctx.config.objects.map(policyMappingOf),
    registry: () => (registry ??= loadStrategyModule(ctx.config)),
  };
}

/** The mappings a file's text applies to: those naming the file, else the one its `object:` names (as the CLI). */
function targetsOf(scope: PolicyScope, name: string, text: string): PolicyMapping[] {
  const users = scope.mappings.filter((m) => mappingUsesFile(m, name));
  if (users.length > 0) return users;
  const object = analyzePolicy(text, { file: name, mapping: null }).object;
  return scope.mappings.filter((m) => m.object === object);
}

interface Checked {
  readonly diagnostics: readonly LineDiagnostic[];
  readonly errors: number;
  readonly warnings: number;
  readonly version: string | undefined;
  readonly objects: readonly string[];
}

/** The text checked by `tandem policy check`'s checker, as per-line diagnostics. Messages name the file as the CLI. */
async function check(scope: PolicyScope, name: string, text: string): Promise<Checked> {
  const registry = await scope.registry();
  const report = checkPolicyText(name, text, scope.mappings, registry ? { registry } : {});
  return {
    diagnostics: diagnosticsByLine(text, report),
    errors: report.errors.length,
    warnings: report.warnings.length,
    version: report.files[0]?.version,
    objects: report.files[0]?.objects ?? [],
  };
}

function summaryOf(checked: Checked): string {
  if (checked.errors === 0 && checked.warnings === 0)
    return `No problems: version ${checked.version ?? '-'}${checked.objects.length ? `, for ${checked.objects.join(', ')}` : ''}.`;
  return `${checked.errors} error(s), ${checked.warnings} warning(s).`;
}

/** The body of a JSON request: `{ file, text, ... }`, validated; the file name passes the path guard. */
function editRequest(scope: PolicyScope, body: unknown): { name: string; text: string; path: string } {
  const { file, text } = (body ?? {}) as { file?: unknown; text?: unknown };
  if (typeof file !== 'string' || typeof text !== 'string')
    throw new PolicyPathError(String(file), 'send { file, text } as JSON');
  return { name: file, text, path: policyFileIn(scope.dir, file) };
}

async function textOnDisk(path: string): Promise<string | undefined> {
  if ((await assertPlainFile(path)) === 'absent') return undefined;
  return readFile(path, 'utf8');
}

function lineNumbers(text: string) {
  const count = Math.max(1, text.split(/\r\n|\r|\n/).length);
  return Array.from({ length: count }, (_, i) => html`<span data-line="${i + 1}">${i + 1}</span>`);
}

function diagnosticList(diagnostics: readonly LineDiagnostic[]) {
  return diagnostics.map(
    (d) =>
      html`<li class="${d.severity}" data-line="${d.line}">
        <button type="button" class="goto" data-line="${d.line}">line ${d.line}</button>
        <span class="severity">${d.severity}</span>: ${d.path ? html`<code>${d.path}</code> ` : ''}${d.message}
      </li>`,
  );
}

/** The editor page for one file: text (as saved, or as submitted when a save was refused), its check, the actions. */
async function renderEditor(
  reply: FastifyReply,
  ctx: ConsoleContext,
  scope: PolicyScope,
  view: { name: string; text: string; base: string; notice: Notice | null },
  status = 200,
): Promise<FastifyReply> {
  const checked = await check(scope, view.name, view.text);
  const csrf = csrfToken(reply);
  const usedBy = scope.mappings.filter((m) => mappingUsesFile(m, view.name)).map((m) => m.object);
  const marks = new Map<number, string>();
  for (const d of checked.diagnostics) if (!marks.has(d.line)) marks.set(d.line, d.severity);
  const body = html`<p><a href="/ui/policies">All policy files</a></p>
    <p class="hint">
      ${usedBy.length ? `Used by ${usedBy.join(', ')}.` : 'No mapping names this file in tandem.yaml.'} Checked as you
      type by the checker of <code>tandem policy check</code>; saving writes it in the conflict-rules directory, and the
      next run decides with the new version.
    </p>
    <form
      method="post"
      action="/ui/policies/save"
      id="policy-form"
      class="policy-editor"
      data-file="${view.name}"
      data-csrf="${csrf}"
    >
      ${csrfField(csrf)}
      <input type="hidden" name="file" value="${view.name}" />
      <input type="hidden" name="base" value="${view.base}" />
      <label for="policy-text" class="editor-label">${view.name}</label>
      <div class="editor">
        <div class="gutter" id="policy-gutter" aria-hidden="true">
          ${lineNumbers(view.text).map((n, i) => {
            const mark = marks.get(i + 1);
            return mark ? html`<span class="${mark}" data-line="${i + 1}">${i + 1}</span>` : n;
          })}
        </div>
        <textarea
          id="policy-text"
          name="text"
          spellcheck="false"
          autocapitalize="off"
          autocomplete="off"
          wrap="off"
          rows="24"
          aria-describedby="policy-status"
          ${checked.errors > 0 ? html`aria-invalid="true"` : ''}
        >
${view.text}</textarea>
      </div>
      <p id="policy-status" role="status" aria-live="polite" class="${checked.errors > 0 ? 'bad' : 'good'}">
        ${summaryOf(checked)}
      </p>
      <ol id="policy-diagnostics" aria-label="Problems in ${view.name}">
        ${diagnosticList(checked.diagnostics)}
      </ol>
      <div class="actions">
        <label for="law-runs">Cases per law</label>
        <input id="law-runs" type="number" min="1" max="${MAX_LAW_RUNS}" value="${EDITOR_LAW_RUNS}" />
        <button type="button" id="run-laws" hidden>Run the laws</button>
        <button type="button" id="preview-diff" hidden>Preview the diff</button>
        <button type="submit" id="save-policy">Save</button>
      </div>
      <section aria-labelledby="laws-heading">
        <h2 id="laws-heading">Laws</h2>
        <div id="laws-result" aria-live="polite">
          <p class="hint">
            Deterministic, order-independent, idempotent, one-sided edits kept: the checks of
            <code>tandem policy test</code>, on generated records.
          </p>
        </div>
      </section>
      <section aria-labelledby="diff-heading">
        <h2 id="diff-heading">Diff against the policy in use</h2>
        <div id="diff-result" aria-live="polite">
          <p class="hint">
            How many recent conflicts this text would decide differently (<code>tandem policy diff</code>). With scripts
            on, Save shows it first and asks again.
          </p>
        </div>
      </section>
    </form>`;
  return renderPage(
    reply,
    ctx,
    {
      title: `Policy ${view.name}`,
      active: '/policies',
      body,
      notice: view.notice,
      scripts: ['/ui/assets/policy-editor.js'],
      styles: ['/ui/assets/policy-editor.css'],
    },
    status,
  );
}

/** A JSON answer for a refused request: 400 for a bad file name, 422 for text that does not check, else thrown. */
function refuse(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof PolicyPathError) return reply.code(400).send({ error: error.message });
  throw error;
}

/**
 * Policies: the files of conflict-rules/, each editable in the browser with live check (errors at their line as
 * you type, from the checker of `tandem policy check`), the laws of `tandem policy test` on demand, the diff of
 * `tandem policy diff` against the policy in use, and save (a new version, seen by the next run).
 */
export const policiesPage: ConsolePage = {
  path: '/policies',
  title: 'Policies',
  register(app, ctx) {
    const scope = scopeOf(ctx);

    app.get('/ui/policies', async (request, reply) => {
      const file = queryText(request, 'file');
      if (file !== undefined) {
        let path: string;
        try {
          path = policyFileIn(scope.dir, file);
        } catch (error) {
          if (error instanceof PolicyPathError)
            return redirectWith(reply, '/ui/policies', { kind: 'error', text: error.message });
          throw error;
        }
        const text = await textOnDisk(path);
        return renderEditor(reply, ctx, scope, {
          name: file,
          text: text ?? `object: ${targetsOf(scope, file, '')[0]?.object ?? ''}\ndefault: latest-wins\n`,
          base: text === undefined ? '' : policyHash(text),
          notice: noticeOf(request),
        });
      }
      const files = await listPolicyFiles(scope.dir, scope.mappings);
      const builtin = scope.mappings.filter((m) => !/\.ya?ml$/i.test(m.policy ?? ''));
      const body = html`<p>
          Conflict policy files in <code>${scope.dir}</code>. Edit one to check it as you type, run its laws, see what
          it would decide differently, and save it.
        </p>
        <table class="grid" aria-label="Policy files">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Used by</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            ${await Promise.all(
              files.map(async (f) => {
                const text = f.exists
                  ? await textOnDisk(policyFileIn(scope.dir, f.name)).catch(() => undefined)
                  : undefined;
                const version =
                  text === undefined ? undefined : analyzePolicy(text, { file: f.name, mapping: null }).version;
                return html`<tr>
                  <td><a href="/ui/policies?file=${encodeURIComponent(f.name)}">${f.name}</a></td>
                  <td>${f.usedBy.join(', ') || '-'}</td>
                  <td>${f.exists ? (version ?? '-') : 'missing: edit it to create it'}</td>
                </tr>`;
              }),
            )}
          </tbody>
        </table>
        ${
          builtin.length
            ? html`<p class="hint">
                Built-in policies (not files):
                ${builtin.map((m) => `${m.object}: ${m.policy ?? 'latest-wins'}`).join('; ')}.
              </p>`
            : ''
        }`;
      return renderPage(reply, ctx, { title: 'Policies', active: '/policies', body, notice: noticeOf(request) });
    });

    app.post('/ui/policies/check', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
      try {
        const { name, text } = editRequest(scope, request.body);
        const checked = await check(scope, name, text);
        return { ...checked, summary: summaryOf(checked) };
      } catch (error) {
        return refuse(reply, error);
      }
    });

    app.post('/ui/policies/laws', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
      try {
        const { name, text } = editRequest(scope, request.body);
        const asked = Number((request.body as { runs?: unknown }).runs);
        const runs = Number.isInteger(asked) && asked > 0 ? Math.min(asked, MAX_LAW_RUNS) : EDITOR_LAW_RUNS;
        const checked = await check(scope, name, text);
        if (checked.errors > 0)
          return reply
            .code(422)
            .send({ error: `Fix the ${checked.errors} error(s) first: the laws run on a valid policy.` });
        const targets = targetsOf(scope, name, text);
        if (targets.length === 0)
          return reply.code(422).send({
            error:
              'No mapping uses this file and it names no mapped object (object:), so there are no fields to test it with.',
          });
        const registry = await scope.registry();
        const results = targets.map((mapping) => {
          const loaded = policyFromText(text, name, { mapping, registry });
          const reports = checkPolicyLaws(loaded.fresh, { fields: mapping.fields, object: mapping.object, runs });
          return {
            object: mapping.object,
            version: loaded.version,
            ok: reports.every((r) => r.ok),
            text: renderLawReports(`${name} for ${mapping.object} (version ${loaded.version})`, reports),
          };
        });
        return { ok: results.every((r) => r.ok), runs, results };
      } catch (error) {
        return refuse(reply, error);
      }
    });

    app.post('/ui/policies/diff', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
      try {
        const { name, text } = editRequest(scope, request.body);
        const checked = await check(scope, name, text);
        if (checked.errors > 0)
          return reply
            .code(422)
            .send({ error: `Fix the ${checked.errors} error(s) first: the diff compares a valid policy.` });
        const mapping = targetsOf(scope, name, text)[0];
        if (!mapping)
          return reply
            .code(422)
            .send({ error: 'No mapping uses this file and it names no mapped object: nothing to compare with.' });
        const registry = await scope.registry();
        const before = await resolverForMapping(mapping.policy ?? 'latest-wins', scope.dir, mapping, registry);
        const after = policyFromText(text, name, { mapping, registry }).resolver;
        const recent: readonly Conflict[] = await policyContextFor(ctx.config, ctx.store).recentConflicts(
          mapping.object,
          EDITOR_DIFF_SAMPLE,
        );
        const source = recent.length > 0 ? 'recent conflicts' : 'generated conflicts';
        const conflicts =
          recent.length > 0
            ? recent
            : sampleConflicts({ object: mapping.object, fields: mapping.fields, count: EDITOR_DIFF_SAMPLE, seed: 1 });
        const diff = diffPolicies(before, after, conflicts);
        return {
          object: mapping.object,
          source,
          total: diff.total,
          changed: diff.changed,
          byField: diff.byField,
          text: renderPolicyDiff(diff, source),
        };
      } catch (error) {
        return refuse(reply, error);
      }
    });

    app.post('/ui/policies/save', { bodyLimit: BODY_LIMIT }, async (request: FastifyRequest, reply) => {
      const body = (request.body ?? {}) as { file?: unknown; text?: unknown; base?: unknown };
      const name = typeof body.file === 'string' ? body.file : '';
      const text = typeof body.text === 'string' ? body.text.replace(/\r\n/g, '\n') : '';
      let path: string;
      try {
        path = policyFileIn(scope.dir, name);
      } catch (error) {
        if (error instanceof PolicyPathError)
          return redirectWith(reply, '/ui/policies', { kind: 'error', text: error.message });
        throw error;
      }
      const base = typeof body.base === 'string' ? body.base : '';
      const refused = (message: string, status: number) =>
        renderEditor(reply, ctx, scope, { name, text, base, notice: { kind: 'error', text: message } }, status);
      const checked = await check(scope, name, text);
      if (checked.errors > 0) return refused(`Not saved: ${checked.errors} error(s); fix them and save again.`, 422);
      const current = await textOnDisk(path).catch((error: unknown) => {
        if (error instanceof PolicyPathError) return error;
        throw error;
      });
      if (current instanceof PolicyPathError) return refused(`Not saved: ${current.message}`, 400);
      const onDisk = current === undefined ? '' : policyHash(current);
      if (onDisk !== base)
        return refused(
          `Not saved: ${name} changed since you opened it (now ${current === undefined ? 'deleted' : `version ${onDisk}`}). Copy your text, reload the page and apply your edit again.`,
          409,
        );
      await writePolicyFile(scope.dir, name, text);
      return redirectWith(reply, `/ui/policies?file=${encodeURIComponent(name)}`, {
        kind: 'ok',
        text: `Saved ${name}: version ${checked.version ?? policyHash(text)}. The next run decides with it.`,
      });
    });
  },
};
