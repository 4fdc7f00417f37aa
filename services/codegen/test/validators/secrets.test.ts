import { scanSecrets, shannonEntropy } from '../../src/validators/index.js';
import type { SourceFile } from '../../src/validators/index.js';
import { fixture } from './helpers.js';

/**
 * Realistic credentials are generated here from a seeded PRNG instead of being committed, so the
 * repository never holds anything a secret scanner (ours or a host's push protection) would
 * rightly reject.
 */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(42);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const pick = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

const TOKENS = {
  aws: 'AKIA' + pick(UPPER_DIGITS, 16),
  awsSecret: pick(ALNUM + '/+', 40),
  openai: 'sk-proj-' + pick(ALNUM + '_-', 48),
  anthropic: 'sk-ant-api03-' + pick(ALNUM + '_-', 93) + 'AA',
  github: 'ghp_' + pick(ALNUM, 36),
  githubPat: 'github_pat_' + pick(ALNUM, 22) + '_' + pick(ALNUM, 59),
  slack: 'xoxb-' + pick('0123456789', 12) + '-' + pick('0123456789', 13) + '-' + pick(ALNUM, 24),
  stripeLive: 'sk_live_' + pick(ALNUM, 24),
  stripeTest: 'sk_test_' + pick(ALNUM, 24),
  google: 'AIza' + pick(ALNUM + '_-', 35),
  npm: 'npm_' + pick(ALNUM, 36),
  jwt: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: '42', name: 'Ada' })}.${pick(ALNUM + '_-', 43)}`,
  pemBody: Array.from({ length: 6 }, () => pick(ALNUM + '+/', 64)).join('\n'),
  generic: pick(ALNUM, 24),
  urlPassword: pick(ALNUM, 16),
};

async function rules(files: SourceFile[]) {
  const result = await scanSecrets(files);
  return result.findings.map((f) => `${f.file}:${f.line}:${f.ruleId}:${f.severity}`);
}

describe('secret scanner', () => {
  it('finds each well-known key format, with its line, and masks it in the report', async () => {
    const ts = [
      `export const awsKeyId = '${TOKENS.aws}';`,
      `const openai = new OpenAI({ apiKey: "${TOKENS.openai}" });`,
      `const anthropic = new Anthropic({ apiKey: '${TOKENS.anthropic}' });`,
      `const gh = '${TOKENS.github}';`,
      `const pat = '${TOKENS.githubPat}';`,
      `const slack = '${TOKENS.slack}';`,
      `const stripe = require('stripe')('${TOKENS.stripeLive}');`,
      `const stripeTest = '${TOKENS.stripeTest}';`,
      `const maps = '${TOKENS.google}';`,
      `const npm = '${TOKENS.npm}';`,
      `const auth = 'Bearer ${TOKENS.jwt}';`,
      `const key = \`-----BEGIN RSA PRIVATE KEY-----\n${TOKENS.pemBody}\n-----END RSA PRIVATE KEY-----\`;`,
    ].join('\n');
    const env = [
      `AWS_SECRET_ACCESS_KEY=${TOKENS.awsSecret}`,
      `DATABASE_URL=postgres://app:${TOKENS.urlPassword}@db.prod.internal.net:5432/app`,
      `SESSION_SECRET=${TOKENS.generic}`,
    ].join('\n');
    const result = await scanSecrets([
      { path: 'src/clients.ts', content: ts },
      { path: '.env', content: env },
    ]);
    expect(result.findings.map((f) => `${f.file}:${f.line}:${f.ruleId}:${f.severity}`)).toEqual([
      'src/clients.ts:1:secrets/aws-access-key-id:critical',
      'src/clients.ts:2:secrets/openai-api-key:critical',
      'src/clients.ts:3:secrets/anthropic-api-key:critical',
      'src/clients.ts:4:secrets/github-token:critical',
      'src/clients.ts:5:secrets/github-token:critical',
      'src/clients.ts:6:secrets/slack-token:critical',
      'src/clients.ts:7:secrets/stripe-key:critical',
      'src/clients.ts:8:secrets/stripe-key:high',
      'src/clients.ts:9:secrets/google-api-key:high',
      'src/clients.ts:10:secrets/npm-token:critical',
      'src/clients.ts:11:secrets/jwt:high',
      'src/clients.ts:12:secrets/private-key:critical',
      '.env:1:secrets/aws-secret-access-key:critical',
      '.env:2:secrets/credentials-in-url:medium',
      '.env:3:secrets/generic-secret:high',
    ]);
    expect(result.status).toBe('failed');
    const all = JSON.stringify(result);
    for (const t of Object.values(TOKENS)) expect(all).not.toContain(t);
    expect(result.findings[0]!.column).toBe(26);
  });

  it('accepts placeholders, env lookups and CI secret references', async () => {
    expect(
      await rules([
        fixture('secrets/env.example.fixture', '.env.example'),
        fixture('secrets/config.ts.fixture'),
        fixture('secrets/ci.yml.fixture'),
      ]),
    ).toEqual([]);
  });

  it('flags a high-entropy literal under a secret-like name, but not low-entropy or unrelated values', async () => {
    const content = [
      `const dbPassword = "${TOKENS.generic}";`,
      `const requestId = "${pick(ALNUM, 24)}";`,
      "const apiToken = 'aaaaaaaaaaaaaaaaaaaaaaaa';",
      "const tokenUrl = 'https://auth.example.net/oauth/token';",
    ].join('\n');
    expect(await rules([{ path: 'src/db.ts', content }])).toEqual([
      'src/db.ts:1:secrets/generic-secret:high',
    ]);
  });

  it('honours an allow-list comment on the line, and skips lock files and test-only generic values', async () => {
    const line = `const fixtureKey = '${TOKENS.stripeTest}'; // pragma: allowlist secret`;
    expect(await rules([{ path: 'src/a.ts', content: line }])).toEqual([]);
    expect(
      await rules([{ path: 'package-lock.json', content: `{"integrity": "${TOKENS.github}"}` }]),
    ).toEqual([]);
    expect(
      await rules([
        { path: 'test/login.test.ts', content: `const password = "${TOKENS.generic}";` },
      ]),
    ).toEqual([]);
    // a real key format in a test is still a leaked key
    expect(
      await rules([{ path: 'test/a.test.ts', content: `const k = '${TOKENS.aws}';` }]),
    ).toEqual(['test/a.test.ts:1:secrets/aws-access-key-id:critical']);
  });

  it('tells real PEM keys from armour-only mentions and local dev URLs from remote ones', async () => {
    expect(
      await rules([
        {
          path: 'docs/keys.md',
          content: 'Paste it between -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY-----.',
        },
      ]),
    ).toEqual([]);
    expect(
      await rules([
        {
          path: 'compose.yaml',
          content: `DATABASE_URL: postgres://app:${TOKENS.urlPassword}@db:5432/app`,
        },
      ]),
    ).toEqual(['compose.yaml:1:secrets/credentials-in-url:low']);
  });

  it('measures entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    expect(shannonEntropy(TOKENS.generic)).toBeGreaterThan(3.5);
  });
});
