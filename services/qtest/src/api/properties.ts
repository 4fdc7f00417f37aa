// The four property families. Each property is one fast-check run over generated requests;
// the predicate records the exchange that failed, and because fast-check reports the last
// failing (fully shrunk) case, the last recorded failure is the minimal counterexample.
import fc from 'fast-check';
import { excerpt, reportRequest, send, type ApiRequest, type ApiResponse } from './http.js';
import { invalidValueMutations, valueArb } from './arbitraries.js';
import {
  isObject,
  prepareSchema,
  schemaTypes,
  type JsonSchema,
  type ResponseValidator,
} from './schema.js';
import { documentedResponse, type Operation } from './spec.js';
import type { PropertyFailure, PropertyKind, PropertyResult } from './types.js';

export type Context = {
  baseUrl: string;
  timeoutMs: number;
  numRuns: number;
  seed: number;
  token: string | undefined;
  validator: ResponseValidator;
  fiveXX: number;
};

type Outcome = { message: string; request: ApiRequest; response?: ApiResponse } | undefined;

class RequestError extends Error {
  constructor(
    message: string,
    readonly request: ApiRequest,
  ) {
    super(message);
  }
}

/** Sends and counts server errors. */
async function exchange(ctx: Context, req: ApiRequest): Promise<ApiResponse> {
  let res: ApiResponse;
  try {
    res = await send(ctx.baseUrl, req, ctx.timeoutMs);
  } catch (err) {
    throw new RequestError((err as Error).message, req);
  }
  if (res.status >= 500) ctx.fiveXX += 1;
  return res;
}

async function runProperty<T>(
  ctx: Context,
  meta: { id: string; kind: PropertyKind; operation?: string },
  arb: fc.Arbitrary<T>,
  check: (value: T) => Promise<Outcome>,
  numRuns = ctx.numRuns,
): Promise<PropertyResult> {
  let last: Omit<PropertyFailure, 'seed' | 'counterexamplePath'> | undefined;
  const property = fc.asyncProperty(arb, async (value) => {
    let outcome: Outcome;
    try {
      outcome = await check(value);
    } catch (err) {
      // A network error or timeout fails the case like a bad answer would.
      if (!(err instanceof RequestError)) throw err;
      outcome = { message: `request failed (no response): ${err.message}`, request: err.request };
    }
    if (!outcome) return true;
    last = {
      request: reportRequest(outcome.request),
      response: {
        status: outcome.response?.status ?? 0,
        body: excerpt(outcome.response?.text ?? ''),
      },
      message: outcome.message,
    };
    return false;
  });
  const details = await fc.check(property, { numRuns, seed: ctx.seed });
  const result: PropertyResult = {
    id: meta.id,
    kind: meta.kind,
    status: details.failed ? 'failed' : 'passed',
    runs: details.numRuns,
  };
  if (meta.operation) result.operation = meta.operation;
  if (details.failed) {
    result.failure = {
      ...(last ?? {
        request: { method: '', path: '', query: {}, body: undefined },
        response: { status: 0, body: '' },
        message: String(details.errorInstance ?? 'property failed'),
      }),
      seed: details.seed,
      counterexamplePath: details.counterexamplePath ?? undefined,
    };
  }
  return result;
}

