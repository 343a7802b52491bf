import type { FastifyRequest } from 'fastify';
import type { ConflictAnswer } from '../../model/conflict.js';
import { parseFieldValueText } from '../../model/field-value-text.js';
import type { FieldValue } from '../../model/record.js';
import type { ConsolePage } from '../console-page.js';
import {
  csrfField,
  csrfToken,
  noticeOf,
  objectSelect,
  queryText,
  redirectWith,
  renderPage,
  stamp,
} from '../console-page.js';
import { html } from '../html.js';

/** Who decided, in the conflict's answer. */
const ACTOR = 'console';
const LIST_LIMIT = 500;

const show = (value: FieldValue | undefined) => (value === undefined ? '(absent)' : JSON.stringify(value));

function describeAnswer(answer: ConflictAnswer): string {
  return 'take' in answer
    ? `take ${answer.take.toUpperCase()}`
    : `set ${Object.entries(answer.set)
        .map(([field, value]) => `${field} = ${JSON.stringify(value)}`)
        .join(', ')}`;
}

/** `object:key` of a checkbox (object names have no colon; keys may). */
function selection(value: string): { object: string; key: string } | null {
  const at = value.indexOf(':');
  return at > 0 ? { object: value.slice(0, at), key: value.slice(at + 1) } : null;
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** The answer a form asks for: take a side, or the `set.<field>` values given (empty ones keep waiting). */
function answerOf(body: Record<string, unknown>): ConflictAnswer | string {
  const take = body['take'];
  if (take === 'erp' || take === 'crm') return { take, by: ACTOR };
  if (take !== 'set') return 'choose take ERP, take CRM or set values';
  const set: Record<string, FieldValue> = {};
  for (const [name, value] of Object.entries(body))
    if (name.startsWith('set.') && typeof value === 'string' && value !== '') {
      set[name.slice(4)] = parseFieldValueText(value);
    }
  return Object.keys(set).length ? { set, by: ACTOR } : 'type a value in at least one field to set it';
}

/** The page's URL without the notice parameters (to come back to after a POST). */
function withoutNotice(url: string): string {
  const parsed = new URL(url, 'http://console.invalid');
  parsed.searchParams.delete('ok');
  parsed.searchParams.delete('error');
  return `${parsed.pathname}${parsed.search}`;
}

function back(request: FastifyRequest): string {
  const from = (request.body as { from?: unknown }).from;
  return typeof from === 'string' && from.startsWith('/ui/conflicts') ? from : '/ui/conflicts';
}

/**
 * Conflicts inbox: the open conflicts, filterable by object and field, with base, ERP and CRM side by side, the rule
 * that queued each and the policy version. Answer one (take a side or set values) or a selection (take a side); the
 * answer flows out on the next run ("Run now" queues one).
 */
export const conflictsPage: ConsolePage = {
  path: '/conflicts',
  title: 'Conflicts',
  register(app, ctx) {
    app.get('/ui/conflicts', async (request, reply) => {
      const object = queryText(request, 'object');
      const field = queryText(request, 'field');
      const resolved = queryText(request, 'status') === 'resolved';
      const list = (
        await ctx.store.conflicts.listConflicts(ctx.sync, {
          ...(object ? { object } : {}),
          status: resolved ? 'resolved' : 'open',
          limit: LIST_LIMIT,
        })
      ).filter((c) => !field || c.fields.some((f) => f.field === field));
      const csrf = csrfToken(reply);
      const from = withoutNotice(request.url);
      const rows = list.map((c, i) => {
        const form = `resolve-${i}`;
        const id = `${c.object}:${c.key}`;
        return html`<tbody class="conflict" data-key="${c.key}">
          <tr class="head">
            <td rowspan="${c.fields.length + 2}">
              ${
                c.status === 'open'
                  ? html`<input
                      type="checkbox"
                      name="selected"
                      value="${id}"
                      form="bulk"
                      id="sel-${i}"
                      aria-label="select ${c.object} ${c.key}"
                    />`
                  : ''
              }
            </td>
            <th scope="rowgroup" colspan="5">
              <label for="sel-${i}"
                >${c.object}
                <a href="/ui/timeline?q=${encodeURIComponent(c.key)}&amp;object=${encodeURIComponent(c.object)}"
                  >${c.key}</a
                ></label
              >
              <span class="meta"
                >queued by <span class="rule">${c.rule}</span>, policy version
                <span class="policy-version">${c.policyVersion}</span>, ${stamp(c.createdAt)};
                ${c.reason}${c.existence ? `; ${c.existence === 'erp-deleted' ? 'deleted in the ERP' : 'deleted in the CRM'} while the other side changed it` : ''}</span
              >
            </th>
          </tr>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Base</th>
            <th scope="col">ERP</th>
            <th scope="col">CRM</th>
            <th scope="col">Set value</th>
          </tr>
          ${c.fields.map(
            (f) =>
              html`<tr data-field="${f.field}">
                <th scope="row">${f.field}</th>
                <td>${show(f.base)}</td>
                <td class="erp">${show(f.erp)}</td>
                <td class="crm">${show(f.crm)}</td>
                <td>
                  ${c.status === 'open' ? html`<label class="visually-hidden" for="${form}-${f.field}">value of ${f.field} for ${c.key}</label><input id="${form}-${f.field}" name="set.${f.field}" form="${form}" placeholder="value" />` : ''}
                </td>
              </tr>`,
          )}
          <tr>
            <td colspan="6" class="row-actions">
              ${
                c.status === 'open'
                  ? html`${c.resolution ? html`<span class="answered">answered by ${c.resolution.by}: ${describeAnswer(c.resolution)}; it flows out on the next run (answer again to change it)</span> ` : ''}<button
                        type="submit"
                        form="${form}"
                        name="take"
                        value="erp"
                      >
                        Take ERP
                      </button>
                      <button type="submit" form="${form}" name="take" value="crm">Take CRM</button>
                      <button type="submit" form="${form}" name="take" value="set">Set values</button>`
                  : html`answered${c.resolution ? html` by ${c.resolution.by}: ${describeAnswer(c.resolution)}` : ''}`
              }
            </td>
          </tr>
        </tbody>`;
      });
      const forms = list.map(
        (c, i) =>
          html`<form id="resolve-${i}" method="post" action="/ui/conflicts/resolve">
            ${csrfField(csrf)} <input type="hidden" name="object" value="${c.object}" /><input
              type="hidden"
              name="key"
              value="${c.key}"
            /><input type="hidden" name="from" value="${from}" />
          </form>`,
      );
      const body = html`<form method="get" action="/ui/conflicts" class="filters" aria-label="Filter conflicts">
          ${objectSelect(ctx, object)}
          <label for="field">Field</label><input id="field" name="field" value="${field ?? ''}" placeholder="any" />
          <label for="status">Status</label
          ><select id="status" name="status">
            <option value="open">open</option>
            <option value="resolved" ${resolved ? html` selected` : ''}>resolved</option>
          </select>
          <button type="submit">Filter</button>
        </form>
        <div class="actions">
          <form id="bulk" method="post" action="/ui/conflicts/resolve-selected">
            ${csrfField(csrf)}<input type="hidden" name="from" value="${from}" />
            <span>Selected:</span>
            <button type="submit" name="take" value="erp">Take ERP for selected</button>
            <button type="submit" name="take" value="crm">Take CRM for selected</button>
          </form>
          <form method="post" action="/ui/runs/now">
            ${csrfField(csrf)}<button type="submit" id="run-now">Run now</button>
          </form>
        </div>
        <p>
          ${list.length} ${resolved ? 'resolved' : 'open'}
          conflict(s)${list.length === LIST_LIMIT ? ` (the first ${LIST_LIMIT})` : ''}. Answers flow out on the next
          run.
        </p>
        ${forms}
        <table class="grid conflicts" aria-label="Conflicts">
          <thead>
            <tr>
              <th scope="col">Select</th>
              <th scope="col" colspan="5">Conflict</th>
            </tr>
          </thead>
          ${rows}
        </table>`;
      return renderPage(reply, ctx, { title: 'Conflicts', active: '/conflicts', body, notice: noticeOf(request) });
    });

    app.post('/ui/conflicts/resolve', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const { object, key } = body;
      if (typeof object !== 'string' || typeof key !== 'string' || !ctx.objects.includes(object))
        return redirectWith(reply, back(request), { kind: 'error', text: 'no such conflict' });
      const answer = answerOf(body);
      if (typeof answer === 'string') return redirectWith(reply, back(request), { kind: 'error', text: answer });
      const ok = await ctx.store.conflicts.answerConflict(ctx.sync, object, key, answer);
      return redirectWith(
        reply,
        back(request),
        ok
          ? { kind: 'ok', text: `answered ${object} ${key}; the next run writes it to both sides` }
          : { kind: 'error', text: `no open conflict for ${object} ${key}` },
      );
    });

    app.post('/ui/conflicts/resolve-selected', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const take = body['take'];
      const selected = listOf(body['selected'])
        .map(selection)
        .filter((s): s is { object: string; key: string } => s !== null && ctx.objects.includes(s.object));
      if ((take !== 'erp' && take !== 'crm') || selected.length === 0)
        return redirectWith(reply, back(request), { kind: 'error', text: 'select conflicts, then take ERP or CRM' });
      let answered = 0;
      for (const s of selected)
        if (await ctx.store.conflicts.answerConflict(ctx.sync, s.object, s.key, { take, by: ACTOR })) answered++;
      return redirectWith(reply, back(request), {
        kind: 'ok',
        text: `answered ${answered} of ${selected.length} selected conflict(s) with ${take}; the next run writes them`,
      });
    });
  },
};
