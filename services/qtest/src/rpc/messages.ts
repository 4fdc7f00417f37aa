// Summary ↔ protobuf: one place that knows how a run looks on the wire (TestRun, TestsCompleted).
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { GateVerdict, type TestRunSchema } from '@quantumlayer/contracts';
import type { RunSummary } from '../domain/summary.js';
import type { RunRecord } from '../store/runs.js';
import { REPORT_MEDIA_TYPE } from '../qtest.js';

export const VERDICTS = {
  accepted: GateVerdict.ACCEPTED,
  rejected: GateVerdict.REJECTED,
  inconclusive: GateVerdict.INCONCLUSIVE,
} as const satisfies Record<RunSummary['verdict'], GateVerdict>;

export const reportBlob = (r: Pick<RunRecord, 'reportKey' | 'reportSize'>) => ({
  key: r.reportKey,
  sizeBytes: BigInt(r.reportSize),
  mediaType: REPORT_MEDIA_TYPE,
});

/** The counts TestsCompleted and TestRun share. */
export function summaryFields(s: RunSummary) {
  return {
    passed: s.tests.passed,
    failed: s.tests.failed + s.tests.errored,
    skipped: s.tests.skipped,
    flaky: s.tests.flaky,
    verdict: VERDICTS[s.verdict],
    failedGates: s.failedGates,
    securityFindings: s.security,
    acceptanceCriteriaTotal: s.acceptance.total,
    acceptanceCriteriaCovered: s.acceptance.covered,
  };
}

export function toTestRun(
  r: Omit<RunRecord, 'createdAt'> & { createdAt?: Date },
): MessageInitShape<typeof TestRunSchema> {
  const s = r.summary;
  return {
    runId: r.runId,
    tenantId: r.tenantId,
    generationId: r.generationId,
    manifestDigest: r.manifestDigest,
    runner: s.runner,
    ...summaryFields(s),
    runs: s.runs,
    lineCoveragePct: s.coverage.lines ?? -1,
    branchCoveragePct: s.coverage.branches ?? -1,
    functionCoveragePct: s.coverage.functions ?? -1,
    stoppedBy: s.stopped?.by ?? '',
    stopReason: s.stopped?.reason ?? '',
    report: reportBlob(r),
    durationMs: s.durationMs,
    ...(r.createdAt ? { createdAt: timestampFromDate(r.createdAt) } : {}),
  };
}
