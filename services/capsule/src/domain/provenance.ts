// provenance.intoto.json: an in-toto Statement v1 whose predicate is SLSA Provenance v1. The
// subjects are the capsule's payload files (project files and the run script) with their sha256,
// so the statement says which bytes the generation produced. No timestamps: the build must be
// reproducible, and the signature over capsule.json (which pins this file's digest) dates nothing.
import { z } from 'zod';
import { SLSA_PROVENANCE_PREDICATE_TYPE } from './manifest.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** buildType of the SLSA predicate: how to read externalParameters below. */
export const CAPSULE_BUILD_TYPE = 'https://quantumlayer.dev/capsule/build/v1';

const DigestSetSchema = z.record(z.string(), z.string());

export const ResourceDescriptorSchema = z.object({
  name: z.string().optional(),
  uri: z.string().optional(),
  digest: DigestSetSchema.optional(),
});

/** The parts of the statement the verifier relies on; other fields are allowed (SLSA is open). */
export const ProvenanceStatementSchema = z.looseObject({
  _type: z.literal(IN_TOTO_STATEMENT_TYPE),
  subject: z
    .array(z.looseObject({ name: z.string(), digest: z.looseObject({ sha256: z.string() }) }))
    .min(1),
  predicateType: z.literal(SLSA_PROVENANCE_PREDICATE_TYPE),
  predicate: z.looseObject({
    buildDefinition: z.looseObject({
      buildType: z.string(),
      externalParameters: z.record(z.string(), z.unknown()),
      internalParameters: z.record(z.string(), z.unknown()).optional(),
      resolvedDependencies: z.array(ResourceDescriptorSchema).optional(),
    }),
    runDetails: z.looseObject({
      builder: z.looseObject({ id: z.string() }),
      metadata: z.looseObject({ invocationId: z.string().optional() }).optional(),
    }),
  }),
});
export type ProvenanceStatement = z.infer<typeof ProvenanceStatementSchema>;

export interface ProvenanceInput {
  subjects: readonly { name: string; sha256: string }[];
  builderId: string;
  externalParameters: Record<string, unknown>;
  internalParameters: Record<string, unknown>;
  resolvedDependencies: z.infer<typeof ResourceDescriptorSchema>[];
  invocationId?: string;
  builderVersion: Record<string, string>;
}

export function buildProvenance(input: ProvenanceInput): string {
  const statement = {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: input.subjects.map((s) => ({ name: s.name, digest: { sha256: s.sha256 } })),
    predicateType: SLSA_PROVENANCE_PREDICATE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: CAPSULE_BUILD_TYPE,
        externalParameters: input.externalParameters,
        internalParameters: input.internalParameters,
        resolvedDependencies: input.resolvedDependencies,
      },
      runDetails: {
        builder: { id: input.builderId, version: input.builderVersion },
        ...(input.invocationId !== undefined
          ? { metadata: { invocationId: input.invocationId } }
          : {}),
      },
    },
  };
  return `${JSON.stringify(statement, null, 2)}\n`;
}
