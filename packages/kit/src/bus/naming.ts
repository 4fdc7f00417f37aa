import type { DescMessage } from '@bufbuild/protobuf';
import type { ConsumerSpec, StreamSpec } from './types.js';

const TYPE_NAME = /^quantumlayer\.([a-z][a-z0-9_]*)\.(v[0-9]+)\.([A-Z][A-Za-z0-9]*)$/;

export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function parseTypeName(typeName: string): { domain: string; version: string; name: string } {
  const m = TYPE_NAME.exec(typeName);
  if (!m) {
    throw new Error(
      `event type "${typeName}": expected quantumlayer.<domain>.v<N>.<EventName> (DESIGN.md §4)`,
    );
  }
  return { domain: m[1]!, version: m[2]!, name: m[3]! };
}

/** `quantumlayer.generation.v1.GenerationRequested` → `ql.generation.v1.generation_requested`. */
export function subjectFor(schema: Pick<DescMessage, 'typeName'> | string): string {
  const typeName = typeof schema === 'string' ? schema : schema.typeName;
  let subject = subjects.get(typeName);
  if (subject === undefined) {
    const { domain, version, name } = parseTypeName(typeName);
    subject = `ql.${domain}.${version}.${snakeCase(name)}`;
    subjects.set(typeName, subject);
  }
  return subject;
}

/** Per event type: every event is given its subject, and the router makes one per call. */
const subjects = new Map<string, string>();

/** The domain an event belongs to, which names its stream. */
export function domainOf(schema: Pick<DescMessage, 'typeName'> | string): string {
  return parseTypeName(typeof schema === 'string' ? schema : schema.typeName).domain;
}

/** `generation` → `QL_GENERATION`: one stream per domain. */
export function streamFor(domain: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(domain)) {
    throw new Error(`domain "${domain}": expected lower-case letters, digits or _`);
  }
  return `QL_${domain.toUpperCase()}`;
}

/** The stream of one domain, capturing every version of its events. */
export function domainStream(
  domain: string,
  limits: Omit<StreamSpec, 'name' | 'subjects'> = {},
): StreamSpec {
  return {
    maxAgeMs: 7 * 24 * 3600_000,
    ...limits,
    name: streamFor(domain),
    subjects: [`ql.${domain}.>`],
  };
}

export const DEAD_LETTER_STREAM = 'QL_DLQ';

/** One stream holds every service's dead letters; operators inspect and replay from it. */
export function deadLetterStream(limits: Omit<StreamSpec, 'name' | 'subjects'> = {}): StreamSpec {
  return {
    maxAgeMs: 30 * 24 * 3600_000,
    ...limits,
    name: DEAD_LETTER_STREAM,
    subjects: ['ql.dlq.>'],
  };
}

export function deadLetterSubject(service: string): string {
  return `ql.dlq.${service}`;
}

/**
 * The durable consumer a service runs for one event type, with the platform's defaults: the
 * event's domain stream, bounded redelivery with backoff, then `ql.dlq.<service>`; shutdown waits
 * up to half the service's shutdown budget for handlers in flight.
 */
export function eventConsumer(options: {
  service: string;
  /** `<service>-<purpose>`, e.g. `codegen-analyze`. */
  durable: string;
  schema: Pick<DescMessage, 'typeName'>;
  maxInFlight: number;
  shutdownTimeoutMs: number;
  maxDeliver?: number;
  ackWaitMs?: number;
}): ConsumerSpec {
  return {
    stream: streamFor(domainOf(options.schema)),
    durable: options.durable,
    filterSubject: subjectFor(options.schema),
    maxDeliver: options.maxDeliver ?? 5,
    // Handlers that run long extend their delivery; this bounds a crashed one.
    ackWaitMs: options.ackWaitMs ?? 60_000,
    maxInFlight: options.maxInFlight,
    deadLetterSubject: deadLetterSubject(options.service),
    backoff: { initialMs: 1_000, maxMs: 30_000 },
    stopTimeoutMs: Math.floor(options.shutdownTimeoutMs / 2),
  };
}

const NAMESPACE = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Test isolation: the servers outlive a run, so a namespace prefixes every subject
 * (`t_1.ql.generation.v1.x`) and stream (`T_1_QL_GENERATION`) a bus touches. Code above the bus
 * only ever sees logical names.
 */
export class Namespace {
  private readonly subjectPrefix: string;
  private readonly streamPrefix: string;

  constructor(readonly name: string | undefined) {
    if (name !== undefined && !NAMESPACE.test(name)) {
      throw new Error(`bus namespace "${name}": expected lower-case letters, digits or _ (max 40)`);
    }
    this.subjectPrefix = name ? `${name}.` : '';
    this.streamPrefix = name ? `${name.toUpperCase()}_` : '';
  }

  subject(logical: string): string {
    return this.subjectPrefix + logical;
  }

  stream(logical: string): string {
    return this.streamPrefix + logical;
  }

  logicalSubject(physical: string): string {
    return this.subjectPrefix && physical.startsWith(this.subjectPrefix)
      ? physical.slice(this.subjectPrefix.length)
      : physical;
  }

  logicalStream(physical: string): string {
    return this.streamPrefix && physical.startsWith(this.streamPrefix)
      ? physical.slice(this.streamPrefix.length)
      : physical;
  }
}

/** NATS subject matching with `*` (one token) and `>` (one or more trailing tokens). */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}

/** Whether two subject filters can match a common subject (streams may not overlap). */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === '>' || q === '>') return p !== undefined && q !== undefined;
    if (p === undefined || q === undefined) return false;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
  return true;
}