export function skipped(
  kind: PropertyKind,
  id: string,
  reason: string,
  operation?: string,
): PropertyResult {
  const r: PropertyResult = { id, kind, status: 'skipped', runs: 0, reason };
  if (operation) r.operation = operation;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Request generation

type Parts = {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  header: Record<string, unknown>;
  body: unknown;
};

function paramSchema(schema: JsonSchema): JsonSchema {
  const s = prepareSchema(schema, 'request');
  // An empty path segment routes elsewhere, so path strings get at least one character.
  if (schemaTypes(s).includes('string') && !s['format'] && !s['enum'] && !s['pattern']) {
    s['minLength'] = Math.max(1, typeof s['minLength'] === 'number' ? s['minLength'] : 0);
  }
  return s;
}

function partsArb(op: Operation): fc.Arbitrary<Parts> {
  const groups: Record<'path' | 'query' | 'header', fc.Arbitrary<Record<string, unknown>>> = {
    path: fc.constant({}),
    query: fc.constant({}),
    header: fc.constant({}),
  };
  for (const where of ['path', 'query', 'header'] as const) {
    const params = op.parameters.filter((p) => p.in === where);
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const p of params) {
      model[p.name] = valueArb(
        where === 'path' ? paramSchema(p.schema) : prepareSchema(p.schema, 'request'),
      );
    }
    groups[where] = fc.record(model, {
      requiredKeys: params.filter((p) => p.required).map((p) => p.name),
    });
  }
  const body = op.body
    ? valueArb(prepareSchema(op.body.schema, 'request'))
    : fc.constant(undefined);
  return fc.record({ path: groups.path, query: groups.query, header: groups.header, body });
}

function paramString(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function buildRequest(op: Operation, parts: Parts, token: string | undefined): ApiRequest {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(paramString(parts.path[name] ?? '')),
  );
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(parts.query)) {
    if (v === undefined || v === null) continue;
    query[k] = Array.isArray(v) ? v.map(paramString) : paramString(v);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(parts.header)) {
    if (v !== undefined && v !== null) headers[k.toLowerCase()] = paramString(v);
  }
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const req: ApiRequest = { method: op.method, path, query, headers };
  if (parts.body !== undefined) req.body = parts.body;
  return req;
}

// ---------------------------------------------------------------------------------------------
// Conformance

export function checkConformance(
  ctx: Context,
  op: Operation,
  res: ApiResponse,
): string | undefined {
  if (res.status >= 500) return `server error ${res.status} on a schema-valid request`;
  const documented = documentedResponse(op, res.status);
  if (!documented) {
    return `status ${res.status} is not documented (documented: ${[...op.responses.keys()].join(', ')})`;
  }
  if (!documented.schema || op.method === 'HEAD') return undefined;
  if (res.text.length === 0) return `empty body, documented as JSON for ${documented.key}`;
  if (!res.isJson) return `body is not JSON, documented as JSON for ${documented.key}`;
  const error = ctx.validator.validate(documented.schema, res.json);
  return error ? `response for ${documented.key} violates its schema: ${error}` : undefined;
}

