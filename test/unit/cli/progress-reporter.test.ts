import { Writable } from 'node:stream';
import { Terminal } from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../../src/cli/progress/create-progress-reporter.js';
import { JsonProgress, type ProgressJsonLine } from '../../../src/cli/progress/json-progress.js';
import { PlainProgress } from '../../../src/cli/progress/plain-progress.js';
import { resolveProgressOutput } from '../../../src/cli/progress/progress-mode.js';
import { TtyProgress } from '../../../src/cli/progress/tty-progress.js';
import type { ProgressEvent } from '../../../src/pipeline/sync-object.js';
import { scaled } from '../../support/timeouts.js';

/** A stream that keeps what is written; `isTTY` as asked (a fake terminal for cli-progress). */
class CapturingStream extends Writable {
  readonly chunks: string[] = [];
  readonly isTTY: boolean;
  readonly columns = 120;
  readonly rows = 40;
  constructor(isTTY: boolean) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(String(chunk));
    done();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 11, 1, 12)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const capture = (phase: ProgressEvent['phase'], done: number): ProgressEvent => ({
  object: 'account',
  stage: 'capture',
  system: 'erp',
  done,
  ...(phase ? { phase } : {}),
});
const write = (phase: ProgressEvent['phase'], done: number, total = 200): ProgressEvent => ({
  object: 'account',
  stage: 'write',
  system: 'crm',
  done,
  total,
  ...(phase ? { phase } : {}),
});

/** What a terminal shows after `text`: its non-empty lines, top to bottom (xterm's own parser, headless). */
async function screenOf(text: string): Promise<string[]> {
  const terminal = new Terminal({ cols: 120, rows: 40, allowProposedApi: true, convertEol: true });
  await new Promise<void>((resolve) => terminal.write(text, resolve));
  const lines: string[] = [];
  const buffer = terminal.buffer.active;
  for (let i = 0; i < buffer.length; i++) {
    const line = buffer.getLine(i)?.translateToString(true) ?? '';
    if (line.trim() !== '') lines.push(line);
  }
  terminal.dispose();
  return lines;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + scaled(2000);
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the display did not redraw in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('--progress: which display', () => {
  it('auto: bars on a terminal, lines otherwise, nothing with --json; tty falls back to plain off a terminal', () => {
    expect(resolveProgressOutput('auto', { json: false, isTTY: true })).toBe('tty');
    expect(resolveProgressOutput('auto', { json: false, isTTY: false })).toBe('plain');
    expect(resolveProgressOutput('auto', { json: true, isTTY: true })).toBe('none');
    expect(resolveProgressOutput('json', { json: true, isTTY: false })).toBe('json');
    expect(resolveProgressOutput('tty', { json: false, isTTY: false })).toBe('plain');
    expect(createProgressReporter('none', new CapturingStream(false)).output).toBe('none');
  });
});

describe('plain progress (not a terminal)', () => {
  it('prints one line per finished stage with its count, rate and time, bulk job states, and no escape codes', () => {
    const stream = new CapturingStream(false);
    const clock = manualClock();
    const progress = new PlainProgress(stream, clock.now);
    progress.begin('tandem sync acme');
    progress.event(capture('started', 0));
    clock.advance(2000);
    progress.event(capture(undefined, 500));
    clock.advance(2000);
    progress.event(capture('finished', 1000));
    progress.event(write('started', 0, 40));
    progress.event({
      object: 'account',
      stage: 'bulk-job',
      system: 'crm',
      done: 0,
      job: { id: '750J1', state: 'Open' },
    });
    clock.advance(1000);
    progress.event(write('finished', 40, 40));
    progress.log('a log entry');
    progress.end();
    expect(stream.text).not.toContain('\x1b');
    expect(stream.text.split('\n')).toEqual([
      'tandem sync acme',
      '  account capture erp: 1000 records, 250/s, 4.0s (done)',
      '  account write crm: bulk job 750J1 Open',
      '  account write crm: 40/40 records, 40/s, 1.0s, bulk jobs: 750J1 Open (done)',
      'a log entry',
      '',
    ]);
  });

  it('a long stage gets a line with its figures and estimate every 10 s, not on every update', () => {
    const stream = new CapturingStream(false);
    const clock = manualClock();
    const progress = new PlainProgress(stream, clock.now);
    progress.event(write('started', 0, 1000));
    for (let i = 1; i <= 12; i++) {
      clock.advance(1000);
      progress.event(write(undefined, i * 10, 1000));
    }
    const lines = stream.text.trimEnd().split('\n');
    expect(lines).toEqual(['  account write crm: 100/1000 records, 10/s, 10.0s, about 1m30s left']);
  });
});

describe('JSON progress (--progress json)', () => {
  it('writes one JSON line per event with the rate and, where the total is known, the time left', () => {
    const stream = new CapturingStream(false);
    const clock = manualClock();
    const progress = new JsonProgress(stream, clock.now);
    progress.begin('tandem sync acme');
    progress.step('starting');
    progress.event(write('started', 0, 200));
    clock.advance(5000);
    progress.event(write(undefined, 50, 200));
    progress.end();
    const lines = stream.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ProgressJsonLine);
    expect(lines.map((l) => l.type)).toEqual(['begin', 'step', 'progress', 'progress', 'end']);
    const update = lines[3]!;
    expect(update).toMatchObject({
      type: 'progress',
      event: { object: 'account', stage: 'write', system: 'crm', done: 50, total: 200 },
      elapsedMs: 5000,
      perSecond: 10,
      etaSeconds: 15,
    });
    expect(lines[2]).toMatchObject({ perSecond: null, etaSeconds: null });
  });
});

