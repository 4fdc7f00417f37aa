import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { valueArb } from './arbitraries.js';
import { prepareSchema, ResponseValidator } from './schema.js';

describe('prepareSchema', () => {
  it('rewrites OpenAPI 3.0 nullable and boolean exclusive bounds', () => {
    expect(
      prepareSchema(
        { type: 'integer', nullable: true, minimum: 0, exclusiveMinimum: true, enum: [1, 2] },
        'request',
      ),
    ).toEqual({ type: ['integer', 'null'], exclusiveMinimum: 0, enum: [1, 2, null] });
  });

  it('drops readOnly properties from requests and writeOnly ones from responses', () => {
    const schema = {
      type: 'object',
      required: ['id', 'password', 'name'],
      properties: {
        id: { type: 'string', readOnly: true },
        password: { type: 'string', writeOnly: true },
        name: { type: 'string' },
      },
    };
    expect(prepareSchema(schema, 'request')['required']).toEqual(['password', 'name']);
    expect(prepareSchema(schema, 'response')['required']).toEqual(['id', 'name']);
  });
});

describe('valueArb', () => {
  const schemas: Record<string, unknown>[] = [
    { type: 'string', format: 'email' },
    { type: 'string', format: 'uri' },
    { type: 'string', format: 'date' },
    { type: 'string', format: 'date-time' },
    { type: 'string', format: 'uuid' },
    { type: 'string', pattern: '^[A-Z]{2}-\\d{3}$' },
    { type: 'string', minLength: 3, maxLength: 5 },
    { type: ['integer', 'null'], minimum: -3, exclusiveMaximum: 10, multipleOf: 2 },
    { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    {
      type: 'object',
      required: ['tags'],
      properties: {
        tags: {
          type: 'array',
          items: { enum: ['a', 'b', 'c'] },
          minItems: 1,
          maxItems: 3,
          uniqueItems: true,
        },
        nested: {
          allOf: [{ type: 'object', required: ['x'], properties: { x: { type: 'boolean' } } }],
        },
        either: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
      },
    },
  ];
  it.each(schemas.map((s) => [JSON.stringify(s), s]))(
    'generates only valid values for %s',
    (_, schema) => {
      const ajv = new Ajv2020({ strict: false });
      addFormats.default(ajv);
      const valid = ajv.compile(schema as object);
      fc.assert(
        fc.property(valueArb(schema), (v) => valid(v)),
        { numRuns: 200 },
      );
    },
  );

  it('validates responses with formats', () => {
    const v = new ResponseValidator();
    expect(v.validate({ type: 'string', format: 'uuid', nullable: true }, null)).toBeUndefined();
    expect(v.validate({ type: 'string', format: 'uuid' }, 'nope')).toMatch(
      /must match format "uuid"/,
    );
    expect(v.validate({ type: 'integer', format: 'int64' }, 5)).toBeUndefined();
  });
});
