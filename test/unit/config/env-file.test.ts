import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvFileBeside, withEnvFile, writeEnvFileBeside } from '../../../src/config/env-file.js';
import { loadConfig } from '../../../src/config/load-config.js';

const CONFIG = `sync: envfile
erp: { type: memory, name: "\${ERP_NAME}" }
crm: { type: memory, name: crm }
objects:
  customer:
    erp: { table: customers, key: customer_no }
    crm: { object: customers, externalId: customer_no }
    fields:
      name: { erp: name, crm: name }
`;

describe('the .env file beside tandem.yaml', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-env-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is written readable by its owner only and read back as written; none at all reads as empty', async () => {
    const config = join(dir, 'a', 'tandem.yaml');
    await mkdir(join(dir, 'a'));
    expect(await readEnvFileBeside(config)).toEqual({});
    const file = await writeEnvFileBeside(config, { URL: 'http://127.0.0.1:8080/x?y=1', TOKEN: 'pat-#1 two' });
    expect(file).toBe(join(dir, 'a', '.env'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readEnvFileBeside(config)).toEqual({ URL: 'http://127.0.0.1:8080/x?y=1', TOKEN: 'pat-#1 two' });
    await expect(writeEnvFileBeside(config, { TOKEN: 'a"b' })).rejects.toThrow(/cannot write TOKEN/);
    expect(await readFile(file, 'utf8')).not.toContain('a"b');
  });

  it('gives variables the environment does not set; a variable set in the environment wins', () => {
    expect(withEnvFile({ A: 'env', B: undefined }, { A: 'file', B: 'file', C: 'file' })).toEqual({
      A: 'env',
      B: 'file',
      C: 'file',
    });
  });

  it('is what loadConfig resolves ${VAR} references with when the environment lacks them', async () => {
    const config = join(dir, 'tandem.yaml');
    await writeFile(config, CONFIG);
    await expect(loadConfig(config, {})).rejects.toThrow(/ERP_NAME/);
    await writeFile(join(dir, '.env'), '# the ERP\nERP_NAME=from-file\n');
    expect((await loadConfig(config, {})).erp.settings).toMatchObject({ name: 'from-file' });
    expect((await loadConfig(config, { ERP_NAME: 'from-env' })).erp.settings).toMatchObject({ name: 'from-env' });
  });
});
