import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`; .ci/run installs it when missing). */
export const CHROMIUM_PATH = process.env['TANDEM_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Whether the browser tests run: they need chromium. Without it they are skipped, with a message, except under CI,
 * where they run and fail (a CI without the browser must not pass by skipping them).
 */
export function browserTestsEnabled(file: string): boolean {
  if (existsSync(CHROMIUM_PATH) || process.env['CI']) return true;
  console.warn(
    `${file}: skipped: no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set TANDEM_CHROMIUM); under CI=true these tests fail instead`,
  );
  return false;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile in a temporary folder; nothing reaches out to the network by itself. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `chromium is missing at ${CHROMIUM_PATH}: CI=true requires it (apt-get install -y chromium; .ci/run does it)`,
    );
  const profile = await mkdtemp(join(tmpdir(), 'tandem-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
