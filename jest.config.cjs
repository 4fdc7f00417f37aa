// One jest run over the whole workspace. Unit tests sit beside the code (src/**/*.test.ts);
// integration tests live in test/ and talk to the real PostgreSQL, Redis and NATS servers.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];

const ESM_ONLY = ['cookie', '@apidevtools\\+json-schema-ref-parser'];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': swc },
  moduleNameMapper: {
    // Services that other workspace packages import (the CLI runs codegen in-process).
    '^@quantumlayer/(codegen|capsule|qtest|router)$': '<rootDir>/services/$1/src/index.ts',
    '^@quantumlayer/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // Most dependencies ship CommonJS; the few that are ESM-only are compiled by swc like our code.
  transformIgnorePatterns: [`/node_modules/\\.pnpm/(?!(${ESM_ONLY.join('|')})@)`],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

module.exports = {
  // A global option in Jest 30 (ignored per project): integration tests start real servers.
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,services}/*/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{packages,services}/*/test/**/*.test.ts'],
    },
  ],
};
