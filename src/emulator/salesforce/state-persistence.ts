import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { EmulatorConfigError } from './emulator-errors.js';
import type { EmulatorStore } from './emulator-store.js';
import type { StoredValue } from './field-codec.js';

/**
 * Saves and loads the store's records in a data folder: one `<Object>.ndjson` per object, first line the field
 * names, then one JSON array of values per record (written through a temp file and renamed, so a crash mid-save
 * leaves the previous file). Jobs are not persisted.
 */
export async function saveStore(store: EmulatorStore, dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  for (const table of store.tables()) {
    const file = join(dataDir, `${table.definition.name}.ndjson`);
    const tmp = `${file}.tmp`;
    const out = createWriteStream(tmp, { encoding: 'utf8' });
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain');
    };
    await write(`${JSON.stringify(table.definition.fields.map((f) => f.name))}\n`);
    let buffer = '';
    let n = 0;
    for (const row of table.rows.values()) {
      buffer += `${JSON.stringify(row)}\n`;
      if (++n % 1000 === 0) {
        await write(buffer);
        buffer = '';
      }
    }
    await write(buffer);
    out.end();
    await once(out, 'finish');
    await rename(tmp, file);
  }
}

/** Loads records saved by saveStore; fields that no longer exist are dropped, new fields start null. */
export async function loadStore(store: EmulatorStore, dataDir: string): Promise<number> {
  let files: string[];
  try {
    files = await readdir(dataDir);
  } catch {
    return 0;
  }
  let loaded = 0;
  for (const name of files) {
    if (name.endsWith('.tmp')) {
      await rm(join(dataDir, name), { force: true });
      continue;
    }
    if (!name.endsWith('.ndjson')) continue;
    const table = store.table(name.slice(0, -'.ndjson'.length));
    if (!table) continue;
    const lines = createInterface({
      input: createReadStream(join(dataDir, name), { encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    let mapping: (number | undefined)[] | undefined;
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (cause) {
        throw new EmulatorConfigError(
          `${join(dataDir, name)} line ${lineNo} is not JSON; delete the file or the folder to start empty`,
          {
            file: join(dataDir, name),
            line: lineNo,
          },
          cause,
        );
      }
      if (!mapping) {
        mapping = (parsed as string[]).map((f) => table.fieldIndex(f));
        continue;
      }
      const values = parsed as StoredValue[];
      const row: StoredValue[] = new Array<StoredValue>(table.definition.fields.length).fill(null);
      mapping.forEach((to, from) => {
        if (to !== undefined) row[to] = values[from] ?? null;
      });
      table.load(row);
      loaded++;
    }
  }
  store.version++;
  return loaded;
}
