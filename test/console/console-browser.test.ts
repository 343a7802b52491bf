import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/state/package-root.js';
import { API_TOKEN, eventually } from '../support/serve-fixture.js';
import { scaled } from '../support/timeouts.js';
import { browserTestsEnabled, launchChromium, type Browser } from './chromium.js';
import {
  CONFLICT_KEY,
  POLICY_VERSION,
  REJECTED_KEY,
  SELECTED_KEY,
  createConsoleFixture,
  type ConsoleFixture,
} from './console-fixture.js';

const SCREENSHOTS = join(packageRoot(), 'docs', 'console');

describe.runIf(browserTestsEnabled('test/console/console-browser.test.ts'))(
  'the console in headless chromium (tandem serve with conflicts and a failed record)',
  () => {
    let f: ConsoleFixture;
    let browser: Browser;
    let page: Page;
    const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    const sync = () => f.config.sync;

    /** Waits until a run newer than `after` has finished; returns it. */
    const runAfter = (after: number) =>
      eventually(
        'the queued run to finish',
        async () => {
          const [run] = await f.service.engine.store.runs.listRuns(sync(), 1);
          return run && Number(run.id) > after && run.status !== 'running' ? run : undefined;
        },
        scaled(60_000),
      );
    const newestRunId = async () => Number((await f.service.engine.store.runs.listRuns(sync(), 1))[0]?.id ?? 0);

    beforeAll(async () => {
      await mkdir(SCREENSHOTS, { recursive: true });
      browser = await launchChromium();
      f = await createConsoleFixture();
      page = browser.context.pages()[0] ?? (await browser.context.newPage());
      page.setDefaultTimeout(scaled(10_000));
    }, scaled(180_000));
    afterAll(async () => {
      await browser?.close();
      await f?.close();
    });

    it('signs in with the API token once: a wrong token is refused, then an HttpOnly SameSite=Strict cookie', async () => {
      await page.goto(`${f.origin}/ui/conflicts`);
      expect(new URL(page.url()).pathname).toBe('/ui/login');
      await page.getByLabel('API token').fill('not-the-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('not the API token');
      await shot('login');
      await page.getByLabel('API token').fill(API_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/ui\/conflicts$/);
      const session = (await browser.context.cookies()).find((c) => c.name === 'tandem_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' });
      expect(session!.value).not.toContain(API_TOKEN);
    });

    it('overview: the last run per object, lag, queues, and the two charts drawn by uPlot', async () => {
      await page.goto(`${f.origin}/ui/`);
      const row = page.locator('tbody tr', { has: page.getByRole('rowheader', { name: 'account' }) });
      await expect.poll(() => row.textContent()).toContain('partial');
      const cells = await row.locator('td').allTextContents();
      // (the object's name is the row header) last run, outcome, policy, ERP lag, CRM lag, queues, conflicts, failed
      expect(cells[2]).toContain(POLICY_VERSION);
      expect(cells[3]).toMatch(/ago$/);
      expect(cells[5]).toBe('0 / 0');
      expect(cells[6]).toBe('2'); // the open conflicts
      expect(cells[7]).toContain('1'); // the failed record
      await page.locator('#chart-written canvas').waitFor();
      await page.locator('#chart-seconds canvas').waitFor();
      await shot('overview');
      await page.getByRole('link', { name: 'Runs' }).click();
      await page.waitForURL(/\/ui\/runs$/);
      expect(await page.locator('table[aria-label="Runs"] tbody tr').count()).toBe(2);
      await page.getByLabel('Status').selectOption('succeeded');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/status=succeeded/);
      expect(await page.locator('table[aria-label="Runs"] tbody tr').count()).toBe(0);
      await page.goto(`${f.origin}/ui/runs`);
      await shot('runs');
      await page.getByRole('link', { name: '#1', exact: true }).click();
      await page.waitForURL(/\/ui\/runs\/1$/);
      const rejected = page.locator('table[aria-label="Rejected records"]');
      expect(await rejected.textContent()).toContain(REJECTED_KEY);
      expect(await rejected.textContent()).toContain('REQUIRED_FIELD_MISSING');
      const crm = await page
        .locator('table[aria-label="Counts per object and side"] tr', { hasText: 'crm' })
        .locator('td')
        .allTextContents();
      expect(crm.slice(0, 6)).toEqual(['crm', '0', '8', '0', '0', '1']); // side, captured, created, updated, deleted, rejected
      await shot('run-detail');
    });

    it('failed records: "Retry now" lifts the skip, and the next run writes the record again', async () => {
      await page.goto(`${f.origin}/ui/failed`);
      const row = page.locator(`tr[data-key="${REJECTED_KEY}"]`);
      expect(await row.textContent()).toContain('skipped by fixture');
      expect(await row.textContent()).toContain('Required fields are missing');
      await shot('failed');
      const csv = await page.request.get(`${f.origin}/ui/failed.csv`);
      expect(csv.headers()['content-type']).toContain('text/csv');
      const lines = (await csv.text()).trim().split('\n');
      expect(lines[0]).toBe('object,key,system,status,reason,attempts,lastFailedAt,nextRetryAt,skippedAt,skippedBy');
      expect(lines[1]).toMatch(new RegExp(`^account,${REJECTED_KEY},crm,rejected,`));

      const before = await newestRunId();
      await row.getByRole('button', { name: `Retry account ${REJECTED_KEY} now` }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('due now: 1 failed entry');
      // Read until the action is visible in the store (the page's status line may come first on a loaded machine).
      await expect
        .poll(async () => (await f.service.engine.store.failed.listFailed(sync()))[0])
        .toMatchObject({ key: REJECTED_KEY, skippedAt: null, attempts: 1 });
      await page.getByRole('button', { name: 'Run now' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('queued a run of account');
      const run = await runAfter(before);
      expect(run.status).toBe('partial'); // still rejected: Salesforce still wants a Name
      const [again] = await f.service.engine.store.failed.listFailed(sync());
      expect(again).toMatchObject({ key: REJECTED_KEY, attempts: 2, skippedAt: null });
    });

    it('conflicts inbox: set a value for one, take the CRM for a selection, run now: the values are on both sides', async () => {
      await page.goto(`${f.origin}/ui/conflicts?object=account&field=city`);
      const conflict = page.locator(`tbody.conflict[data-key="${CONFLICT_KEY}"]`);
      const city = conflict.locator('tr[data-field="city"]');
      expect(await city.locator('td.erp').textContent()).toBe('"ERP City"');
      expect(await city.locator('td.crm').textContent()).toBe('"CRM City"');
      expect(await conflict.locator('.policy-version').textContent()).toContain(POLICY_VERSION);
      expect(await conflict.locator('.rule').textContent()).toContain('fields.city');
      await page.goto(`${f.origin}/ui/conflicts?field=name`);
      expect(await page.locator('tbody.conflict').count()).toBe(0);
      await page.goto(`${f.origin}/ui/conflicts`);
      await shot('conflicts');

      await page.getByLabel(`value of city for ${CONFLICT_KEY}`).fill('Agreed City');
      await conflict.getByRole('button', { name: 'Set values' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain(`answered account ${CONFLICT_KEY}`);
      const answered = await f.service.engine.store.conflicts.getConflict(sync(), 'account', CONFLICT_KEY);
      expect(answered?.resolution).toEqual({ set: { city: 'Agreed City' }, by: 'console' });
      expect(await conflict.locator('.answered').textContent()).toContain('set city = "Agreed City"');

      await page.getByLabel(`select account ${SELECTED_KEY}`).check();
      await page.getByRole('button', { name: 'Take CRM for selected' }).click();
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toContain('answered 1 of 1 selected conflict(s) with crm');
      const selected = await f.service.engine.store.conflicts.getConflict(sync(), 'account', SELECTED_KEY);
      expect(selected?.resolution).toEqual({ take: 'crm', by: 'console' });

      const before = await newestRunId();
      await page.getByRole('button', { name: 'Run now' }).click();
      await runAfter(before);
      await eventually(
        'the answer on both sides',
        async () => {
          const erp = await f.erpCustomer(CONFLICT_KEY);
          const crm = f.crmAccount(CONFLICT_KEY);
          const erp2 = await f.erpCustomer(SELECTED_KEY);
          const crm2 = f.crmAccount(SELECTED_KEY);
          return erp?.['city'] === 'Agreed City' &&
            crm?.['BillingCity'] === 'Agreed City' &&
            erp2?.['city'] === 'CRM City' &&
            crm2?.['BillingCity'] === 'CRM City'
            ? true
            : undefined;
        },
        scaled(10_000),
      );
      for (const key of [CONFLICT_KEY, SELECTED_KEY])
        expect((await f.service.engine.store.conflicts.getConflict(sync(), 'account', key))?.status).toBe('resolved');
      await page.goto(`${f.origin}/ui/conflicts`);
      expect(await page.locator('tbody.conflict').count()).toBe(0);
    });

    it("record timeline: found by key and by the CRM's native id, its events in order", async () => {
      await page.goto(`${f.origin}/ui/timeline`);
      await page.getByLabel('Key or native id').fill(CONFLICT_KEY);
      await page.getByRole('button', { name: 'Find' }).click();
      await page.waitForURL(/\/ui\/timeline\?q=/);
      const section = page.getByRole('region', { name: `account ${CONFLICT_KEY}` });
      const kinds = await section.locator('tr.event .kind').allTextContents();
      const first = (kind: string) => kinds.indexOf(kind);
      expect(first('captured')).toBeGreaterThanOrEqual(0);
      expect(first('conflict-queued')).toBeGreaterThan(first('captured'));
      expect(first('conflict-resolved')).toBeGreaterThan(first('conflict-queued'));
      // The answer written to both sides after the conflict was resolved.
      expect(kinds.slice(first('conflict-queued'))).toEqual(expect.arrayContaining(['planned', 'written']));
      const queued = section.locator('tr.event[data-kind="conflict-queued"] .summary').first();
      expect(await queued.textContent()).toContain(POLICY_VERSION);
      const times = await section.locator('tr.event .at').allTextContents();
      expect([...times].sort()).toEqual(times);
      await shot('timeline');

      const crmId = String(f.crmAccount(CONFLICT_KEY)!['Id']);
      await page.getByLabel('Key or native id').fill(crmId);
      await page.getByRole('button', { name: 'Find' }).click();
      await page.waitForURL(new RegExp(`q=${crmId}`));
      expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual([`account ${CONFLICT_KEY}`]);
      expect(await page.locator('.ids').textContent()).toContain(crmId);

      await page.getByLabel('Key or native id').fill('NO-SUCH-KEY');
      await page.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => page.locator('main').textContent()).toContain('No record found for NO-SUCH-KEY');
    });
  },
  scaled(120_000),
);