describe('live progress on a terminal (cli-progress, a fake TTY read back through a headless xterm)', () => {
  it(
    'prints log entries above the bars, never into them, and leaves finished stages and logs when it ends',
    async () => {
      const stream = new CapturingStream(true);
      const progress = new TtyProgress(stream, { fps: 50 });
      progress.begin('tandem sync acme');
      progress.event(capture('started', 0));
      progress.event(capture(undefined, 100));
      progress.event(write('started', 0, 200));
      progress.event(write(undefined, 50, 200));
      await until(() => stream.text.includes('account write crm'));
      progress.log('INFO: first log entry');
      progress.log('INFO: second log entry');
      progress.step('capturing');
      await until(() => stream.text.includes('second log entry') && stream.text.includes('capturing'));
      await until(
        () =>
          stream.chunks.length > 0 &&
          stream.text.lastIndexOf('account write crm') > stream.text.lastIndexOf('second log entry'),
      );

      const live = await screenOf(stream.text);
      const first = live.findIndex((l) => l.includes('first log entry'));
      const second = live.findIndex((l) => l.includes('second log entry'));
      const title = live.findIndex((l) => l.startsWith('tandem sync acme · capturing'));
      const captureBar = live.findIndex((l) => l.includes('account capture erp: 100 records'));
      const writeBar = live.findIndex((l) => /\[.*\] account write crm: 50\/200 records/.test(l));
      expect([first, second, title, captureBar, writeBar].every((i) => i >= 0)).toBe(true);
      expect(first).toBeLessThan(second);
      expect(second).toBeLessThan(title);
      expect(title).toBeLessThan(captureBar);
      expect(captureBar).toBeLessThan(writeBar);
      // Each log entry has a line of its own: no bar text ran into it, and it ran into no bar.
      expect(live[first]).toBe('INFO: first log entry');
      expect(live[second]).toBe('INFO: second log entry');
      expect(live.filter((l) => l.includes('log entry'))).toHaveLength(2);
      expect(live.filter((l) => l.includes('tandem sync acme'))).toHaveLength(1);

      progress.event(capture('finished', 300));
      progress.log('INFO: third log entry');
      progress.end();
      progress.log('INFO: after the display');
      const after = await screenOf(stream.text);
      expect(after.filter((l) => l.includes('tandem sync acme'))).toHaveLength(0); // the display is cleared
      expect(after.filter((l) => l.includes('[') && l.includes(']'))).toHaveLength(0); // and its bars
      const done = after.findIndex((l) => /^account capture erp: 300 records, .* \(done\)$/.test(l));
      const third = after.indexOf('INFO: third log entry');
      expect(after.slice(0, 2)).toEqual(['INFO: first log entry', 'INFO: second log entry']);
      expect(done).toBeGreaterThan(1);
      expect(third).toBeGreaterThan(done);
      expect(after[after.length - 1]).toBe('INFO: after the display');
    },
    scaled(10_000),
  );
});
