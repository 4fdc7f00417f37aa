import { Metadata } from '@grpc/grpc-js';
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

export { Metadata } from '@grpc/grpc-js';

/** Plain string maps are accepted wherever metadata goes out, so callers need not build one. */
export type MetadataInit = Metadata | Record<string, string>;

export function toMetadata(init: MetadataInit | undefined): Metadata {
  if (init instanceof Metadata) return init.clone();
  const md = new Metadata();
  for (const [key, value] of Object.entries(init ?? {})) md.set(key, value);
  return md;
}

/** The bearer token of an `authorization` header, for `authenticate` implementations. */
export function bearerToken(metadata: Metadata): string | undefined {
  const [value] = metadata.get('authorization');
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return match?.[1];
}

// W3C trace context rides in gRPC metadata exactly as in HTTP headers (lower-case keys).
export const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

export const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};
