import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/util/logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('writes JSON lines and redacts secrets wherever they appear', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, level: 'info' });
    log.info(
      {
        auth: { clientSecret: 'sf-secret-1', privateKey: '-----BEGIN PRIVATE KEY-----' },
        erp: { url: 'postgres://tandem:hunter2@erp/db', password: 'hunter2' },
        headers: { authorization: 'Bearer 00Dxx!token' },
        access_token: '00Dxx!token',
        object: 'account',
      },
      'connecting',
    );
    const [line] = out.lines();
    const text = JSON.stringify(line);
    for (const secret of ['sf-secret-1', 'BEGIN PRIVATE KEY', 'hunter2', '00Dxx!token'])
      expect(text).not.toContain(secret);
    expect(line!['object']).toBe('account');
    expect(line!['msg']).toBe('connecting');
    expect((line!['auth'] as Record<string, unknown>)['clientSecret']).toBe('[redacted]');
  });

  it('drops messages below its level', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, level: 'warn' });
    log.info('not shown');
    log.warn('shown');
    expect(out.lines().map((l) => l['msg'])).toEqual(['shown']);
  });
});
