import path from 'node:path';
import { BUNDLE_FILE, bundleSource, readTemplates, stackDirs } from '../../src/templates/bundle.js';
import { readFile } from 'node:fs/promises';

const ROOT = path.resolve(__dirname, '../../src/templates');

describe('template bundles', () => {
  it('are up to date with the .eta files (regenerate: node --import tsx services/codegen/src/templates/bundle.ts)', async () => {
    const dirs = await stackDirs(ROOT);
    expect(dirs.map((d) => path.basename(d))).toContain('ts-fastify');
    for (const dir of dirs) {
      const expected = await bundleSource(await readTemplates(path.join(dir, 'files')));
      expect(await readFile(path.join(dir, BUNDLE_FILE), 'utf8')).toBe(expected);
    }
  });
});
