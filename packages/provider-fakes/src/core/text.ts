// Deterministic stand-ins for what a model would produce: token estimates, echo replies,
// stream splits, schema-shaped JSON and embedding vectors. No randomness, so tests and
// benchmarks see the same bytes every run.

/** Token estimate used everywhere: one token per 4 characters, rounded up. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

const ECHO_LIMIT = 200;

/** The default reply text: `echo: ` and the last input text, whitespace collapsed, cut at 200. */
export function echoText(lastInput: string): string {
  const collapsed = lastInput.replace(/\s+/g, ' ').trim();
  return `echo: ${collapsed.length > ECHO_LIMIT ? collapsed.slice(0, ECHO_LIMIT) : collapsed}`;
}

/** Splits text into stream pieces: one word with its trailing whitespace per piece. */
export function splitWords(text: string): string[] {
  if (text === '') return [];
  const pieces = text.match(/\s*\S+\s*/g);
  return pieces ?? [text];
}

/** Splits a JSON argument string into fixed-size fragments, as providers stream them. */
export function splitFixed(text: string, size = 12): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

type Schema = Record<string, unknown>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    if (!isObject(node)) return undefined;
    node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return isObject(node) ? node : undefined;
}

/**
 * A small value that satisfies a JSON schema: every property present, the first enum value,
 * `const`, minimums for numbers, one item for arrays. Strings take `seed` (the echo text).
 */
export function sampleFromSchema(schema: unknown, seed: string, root?: Schema, depth = 0): unknown {
  if (!isObject(schema) || depth > 8) return null;
  const top = root ?? schema;
  if (typeof schema.$ref === 'string') {
    return sampleFromSchema(resolveRef(top, schema.$ref), seed, top, depth + 1);
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      if (key === 'allOf') {
        const merged: Record<string, unknown> = {};
        for (const part of options) {
          const value = sampleFromSchema(part, seed, top, depth + 1);
          if (isObject(value)) Object.assign(merged, value);
        }
        return merged;
      }
      return sampleFromSchema(options[0], seed, top, depth + 1);
    }
  }
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined && isObject(schema.properties)) type = 'object';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = isObject(schema.properties) ? schema.properties : {};
      for (const [name, sub] of Object.entries(props)) {
        out[name] = sampleFromSchema(sub, seed, top, depth + 1);
      }
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const item = sampleFromSchema(schema.items, seed, top, depth + 1);
      return Array.from({ length: Math.max(1, Math.min(min, 3)) }, () => item);
    }
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string': {
      if (schema.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (schema.format === 'date') return '2026-01-01';
      if (schema.format === 'email') return 'fake@example.com';
      if (schema.format === 'uri') return 'https://example.com/';
      const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
      return max === undefined ? seed : seed.slice(0, max);
    }
    default:
      return seed;
  }
}

/** FNV-1a 32-bit: a fixed, fast hash for seeding embedding vectors. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A unit-length vector derived from the text alone (xorshift32 seeded by FNV-1a), so equal
 * inputs embed equally across runs and fakes. Values are rounded to float32.
 */
export function embedText(text: string, dimensions: number): number[] {
  let state = fnv1a(text) || 1;
  const raw: number[] = new Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const v = state / 0xffffffff - 0.5;
    raw[i] = v;
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return raw.map((v) => Math.fround(v * scale));
}

/** Little-endian float32 bytes in base64: OpenAI's `encoding_format: "base64"`. */
export function floatsToBase64(values: number[]): string {
  const buf = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i]!, i * 4);
  return buf.toString('base64');
}
