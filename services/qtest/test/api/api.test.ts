import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApiTests, type ApiTestReport, type PropertyResult } from '../../src/api/index.js';
import { startThingsApp, thingsOpenApi, TOKEN, type Bugs } from './fixtures/things-app.js';

async function run(bugs: Bugs, extra: { operations?: string[]; numRuns?: number } = {}) {
  const app = await startThingsApp(bugs);
  try {
    return await runApiTests({
      openapi: thingsOpenApi,
      baseUrl: app.baseUrl,
      numRuns: extra.numRuns ?? 40,
      seed: 42,
      auth: { bearer: TOKEN },
      ...(extra.operations ? { operations: extra.operations } : {}),
    });
  } finally {
    await app.close();
  }
}

function failed(report: ApiTestReport, id: string): PropertyResult {
  const p = report.properties.find((x) => x.id === id);
  expect(p).toBeDefined();
  expect(p!.status).toBe('failed');
  return p!;
}

describe('runApiTests', () => {
  it('passes every property against a correct app, with no 5xx', async () => {
    const report = await run({});
    const failures = report.properties.filter((p) => p.status === 'failed');
    expect(failures).toEqual([]);
    // GET /healthz takes no input at all, so there is nothing invalid to send it.
    expect(report.properties.filter((p) => p.status === 'skipped').map((p) => p.id)).toEqual([
      'robustness:GET /healthz',
    ]);
    expect(report.fiveXX).toBe(0);
    const kinds = new Set(report.properties.map((p) => p.kind));
    expect(kinds).toEqual(new Set(['conformance', 'robustness', 'crud', 'auth']));
    expect(report.properties.map((p) => p.id)).toEqual(
      expect.arrayContaining([
        'conformance:POST /things',
        'robustness:PUT /things/{id}',
        'crud:/things',
        'auth:DELETE /things/{id}',
      ]),
    );
    expect(report.totals.failed).toBe(0);
    expect(report.totals.passed).toBe(report.totals.properties - 1);
  });

  it('shrinks a crash on an empty name to the minimal request', async () => {
    const report = await run({ crashOnEmptyName: true }, { operations: ['createThing'] });
    const p = failed(report, 'conformance:POST /things');
    const failure = p.failure!;
    expect(failure.response.status).toBe(500);
    expect(failure.request.method).toBe('POST');
    expect(failure.request.path).toBe('/things');
    // Shrunk: only the required fields, each at its smallest value.
    expect(failure.request.body).toEqual({ name: '', quantity: 0, status: 'active' });
    expect(failure.request.headers?.['authorization']).toBe('Bearer <redacted>');
    expect(failure.message).toMatch(/server error 500/);
    expect(failure.seed).toBe(42);
    expect(report.fiveXX).toBeGreaterThan(0);
  });

  it('shrinks a crash on a negative quantity to -1 (robustness)', async () => {
    const report = await run({ crashOnNegativeQuantity: true }, { operations: ['createThing'] });
    const p = failed(report, 'robustness:POST /things');
    expect(p.failure!.response.status).toBe(500);
    expect(p.failure!.request.body).toEqual({ name: '', quantity: -1, status: 'active' });
    expect(p.failure!.message).toMatch(/quantity: below minimum/);
  });

  it('catches a delete that does not delete', async () => {
    const report = await run({ deleteDoesNotDelete: true }, { operations: ['createThing'] });
    const p = failed(report, 'crud:/things');
    expect(p.failure!.message).toBe('read after delete answered 200, expected 404');
    expect(p.failure!.request.method).toBe('GET');
    expect(p.failure!.response.status).toBe(200);
  });

  it('catches a response that violates its schema', async () => {
    const report = await run({ quantityAsString: true }, { operations: ['createThing'] });
    const p = failed(report, 'conformance:POST /things');
    expect(p.failure!.message).toMatch(
      /response for 201 violates its schema: .*quantity must be integer/,
    );
    expect(p.failure!.response.status).toBe(201);
    expect(p.failure!.request.body).toEqual({ name: '', quantity: 0, status: 'active' });
  });

  it('catches a protected operation that answers without a token', async () => {
    const report = await run({ deleteWithoutAuth: true }, { operations: ['deleteThing'] });
    const p = failed(report, 'auth:DELETE /things/{id}');
    expect(p.failure!.message).toMatch(/protected operation answered (400|404)/);
    expect(p.failure!.request.headers?.['authorization']).toBeUndefined();
  });

  it('reads OpenAPI 3.0 documents (nullable, boolean exclusive bounds) from a file', async () => {
    const doc = structuredClone(thingsOpenApi) as unknown as {
      openapi: string;
      components: { schemas: { ThingInput: { properties: Record<string, unknown> } } };
    };
    doc.openapi = '3.0.3';
    doc.components.schemas.ThingInput.properties['note'] = {
      type: 'string',
      nullable: true,
      maxLength: 100,
    };
    const dir = await mkdtemp(join(tmpdir(), 'qtest-api-'));
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const app = await startThingsApp({});
    try {
      const report = await runApiTests({
        openapi: file,
        baseUrl: app.baseUrl,
        numRuns: 20,
        seed: 7,
        auth: async () => TOKEN,
      });
      expect(report.properties.filter((p) => p.status === 'failed')).toEqual([]);
      expect(report.fiveXX).toBe(0);
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
