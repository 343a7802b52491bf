import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresConnector } from '../../src/connectors/postgres/postgres-connector.js';
import { API_TOKEN, eventually } from '../support/serve-fixture.js';
import { scaled } from '../support/timeouts.js';
import { browserTestsEnabled, launchChromium, type Browser } from './chromium.js';
import { createConsoleFixture, POLICY_VERSION, type ConsoleFixture } from './console-fixture.js';

const SCREENSHOT = join(import.meta.dirname, '..', '..', 'docs', 'console', 'policies.png');
/** The customer whose city both sides change after the save: its conflict is decided by the saved policy. */
const NEXT_KEY = 'C000005';

/** The 1-based line of the first line of `text` containing `needle` (computed from the text, not from the page). */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`test bug: ${needle} not in text`);
  return index + 1;
}

describe.runIf(browserTestsEnabled('test/console/policies-browser.test.ts'))(
  'the Policies page in headless Chromium',
  () => {
    let fixture: ConsoleFixture;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      fixture = await createConsoleFixture();
      browser = await launchChromium();
      page = browser.context.pages()[0] ?? (await browser.context.newPage());
      page.setDefaultTimeout(scaled(15_000));
      // Nothing may come from the internet: every request goes to the console itself.
      await browser.context.route(
        (url) => !url.href.startsWith(fixture.origin),
        (route) => route.abort(),
      );
    }, scaled(180_000));

    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    it(
      'shows a typo at its line as you type, saves the fix, and the next run decides with the new version',
      async () => {
        const file = join(fixture.serve.dir, 'conflict-rules', 'account.yaml');
        const original = await readFile(file, 'utf8');
        const external: string[] = [];
        page.on('request', (request) => {
          if (!request.url().startsWith(fixture.origin)) external.push(request.url());
        });

        // Sign in, then open account.yaml from the list, with the keyboard.
        await page.goto(`${fixture.origin}/ui/policies`);
        await page.getByLabel('API token').fill(API_TOKEN);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Policies' }).waitFor();
        await page.getByRole('link', { name: 'account.yaml' }).focus();
        await page.keyboard.press('Enter');
        const editor = page.getByLabel('account.yaml', { exact: true });
        await editor.waitFor();
        expect(await editor.inputValue()).toBe(original);

        // A typo: the error appears at its line in the gutter and in the list, without saving.
        const typo = original.replace('city: manual', 'city: manul');
        const typoLine = lineOf(typo, 'manul');
        await editor.fill(typo);
        const marked = page.locator(`#policy-gutter span.error[data-line="${typoLine}"]`);
        await marked.waitFor();
        const problem = page.locator(`#policy-diagnostics li.error[data-line="${typoLine}"]`);
        expect(await problem.textContent()).toContain('manul');
        expect(await page.locator('#policy-gutter span.error').count()).toBe(1);
        expect(await editor.getAttribute('aria-invalid')).toBe('true');
        expect(await readFile(file, 'utf8')).toBe(original);
        await page.screenshot({ path: SCREENSHOT, fullPage: true });

        // "line N" takes the caret to the line.
        await problem.getByRole('button', { name: `line ${typoLine}` }).click();
        const caretLine = await editor.evaluate((el) => {
          const area = el as unknown as { value: string; selectionStart: number };
          return area.value.slice(0, area.selectionStart).split('\n').length;
        });
        expect(caretLine).toBe(typoLine);

        // The fix, with a new strategy for city and a new version label: no problems left.
        const fixed = original
          .replace('city: manual', 'city: erp-wins')
          .replace(`version: "${POLICY_VERSION}"`, 'version: "console-test v2"');
        await editor.fill(fixed);
        await page.locator('#policy-status.good').waitFor();
        expect(await page.locator('#policy-gutter span.error').count()).toBe(0);
        expect(await page.locator('#policy-status').textContent()).toContain('No problems: version console-test v2@');

        // The laws, on demand.
        await page.getByRole('button', { name: 'Run the laws' }).click();
        await page.locator('#laws-result pre').waitFor();
        const laws = (await page.locator('#laws-result').textContent()) ?? '';
        expect(laws).toContain('All laws hold.');
        expect(laws).toMatch(/ok {3}deterministic \(25 runs, seed -?\d+\)/);

        // Save: the first press shows the diff against the policy in use; the second saves.
        await page.getByRole('button', { name: 'Save' }).click();
        await page.locator('#diff-result pre').waitFor();
        const diff = (await page.locator('#diff-result').textContent()) ?? '';
        expect(diff).toMatch(/\d+ of \d+ recent conflicts would resolve differently/);
        expect(diff).toContain('city');
        expect(await readFile(file, 'utf8')).toBe(original);
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('status').filter({ hasText: 'Saved account.yaml' }).waitFor();
        expect(await page.locator('.notice.ok').textContent()).toMatch(
          /Saved account\.yaml: version console-test v2@[0-9a-f]{8}\. The next run decides with it\./,
        );
        expect(await readFile(file, 'utf8')).toBe(fixed);

        // Both sides change another customer's city; "Run now"; the decision carries the saved version.
        const erp = fixture.service.engine.erp as PostgresConnector;
        await erp.client.query(`update public.customers set city = 'ERP Town' where customer_no = $1`, [NEXT_KEY]);
        const account = fixture.crmAccount(NEXT_KEY);
        if (!account) throw new Error(`no CRM account for ${NEXT_KEY}`);
        fixture.serve.emulator.store.update('Account', String(account['Id']), { BillingCity: 'CRM Town' });
        await page.goto(`${fixture.origin}/ui/runs`);
        await page.getByRole('button', { name: 'Run now' }).click();
        await page.getByRole('status').filter({ hasText: 'queued a run' }).waitFor();
        await eventually(
          `${NEXT_KEY}'s CRM city taken from the ERP (city: erp-wins)`,
          async () => (fixture.crmAccount(NEXT_KEY)?.['BillingCity'] === 'ERP Town' ? true : undefined),
          scaled(60_000),
        );
        await page.goto(`${fixture.origin}/ui/timeline?q=${NEXT_KEY}&object=account`);
        const decided = (await page.locator('tr.event[data-kind="decided"] td.summary').last().textContent()) ?? '';
        expect(decided).toMatch(/city -> erp by \S*account\.yaml:\d+ fields\.city\[0\] \(erp-wins\)/);
        expect(decided).toMatch(/\(policy console-test v2@[0-9a-f]{8}\)/);
        expect(external).toEqual([]);
      },
      scaled(240_000),
    );

    it(
      'refuses a path outside the conflict-rules directory, and a check without the CSRF token',
      async () => {
        await page.goto(`${fixture.origin}/ui/policies?file=..%2Ftandem.yaml`);
        expect(await page.locator('.notice.error').textContent()).toContain('is not a policy file');
        const refused = await page.evaluate(async () => {
          const response = await fetch('/ui/policies/check', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ file: 'account.yaml', text: 'object: account\n' }),
          });
          return response.status;
        });
        expect(refused).toBe(403);
        const token = await page.locator('form[action="/ui/logout"] input[name="_csrf"]').inputValue();
        const traversal = await page.evaluate(async (csrf) => {
          const response = await fetch('/ui/policies/check', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
            body: JSON.stringify({ file: '../tandem.yaml', text: 'object: account\n' }),
          });
          return response.status;
        }, token);
        expect(traversal).toBe(400);
      },
      scaled(60_000),
    );
  },
);