export function conformance(ctx: Context, op: Operation): Promise<PropertyResult> {
  const id = `conformance:${op.label}`;
  if (op.unsupported) return Promise.resolve(skipped('conformance', id, op.unsupported, op.label));
  if (op.bearer && ctx.token === undefined) {
    return Promise.resolve(skipped('conformance', id, 'needs a bearer token: pass auth', op.label));
  }
  return runProperty(
    ctx,
    { id, kind: 'conformance', operation: op.label },
    partsArb(op),
    async (parts) => {
      const request = buildRequest(op, parts, ctx.token);
      const response = await exchange(ctx, request);
      const message = checkConformance(ctx, op, response);
      return message ? { message, request, response } : undefined;
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Robustness

type Invalid = { request: ApiRequest; what: string; strict: boolean };

const MALFORMED_JSON = ['{', '{"a":', '{"a" 1}', "{'a': 1}", '[1,]', 'nul', '{"a":1}}'];

function invalidArbs(op: Operation, token: string | undefined): fc.Arbitrary<Invalid>[] {
  const base = partsArb(op);
  const out: fc.Arbitrary<Invalid>[] = [];
  const make =
    (what: string, strict: boolean, edit: (p: Parts) => Parts | ApiRequest) => (p: Parts) => {
      const edited = edit(structuredClone(p));
      const request = 'method' in edited ? edited : buildRequest(op, edited, token);
      return { request, what, strict };
    };

  for (const param of op.parameters) {
    if (param.in === 'header') continue;
    const where = param.in;
    const schema = prepareSchema(param.schema, 'request');
    const stringy = schemaTypes(schema).includes('string');
    for (const m of invalidValueMutations(schema)) {
      // Every parameter travels as text: a "wrong type" for a string parameter is a string.
      if (stringy && m.kind === 'wrong type') continue;
      out.push(
        fc.tuple(base, m.arb).map(([p, bad]) =>
          make(`${where} parameter ${param.name}: ${m.kind}`, m.strict, (q) => {
            q[where][param.name] = bad;
            return q;
          })(p),
        ),
      );
    }
    if (where === 'query' && param.required) {
      out.push(
        base.map(
          make(`query parameter ${param.name}: missing`, true, (q) => {
            delete q.query[param.name];
            return q;
          }),
        ),
      );
    }
  }

  if (op.body) {
    const schema = prepareSchema(op.body.schema, 'request');
    const props = isObject(schema['properties']) ? schema['properties'] : {};
    const required = Array.isArray(schema['required']) ? schema['required'].map(String) : [];
    const isObjectBody =
      schemaTypes(schema).includes('object') && !schemaTypes(schema).includes('null');
    for (const [name, sub] of Object.entries(props)) {
      for (const m of invalidValueMutations(sub)) {
        out.push(
          fc.tuple(base, m.arb).map(([p, bad]) =>
            make(`body field ${name}: ${m.kind}`, m.strict, (q) => {
              if (isObject(q.body)) q.body[name] = bad;
              return q;
            })(p),
          ),
        );
      }
      if (required.includes(name)) {
        out.push(
          base.map(
            make(`body field ${name}: missing`, true, (q) => {
              if (isObject(q.body)) delete q.body[name];
              return q;
            }),
          ),
        );
      }
    }
    if (isObjectBody) {
      out.push(
        fc
          .tuple(base, fc.constantFrom<unknown>([], 'text', 42, true))
          .map(([p, bad]) => make('body: not an object', true, (q) => ({ ...q, body: bad }))(p)),
      );
      // Unknown properties are allowed unless forbidden, and validators commonly strip them:
      // only a 5xx is wrong here.
      const known = new Set(Object.keys(props));
      const key = fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((k) => !known.has(k) && k !== '__proto__');
      out.push(
        fc.tuple(base, key, fc.jsonValue({ maxDepth: 2 })).map(([p, k, v]) =>
          make(`body: extra property ${JSON.stringify(k)}`, false, (q) => {
            if (isObject(q.body)) q.body[k] = v;
            return q;
          })(p),
        ),
      );
    }
    out.push(
      fc.tuple(base, fc.constantFrom(...MALFORMED_JSON)).map(([p, raw]) =>
        make('body: malformed JSON', true, (q) => {
          const req = buildRequest(op, { ...q, body: undefined }, token);
          req.raw = raw;
          return req;
        })(p),
      ),
    );
    if (op.body.required) {
      out.push(base.map(make('body: missing', true, (q) => ({ ...q, body: undefined }))));
    }
  }
  return out;
}

export function robustness(ctx: Context, op: Operation): Promise<PropertyResult> {
  const id = `robustness:${op.label}`;
  if (op.unsupported) return Promise.resolve(skipped('robustness', id, op.unsupported, op.label));
  const arbs = invalidArbs(op, ctx.token);
  if (arbs.length === 0) {
    return Promise.resolve(skipped('robustness', id, 'no invalid input to generate', op.label));
  }
  // One run per mutation family rather than one oneof over all of them: with a few dozen
  // families, a single run of numRuns cases would leave some families untried.
  const runs = Math.max(5, Math.ceil(ctx.numRuns / arbs.length));
  const meta = { id, kind: 'robustness' as const, operation: op.label };
  return (async () => {
    let total = 0;
    for (const arb of arbs) {
      const result = await runProperty(
        ctx,
        meta,
        arb,
        async (inv) => {
          const response = await exchange(ctx, inv.request);
          let message: string | undefined;
          if (response.status >= 500) {
            message = `server error ${response.status} on invalid input (${inv.what})`;
          } else if (inv.strict && response.status < 400) {
            message = `invalid input accepted with ${response.status} (${inv.what})`;
          }
          return message ? { message, request: inv.request, response } : undefined;
        },
        runs,
      );
      total += result.runs;
      if (result.status === 'failed') return { ...result, runs: total };
    }
    const passed: PropertyResult = { ...meta, status: 'passed', runs: total };
    return passed;
  })();
}

// ---------------------------------------------------------------------------------------------
// Auth

export function auth(ctx: Context, op: Operation): Promise<PropertyResult> {
  const id = `auth:${op.label}`;
  if (op.unsupported) return Promise.resolve(skipped('auth', id, op.unsupported, op.label));
  const token = fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/), { nil: undefined });
  return runProperty(
    ctx,
    { id, kind: 'auth', operation: op.label },
    fc.tuple(partsArb(op), token),
    async ([parts, bad]) => {
      const request = buildRequest(op, parts, bad);
      if (bad !== undefined && bad === ctx.token) return undefined;
      const response = await exchange(ctx, request);
      if (response.status === 401 || response.status === 403) return undefined;
      const how = bad === undefined ? 'without a token' : 'with a made-up token';
      return {
        message: `protected operation answered ${response.status} ${how}`,
        request,
        response,
      };
    },
    Math.min(ctx.numRuns, 25),
  );
}

// ---------------------------------------------------------------------------------------------
// CRUD round trips

export type Collection = {
  path: string;
  param: string;
  create: Operation;
  read: Operation;
  update?: Operation;
  remove: Operation;
};

export function findCollections(ops: Operation[]): Collection[] {
  const out: Collection[] = [];
  for (const create of ops) {
    if (create.method !== 'POST' || !create.body || /\{/.test(create.path)) continue;
    const itemPath = new RegExp(
      `^${create.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}/\\{([^}/]+)\\}$`,
    );
    const items = ops.filter((o) => itemPath.test(o.path));
    const read = items.find((o) => o.method === 'GET');
    const remove = items.find((o) => o.method === 'DELETE');
    if (!read || !remove) continue;
    const update = items.find((o) => o.method === 'PUT') ?? items.find((o) => o.method === 'PATCH');
    const c: Collection = {
      path: create.path,
      param: itemPath.exec(read.path)![1]!,
      create,
      read,
      remove,
    };
    if (update) c.update = update;
    out.push(c);
  }
  return out;
}

function near(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Where `got` differs from what was `sent` (only the sent fields count). */
export function difference(sent: unknown, got: unknown, at = ''): string | undefined {
  if (typeof sent === 'number' && typeof got === 'number') {
    return near(sent, got) ? undefined : `${at || 'value'}: sent ${sent}, got ${got}`;
  }
  if (typeof sent === 'string' && typeof got === 'string') {
    if (sent === got) return undefined;
    const a = Date.parse(sent);
    if (/^\d{4}-\d\d-\d\dT/.test(sent) && !Number.isNaN(a) && a === Date.parse(got))
      return undefined;
    return `${at || 'value'}: sent ${JSON.stringify(sent)}, got ${JSON.stringify(got)}`;
  }
  if (Array.isArray(sent) && Array.isArray(got)) {
    if (sent.length !== got.length)
      return `${at || 'value'}: sent ${sent.length} items, got ${got.length}`;
    for (let i = 0; i < sent.length; i++) {
      const d = difference(sent[i], got[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(sent) && isObject(got)) {
    for (const [k, v] of Object.entries(sent)) {
      if (!(k in got)) continue;
      const d = difference(v, got[k], at ? `${at}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return sent === got
    ? undefined
    : `${at || 'value'}: sent ${JSON.stringify(sent)}, got ${JSON.stringify(got)}`;
}

/** Only the sent fields the read response documents (writeOnly ones never come back). */
function comparable(sent: unknown, read: Operation): unknown {
  const schema = read.responses.get('200') ?? read.responses.get('2XX');
  const props = schema ? prepareSchema(schema, 'response')['properties'] : undefined;
  if (!isObject(sent) || !isObject(props)) return sent;
  return Object.fromEntries(Object.entries(sent).filter(([k]) => k in props));
}

function idOf(body: unknown, param: string): string | undefined {
  if (!isObject(body)) return undefined;
  const v = body[param] ?? body['id'] ?? (isObject(body['data']) ? body['data']['id'] : undefined);
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

export function crud(ctx: Context, c: Collection): Promise<PropertyResult> {
  const id = `crud:${c.path}`;
  const needs = [c.create, c.read, c.update, c.remove].some((o) => o?.bearer);
  if (needs && ctx.token === undefined) {
    return Promise.resolve(skipped('crud', id, 'needs a bearer token: pass auth', c.path));
  }
  const arb = fc.record({
    create: partsArb(c.create),
    update: c.update ? partsArb(c.update) : fc.constant(undefined),
  });
  const itemParts = (itemId: string, extra?: Parts): Parts => ({
    path: { ...(extra?.path ?? {}), [c.param]: itemId },
    query: extra?.query ?? {},
    header: extra?.header ?? {},
    body: extra?.body,
  });
  const noBody = (p: Parts): Parts => ({ ...p, body: undefined, query: {} });
  return runProperty(
    ctx,
    { id, kind: 'crud', operation: c.path },
    arb,
    async ({ create, update }) => {
      const step = async (op: Operation, parts: Parts) => {
        const request = buildRequest(op, parts, ctx.token);
        return { request, response: await exchange(ctx, request) };
      };
      const ok = (s: number) => s >= 200 && s < 300;
      // A valid create can still be refused for reasons outside the schema (a unique value taken,
      // a referenced row missing): documented 4xx answers end the case without failing it.
      let { request, response } = await step(c.create, create);
      if (
        response.status >= 400 &&
        response.status < 500 &&
        documentedResponse(c.create, response.status)
      ) {
        return undefined;
      }
      if (!ok(response.status))
        return { message: `create answered ${response.status}`, request, response };
      const itemId = idOf(response.json, c.param);
      if (itemId === undefined)
        return { message: 'create response carries no id', request, response };

      ({ request, response } = await step(c.read, itemParts(itemId)));
      if (response.status !== 200)
        return { message: `read after create answered ${response.status}`, request, response };
      let diff = difference(comparable(create.body, c.read), response.json);
      if (diff) return { message: `read after create differs: ${diff}`, request, response };

      if (c.update && update) {
        ({ request, response } = await step(c.update, itemParts(itemId, update)));
        const refused = response.status >= 400 && response.status < 500 && response.status !== 404;
        if (refused && documentedResponse(c.update, response.status)) {
          // same reasoning as for create; still clean up below
        } else if (!ok(response.status)) {
          return { message: `update answered ${response.status}`, request, response };
        } else {
          ({ request, response } = await step(c.read, itemParts(itemId)));
          if (response.status !== 200) {
            return { message: `read after update answered ${response.status}`, request, response };
          }
          diff = difference(comparable(update.body, c.read), response.json);
          if (diff) return { message: `read after update differs: ${diff}`, request, response };
        }
      }

      ({ request, response } = await step(c.remove, noBody(itemParts(itemId))));
      if (!ok(response.status))
        return { message: `delete answered ${response.status}`, request, response };
      ({ request, response } = await step(c.read, itemParts(itemId)));
      if (response.status !== 404) {
        return {
          message: `read after delete answered ${response.status}, expected 404`,
          request,
          response,
        };
      }
      return undefined;
    },
  );
}
