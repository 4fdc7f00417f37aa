import { readdirSync } from 'node:fs';
import { LANGUAGES, checkSyntax, detectLanguage } from '../../src/validators/index.js';
import { fixture, fixturePath } from './helpers.js';

jest.setTimeout(60_000);

const languages = readdirSync(fixturePath('syntax')).sort();

describe('tree-sitter syntax check', () => {
  // First in the file, so every grammar is loaded here, all at once.
  it('loads grammars safely when many languages are requested concurrently', async () => {
    const valid = languages.map((lang) => {
      const name = readdirSync(fixturePath('syntax', lang)).find((n) => n.startsWith('valid.'))!;
      return fixture(`syntax/${lang}/${name}`);
    });
    const results = await Promise.all(valid.map((f) => checkSyntax([f])));
    expect(results.map((r) => r.findings)).toEqual(valid.map(() => []));
  });

  it('has a valid and a broken fixture for at least 15 languages, each a supported language', () => {
    expect(languages.length).toBeGreaterThanOrEqual(15);
    for (const lang of languages) expect(LANGUAGES).toContain(lang);
  });

  describe.each(languages)('%s', (lang) => {
    const names = readdirSync(fixturePath('syntax', lang));
    const valid = names.find((n) => n.startsWith('valid.'))!;
    const broken = names.find((n) => n.startsWith('broken.'))!;

    it('picks the grammar from the file extension', () => {
      expect(detectLanguage(fixture(`syntax/${lang}/${valid}`).path)).toBe(lang);
    });

    it('accepts the valid sample', async () => {
      const result = await checkSyntax([fixture(`syntax/${lang}/${valid}`)]);
      expect(result.findings).toEqual([]);
      expect(result.status).toBe('passed');
      expect(result.filesChecked).toBe(1);
    });

    it('rejects the broken sample with positioned findings', async () => {
      const file = fixture(`syntax/${lang}/${broken}`);
      const result = await checkSyntax([file]);
      expect(result.status).toBe('failed');
      expect(result.findings.length).toBeGreaterThan(0);
      const lines = file.content.split('\n').length;
      for (const f of result.findings.filter((x) => x.ruleId !== 'syntax/too-many-errors')) {
        expect(['syntax/error', 'syntax/missing']).toContain(f.ruleId);
        expect(f.severity).toBe('high');
        expect(f.file).toBe(file.path);
        expect(f.line).toBeGreaterThanOrEqual(1);
        expect(f.line).toBeLessThanOrEqual(lines);
        expect(f.column).toBeGreaterThanOrEqual(1);
      }
    });
  });

  it('points at the offending line', async () => {
    const result = await checkSyntax([{ path: 'src/a.py', content: 'x = 1\ndef f(:\n    pass\n' }]);
    expect(result.findings[0]).toMatchObject({ file: 'src/a.py', line: 2 });
  });

  it('accepts tsconfig-style JSON with comments and trailing commas, but not plain JSON with them', async () => {
    const content = '{\n  // strict\n  "compilerOptions": { "strict": true, },\n}\n';
    expect((await checkSyntax([{ path: 'tsconfig.json', content }])).findings).toEqual([]);
    expect((await checkSyntax([{ path: 'data.json', content }])).status).toBe('failed');
  });

  it('parses bash and yaml constructs that hit the grammars’ libc imports', async () => {
    const result = await checkSyntax([
      { path: 'run.sh', content: 'case "$1" in\n  a) echo "${1:-x}";;\nesac\n' },
      {
        path: 'ci.yml',
        content: 'on:\n  push:\n    branches: [main]\nsteps:\n  - run: |\n      npm ci\n',
      },
    ]);
    expect(result.findings).toEqual([]);
  });

  it('skips files of unknown languages and reports the languages it parsed', async () => {
    const result = await checkSyntax([
      { path: 'README.md', content: '# hi' },
      { path: 'Dockerfile', content: 'FROM node:20' },
      { path: 'a.ts', content: 'export const a = 1;\n' },
    ]);
    expect(result.filesChecked).toBe(1);
    expect(result.details?.['languages']).toEqual(['typescript']);
  });
});
