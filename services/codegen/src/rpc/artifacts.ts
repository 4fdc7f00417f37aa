// Conversion between the artifacts' canonical JSON (validated by the zod schemas in src/domain)
// and their protobuf messages, by the convention the .proto files document: the same field names
// as the proto3 JSON names, enum values written as the lower-case suffix of the proto value name
// (FIELD_TYPE_MONEY <-> "money"), and a oneof written as a `by` discriminator next to the chosen
// member's fields ({ by: "generator", generator, template } <-> { generator: { generator, template } }).
// One generic walk over the message descriptors, so a field added to both sides needs no code here.
import {
  fromJson,
  toJson,
  type DescEnum,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type MessageShape,
  ScalarType,
} from '@bufbuild/protobuf';

const STRUCT_TYPES = new Set([
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
]);

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function enumToProto(e: DescEnum, value: JsonValue): JsonValue {
  if (typeof value !== 'string') return value;
  const match = e.values.find((v) => v.localName.toLowerCase() === value);
  // An unknown value is left as it is, so fromJson names it in its error.
  return match ? match.name : value;
}

function enumFromProto(e: DescEnum, value: JsonValue): JsonValue {
  if (typeof value !== 'string') return value;
  const match = e.values.find((v) => v.name === value);
  return match ? match.localName.toLowerCase() : value;
}

function fieldToProto(field: DescField, value: JsonValue): JsonValue {
  switch (field.fieldKind) {
    case 'enum':
      return enumToProto(field.enum, value);
    case 'message':
      return messageToProto(field.message, value);
    case 'list':
      if (!Array.isArray(value)) return value;
      if (field.listKind === 'enum') return value.map((v) => enumToProto(field.enum, v));
      if (field.listKind === 'message') return value.map((v) => messageToProto(field.message, v));
      return value;
    case 'map':
      if (!isObject(value)) return value;
      if (field.mapKind === 'enum')
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, enumToProto(field.enum, v)]),
        );
      if (field.mapKind === 'message')
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, messageToProto(field.message, v)]),
        );
      return value;
    default:
      return value;
  }
}

function messageToProto(desc: DescMessage, value: JsonValue): JsonValue {
  if (STRUCT_TYPES.has(desc.typeName) || !isObject(value)) return value;
  let input = value;
  // { by: "generator", ...fields } -> { generator: { ...fields } }
  const by = input['by'];
  if (typeof by === 'string' && !desc.fields.some((f) => f.localName === 'by')) {
    const member = desc.oneofs.flatMap((o) => o.fields).find((f) => f.localName === by);
    if (member) {
      const { by: _by, ...rest } = input;
      input = { [member.jsonName]: rest };
    }
  }
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(input)) {
    const field = desc.fields.find((f) => f.jsonName === key || f.localName === key);
    out[key] = field && v !== null ? fieldToProto(field, v) : v;
  }
  return out;
}

const INT64 = new Set<ScalarType>([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

/** proto3 JSON writes 64-bit integers as strings; the artifacts hold numbers (all well below 2^53). */
function int64FromProto(scalar: ScalarType, value: JsonValue): JsonValue {
  if (!INT64.has(scalar) || typeof value !== 'string') return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

function fieldFromProto(field: DescField, value: JsonValue): JsonValue {
  switch (field.fieldKind) {
    case 'scalar':
      return int64FromProto(field.scalar, value);
    case 'enum':
      return enumFromProto(field.enum, value);
    case 'message':
      return messageFromProto(field.message, value);
    case 'list':
      if (!Array.isArray(value)) return value;
      if (field.listKind === 'enum') return value.map((v) => enumFromProto(field.enum, v));
      if (field.listKind === 'message') return value.map((v) => messageFromProto(field.message, v));
      return value.map((v) => int64FromProto(field.scalar, v));
    case 'map':
      if (!isObject(value)) return value;
      if (field.mapKind === 'enum')
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, enumFromProto(field.enum, v)]),
        );
      if (field.mapKind === 'message')
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, messageFromProto(field.message, v)]),
        );
      return value;
    default:
      return value;
  }
}

function messageFromProto(desc: DescMessage, value: JsonValue): JsonValue {
  if (STRUCT_TYPES.has(desc.typeName) || !isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    const field = desc.fields.find((f) => f.jsonName === key);
    if (
      field?.oneof &&
      isObject(v) &&
      field.message &&
      !field.message.fields.some((f) => f.localName === 'by')
    ) {
      // { generator: { ...fields } } -> { by: "generator", ...fields }
      Object.assign(out, { by: field.localName }, messageFromProto(field.message, v));
      continue;
    }
    // Lists, maps, numbers and booleans keep their zero values (the artifacts require them);
    // an empty string or an unspecified enum is proto3's "not set", which the artifacts write
    // as an absent optional field.
    if (field?.fieldKind === 'scalar' && v === '') continue;
    if (
      field?.fieldKind === 'enum' &&
      v === field.enum.values[0]?.name &&
      field.enum.values[0].number === 0
    )
      continue;
    out[key] = field && v !== null ? fieldFromProto(field, v) : v;
  }
  return out;
}

/** Artifact JSON (the zod schemas' output) to its protobuf message; unknown fields are errors. */
export function artifactToProto<Desc extends DescMessage>(
  schema: Desc,
  json: unknown,
): MessageShape<Desc> {
  return fromJson(schema, messageToProto(schema, JSON.parse(JSON.stringify(json)) as JsonValue));
}

/**
 * A protobuf message to artifact JSON, every field present (the zod schema decides what the
 * defaults mean); parse it with the artifact's schema before use.
 */
export function artifactFromProto<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): JsonObject {
  const json = toJson(schema, message, { alwaysEmitImplicit: true });
  return messageFromProto(schema, json) as JsonObject;
}
