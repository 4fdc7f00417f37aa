// Exact versions of the generated project's dependencies. They are pinned (no ranges) so that a
// project generated today and one generated next month resolve the same packages, and so that
// the lock file cache (keyed by this dependency set) stays valid. Bump deliberately, together
// with STACK_VERSION, after running the e2e test (test/templates/e2e.test.ts).
export const NODE_MAJOR = 20;
export const NODE_IMAGE = 'node:20.20-alpine';

export const DEPENDENCIES = {
  'drizzle-orm': '0.45.4',
  fastify: '5.12.8',
  pg: '8.23.1',
  zod: '4.6.7',
} as const;

/** Only when the requirements ask for auth. */
export const AUTH_DEPENDENCIES = {
  '@fastify/jwt': '10.2.8',
} as const;

export const DEV_DEPENDENCIES = {
  '@electric-sql/pglite': '0.5.16',
  '@swc/core': '1.16.22',
  '@swc/jest': '0.2.39',
  '@types/jest': '30.0.0',
  '@types/node': '20.19.43',
  '@types/pg': '8.23.1',
  jest: '30.5.2',
  typescript: '5.9.3',
} as const;
