/**
 * Runs the validators as the service runs them: native ESM under tsx, started from an unrelated
 * working directory. validate.test.ts spawns it; it proves the WASM grammars and the runtime are
 * found without `import.meta`/`__dirname` in the source and without relying on process.cwd().
 */
import { MemoryRegistryClient, validate } from '../../src/validators/index.js';

const report = await validate(
  [
    {
      path: 'package.json',
      content: JSON.stringify({
        name: 'smoke',
        type: 'module',
        dependencies: { fastify: '^5.0.0' },
      }),
    },
    {
      path: 'src/app.ts',
      content:
        "import Fastify from 'fastify';\nexport const app = Fastify();\nexport const n: number = 1;\n",
    },
    { path: 'scripts/run.sh', content: 'case "$1" in\n  a) echo "${1:-x}";;\nesac\n' },
    {
      path: '.github/workflows/ci.yml',
      content: 'on: [push]\njobs:\n  t:\n    steps:\n      - run: npm test\n',
    },
    { path: 'tool.py', content: 'def f(:\n  pass\n' },
  ],
  { registries: { npm: new MemoryRegistryClient('npm', { fastify: ['5.2.1'] }) } },
);
process.stdout.write(
  JSON.stringify({
    status: report.status,
    languages: report.checks.syntax.details?.['languages'],
    syntax: report.checks.syntax.findings.map((f) => `${f.file}:${f.line}`),
    checks: Object.fromEntries(Object.entries(report.checks).map(([k, v]) => [k, v.status])),
  }),
);
