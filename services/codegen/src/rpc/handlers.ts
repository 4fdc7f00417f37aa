import {
  BlueprintSchema as BlueprintProto,
  ComplexityReportSchema as ComplexityProto,
  FileSetSchema as FileSetProto,
  RequirementsSchema as RequirementsProto,
  Severity as SeverityProto,
  ValidationReportSchema as ReportProto,
  type CodegenService,
} from '@quantumlayer/contracts';
import { callerTenant, type ServiceImpl } from '@quantumlayer/kit';
import { CodegenInputError, type Codegen } from '../codegen.js';
import { blobRef } from '../events/publisher.js';
import { CHECK_NAMES, type CheckName, type Severity } from '../validators/index.js';
import { artifactFromProto, artifactToProto } from './artifacts.js';

const SEVERITY: Partial<Record<SeverityProto, Severity>> = {
  [SeverityProto.INFO]: 'info',
  [SeverityProto.LOW]: 'low',
  [SeverityProto.MEDIUM]: 'medium',
  [SeverityProto.HIGH]: 'high',
  [SeverityProto.CRITICAL]: 'critical',
};

function checksOf(names: readonly string[]): CheckName[] {
  return names.map((name, i) => {
    if (!(CHECK_NAMES as readonly string[]).includes(name)) {
      throw new CodegenInputError(
        `checks[${i}]`,
        `must be one of ${CHECK_NAMES.join(', ')}, got "${name}"`,
      );
    }
    return name as CheckName;
  });
}

/** CodegenService over the Codegen operations; errors leave through `toRpcError` (rpc/errors.ts). */
export function codegenServiceImpl(codegen: Codegen): ServiceImpl<typeof CodegenService> {
  return {
    async analyze(req, ctx) {
      callerTenant(ctx, req.tenantId);
      const a = codegen.analyze(req.description, req.stack ? { stack: req.stack } : {});
      return {
        requirements: artifactToProto(RequirementsProto, a.requirements),
        complexity: artifactToProto(ComplexityProto, a.complexity),
        blueprint: artifactToProto(BlueprintProto, a.blueprint),
      };
    },

    async render(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      if (!req.requirements) throw new CodegenInputError('requirements', 'is required');
      const r = await codegen.render(
        tenant,
        {
          requirements: artifactFromProto(RequirementsProto, req.requirements),
          ...(req.blueprint ? { blueprint: artifactFromProto(BlueprintProto, req.blueprint) } : {}),
          stack: req.stack,
        },
        ctx.signal,
      );
      return {
        fileSet: artifactToProto(FileSetProto, r.fileSet),
        fileSetRef: blobRef(r.fileSetRef),
        blueprint: artifactToProto(BlueprintProto, r.blueprint),
      };
    },

    async validate(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      if (!req.fileSet?.key)
        throw new CodegenInputError('file_set', 'is required (a FileSet blob reference)');
      const failOn = SEVERITY[req.failOn];
      const v = await codegen.validate(tenant, req.fileSet.key, {
        checks: checksOf(req.checks),
        ...(failOn ? { failOn } : {}),
        signal: ctx.signal,
      });
      return {
        report: artifactToProto(ReportProto, v.report),
        reportRef: blobRef(v.reportRef),
      };
    },
  };
}
