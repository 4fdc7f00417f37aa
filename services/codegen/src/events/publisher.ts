// The events codegen publishes, built from its results (DESIGN.md §4: one message per fact,
// large content as blob references). Each goes out through the transactional outbox.
import { create } from '@bufbuild/protobuf';
import {
  CodeDraftedSchema,
  CodeValidatedSchema,
  Complexity,
  GenerationMode,
  RequirementsAnalyzedSchema,
  ValidationCheck,
  ValidationFailedSchema,
  type AgentContribution,
  type BlobRef as ProtoBlobRef,
  type Stack,
} from '@quantumlayer/contracts';
import { toOutgoingEvent, type OutgoingEvent } from '@quantumlayer/kit';
import type { StoredAnalysis } from '../codegen.js';
import type { BlobRef, Blueprint, EffortClass } from '../domain/index.js';
import type { CheckName, ValidationReport } from '../validators/index.js';

export const SOURCE = 'codegen';

const COMPLEXITY: Record<EffortClass, Complexity> = {
  simple: Complexity.LOW,
  medium: Complexity.MEDIUM,
  complex: Complexity.HIGH,
};

const CHECK: Record<CheckName, ValidationCheck> = {
  syntax: ValidationCheck.SYNTAX,
  typecheck: ValidationCheck.TYPECHECK,
  security: ValidationCheck.SECURITY,
  secrets: ValidationCheck.SECRETS,
  dependencies: ValidationCheck.DEPENDENCIES,
};

export function blobRef(r: BlobRef): ProtoBlobRef {
  return {
    $typeName: 'quantumlayer.common.v1.BlobRef',
    key: r.key,
    sizeBytes: BigInt(r.sizeBytes),
    mediaType: r.mediaType,
  };
}

export function protoStack(b: Blueprint): Stack {
  return {
    $typeName: 'quantumlayer.generation.v1.Stack',
    templateId: b.stack.templateId,
    language: b.stack.language,
    framework: b.stack.framework,
    database: b.stack.database,
    packageManager: b.stack.packageManager,
  };
}

interface Subject {
  generationId: string;
  tenantId: string;
}

function meta(s: Subject) {
  return { source: SOURCE, ceSubject: s.generationId, tenantId: s.tenantId };
}

export function requirementsAnalyzed(
  s: Subject,
  a: StoredAnalysis,
  mode: GenerationMode,
): OutgoingEvent {
  const r = a.requirements;
  return toOutgoingEvent(
    RequirementsAnalyzedSchema,
    create(RequirementsAnalyzedSchema, {
      ...s,
      requirements: blobRef(a.requirementsRef),
      appName: r.appName,
      summary: r.summary,
      featureCount: r.features.length,
      entityCount: r.entities.length,
      acceptanceCriteriaCount: r.acceptanceCriteria.length,
      complexity: COMPLEXITY[a.complexity.effort],
      stack: protoStack(a.blueprint),
      mode: mode === GenerationMode.UNSPECIFIED ? GenerationMode.BLUEPRINT : mode,
      blueprint: blobRef(a.blueprintRef),
      ruleBased: true,
    }),
    meta(s),
  );
}

export function codeDrafted(
  s: Subject,
  d: {
    fileSetRef: BlobRef;
    fileCount: number;
    blueprint: Blueprint;
    requirementsRef: BlobRef;
    attempt: number;
  },
): OutgoingEvent {
  return toOutgoingEvent(
    CodeDraftedSchema,
    create(CodeDraftedSchema, {
      ...s,
      fileset: blobRef(d.fileSetRef),
      attempt: d.attempt,
      fileCount: d.fileCount,
      stack: protoStack(d.blueprint),
      requirements: blobRef(d.requirementsRef),
      // Rendered by templates: no agent contributed (the FileSet's provenance names the generator).
      contributions: [],
    }),
    meta(s),
  );
}

function severityCounts(report: ValidationReport) {
  return {
    $typeName: 'quantumlayer.common.v1.SeverityCounts' as const,
    ...report.summary.bySeverity,
  };
}

export function validationResult(
  s: Subject,
  v: {
    report: ValidationReport;
    reportRef: BlobRef;
    fileSetRef: ProtoBlobRef;
    attempt: number;
    appName: string;
    stack?: Stack;
    requirements?: ProtoBlobRef;
    contributions?: AgentContribution[];
  },
): OutgoingEvent {
  if (v.report.status === 'failed') {
    const failed = (Object.keys(CHECK) as CheckName[]).filter(
      (c) => v.report.checks[c].status === 'failed' || v.report.checks[c].status === 'error',
    );
    return toOutgoingEvent(
      ValidationFailedSchema,
      create(ValidationFailedSchema, {
        ...s,
        fileset: v.fileSetRef,
        attempt: v.attempt,
        report: blobRef(v.reportRef),
        findings: severityCounts(v.report),
        failedChecks: failed.map((c) => CHECK[c]),
      }),
      meta(s),
    );
  }
  return toOutgoingEvent(
    CodeValidatedSchema,
    create(CodeValidatedSchema, {
      ...s,
      fileset: v.fileSetRef,
      attempt: v.attempt,
      report: blobRef(v.reportRef),
      findings: severityCounts(v.report),
      appName: v.appName,
      ...(v.stack ? { stack: v.stack } : {}),
      ...(v.requirements ? { requirements: v.requirements } : {}),
      ...(v.contributions ? { contributions: v.contributions } : {}),
    }),
    meta(s),
  );
}
