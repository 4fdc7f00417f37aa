import type { QTestService } from '@quantumlayer/contracts';
import { callerTenant, type Database, type ServiceImpl } from '@quantumlayer/kit';
import { QTestRequestError } from '../errors.js';
import { FILESET_MEDIA_TYPE } from '@quantumlayer/codegen';
import type { QTest } from '../qtest.js';
import { saveRun } from '../store/runs.js';
import { toTestRun } from './messages.js';

type Source =
  | { case: 'capsule'; value: { key: string } }
  | { case: 'archive'; value: Uint8Array }
  | { case: undefined; value?: undefined };

async function archiveOf(qtest: QTest, tenant: string, source: Source): Promise<Uint8Array> {
  if (source.case === 'capsule') {
    if (!source.value.key) throw new QTestRequestError('capsule.key', 'is required');
    return qtest.blob(tenant, source.value.key, 'capsule');
  }
  if (source.case === 'archive') return qtest.checkArchive(source.value);
  throw new QTestRequestError('source', 'give capsule (a blob reference) or archive');
}

/** QTestService over the QTest operations; errors leave through `toRpcError`. */
export function qtestServiceImpl(qtest: QTest, db: Database): ServiceImpl<typeof QTestService> {
  return {
    async run(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      if (req.runs < 0 || req.runs > 10)
        throw new QTestRequestError('runs', 'must be between 1 and 10 (0 means the default)');
      const archive = await archiveOf(qtest, tenant, req.source);
      const { record } = await qtest.run(tenant, {
        generationId: req.generationId,
        attempt: 0,
        archive,
        ...(req.source.case === 'capsule' ? { capsuleKey: req.source.value.key } : {}),
        runs: req.runs,
        requirementsKey: req.requirements?.key || undefined,
        signal: ctx.signal,
      });
      const saved = await db.transaction((tx) => saveRun(tx, record));
      return { run: toTestRun(saved) };
    },

    async generate(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      if (req.maxTests < 0 || req.maxTests > 50)
        throw new QTestRequestError('max_tests', 'must be between 1 and 50 (0 means 10)');
      const archive = await archiveOf(qtest, tenant, req.source);
      const r = await qtest.generate(tenant, {
        generationId: req.generationId,
        archive,
        maxTests: req.maxTests || 10,
        model: req.model,
        signal: ctx.signal,
      });
      return {
        proposed: r.proposed,
        kept: r.kept,
        rejected: r.rejected,
        tests: r.tests.map((t) => ({
          path: t.path,
          target: t.target,
          kept: t.kept,
          reason: t.reason,
          coverageGainPct: t.coverageGainPct,
        })),
        lineCoverageBeforePct: r.lineCoverageBeforePct,
        lineCoverageAfterPct: r.lineCoverageAfterPct,
        ...(r.fileSetKey
          ? {
              fileSet: {
                key: r.fileSetKey,
                sizeBytes: BigInt(r.fileSetSize ?? 0),
                mediaType: FILESET_MEDIA_TYPE,
              },
            }
          : {}),
      };
    },

    async getRun(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      if (!req.runId) throw new QTestRequestError('run_id', 'is required');
      return { run: toTestRun(await qtest.getRun(tenant, req.runId)) };
    },
  };
}
