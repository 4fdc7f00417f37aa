import {
  Namespace,
  deadLetterStream,
  domainOf,
  domainStream,
  newEventId,
  snakeCase,
  streamFor,
  subjectFor,
  subjectMatches,
} from '../../src/bus/index.js';
import { ThingHappenedSchema } from '../fixtures/thing.js';

describe('bus naming (DESIGN.md §4)', () => {
  it('derives subjects and streams from proto names', () => {
    expect(subjectFor('quantumlayer.generation.v1.GenerationRequested')).toBe(
      'ql.generation.v1.generation_requested',
    );
    expect(subjectFor(ThingHappenedSchema)).toBe('ql.bustest.v1.thing_happened');
    expect(subjectFor('quantumlayer.usage.v2.LLMCallCompleted')).toBe(
      'ql.usage.v2.llm_call_completed',
    );
    expect(snakeCase('CapsuleBuilt')).toBe('capsule_built');
    expect(domainOf(ThingHappenedSchema)).toBe('bustest');
    expect(streamFor('generation')).toBe('QL_GENERATION');
    expect(domainStream('generation')).toMatchObject({
      name: 'QL_GENERATION',
      subjects: ['ql.generation.>'],
    });
    expect(deadLetterStream()).toMatchObject({ name: 'QL_DLQ', subjects: ['ql.dlq.>'] });
    expect(() => subjectFor('acme.generation.v1.Thing')).toThrow(/quantumlayer/);
    expect(() => streamFor('Bad Domain')).toThrow(/domain/);
  });

  it('namespaces subjects and streams for test isolation, and strips them again', () => {
    const ns = new Namespace('t_12_ab');
    expect(ns.subject('ql.generation.v1.x')).toBe('t_12_ab.ql.generation.v1.x');
    expect(ns.stream('QL_GENERATION')).toBe('T_12_AB_QL_GENERATION');
    expect(ns.logicalSubject('t_12_ab.ql.generation.v1.x')).toBe('ql.generation.v1.x');
    expect(ns.logicalStream('T_12_AB_QL_GENERATION')).toBe('QL_GENERATION');
    expect(new Namespace(undefined).subject('ql.a')).toBe('ql.a');
    expect(() => new Namespace('Bad.Name')).toThrow(/namespace/);
  });

  it('matches NATS wildcards', () => {
    expect(subjectMatches('ql.generation.>', 'ql.generation.v1.x')).toBe(true);
    expect(subjectMatches('ql.generation.>', 'ql.generation')).toBe(false);
    expect(subjectMatches('ql.*.v1.x', 'ql.usage.v1.x')).toBe(true);
    expect(subjectMatches('ql.*.v1.x', 'ql.usage.v1.x.y')).toBe(false);
    expect(subjectMatches('ql.dlq.codegen', 'ql.dlq.codegen')).toBe(true);
  });

  it('makes sortable, unique UUIDv7 event ids', () => {
    const ids = Array.from({ length: 5_000 }, () => newEventId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 10)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    const ms = parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(5_000);
  });
});
