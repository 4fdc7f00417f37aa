import { create } from '@bufbuild/protobuf';
import { CapsuleBuiltSchema, GenerationStage, TestsCompletedSchema } from '@quantumlayer/contracts';
import {
  decodeEvent,
  enqueue,
  failGeneration,
  generationSubject,
  keepDeliveryAlive,
  TerminalError,
  toOutgoingEvent,
  type EventHandler,
  type Inbox,
  type Logger,
  type OutboxRelay,
} from '@quantumlayer/kit';
import { inputFailure } from '../../errors.js';
import type { QTest } from '../../qtest.js';
import { saveRun } from '../../store/runs.js';
import { reportBlob, summaryFields } from '../../rpc/messages.js';

export const TEST_CONSUMER = 'qtest-run';

export interface HandlerDeps {
  qtest: QTest;
  inbox: Inbox;
  relay: OutboxRelay;
  logger: Logger;
}

/**
 * CapsuleBuilt → the quality gate runs on the capsule → TestsCompleted with the verdict, in one
 * transaction with the run's row and the inbox entry. The run id is derived from the capsule and
 * attempt, so a redelivered event (the service died mid-run) runs again and records one run. A
 * capsule that cannot be unpacked fails the generation at the testing stage.
 */
export function onCapsuleBuilt(deps: HandlerDeps): EventHandler {
  return async (event) => {
    const msg = decodeEvent(CapsuleBuiltSchema, event);
    const s = generationSubject(event, msg, (id) => deps.qtest.tenant(id));
    const tenantId = s.tenantId;
    const meta = { source: 'qtest', ceSubject: s.generationId, tenantId };
    const log = deps.logger.child({ generation: s.generationId, tenant: tenantId });
    const started = performance.now();
    try {
      const key = msg.capsule?.key;
      if (!key) throw new TerminalError(`event ${event.id}: capsule is empty`);
      // Installing and running the tests five times takes minutes: keep the delivery alive.
      const { record } = await keepDeliveryAlive(event, 15_000, async () =>
        deps.qtest.run(tenantId, {
          generationId: msg.generationId,
          attempt: msg.attempt,
          archive: await deps.qtest.blob(tenantId, key, 'capsule'),
          capsuleKey: key,
          manifestDigest: msg.manifestDigest,
          deterministicId: true,
        }),
      );
      const applied = await deps.inbox.process(TEST_CONSUMER, event, async (tx) => {
        const saved = await saveRun(tx, record);
        const sum = saved.summary;
        await enqueue(
          tx,
          toOutgoingEvent(
            TestsCompletedSchema,
            create(TestsCompletedSchema, {
              ...s,
              manifestDigest: saved.manifestDigest,
              attempt: msg.attempt,
              ...summaryFields(sum),
              lineCoveragePct: sum.coverage.lines ?? 0,
              report: reportBlob(saved),
              healed: sum.healed,
            }),
            meta,
          ),
        );
      });
      if (applied) {
        deps.relay.wake();
        log.info(
          {
            verdict: record.summary.verdict,
            passed: record.summary.tests.passed,
            lines: record.summary.coverage.lines,
            ms: Math.round(performance.now() - started),
          },
          'tests completed',
        );
      }
    } catch (err) {
      const failure = inputFailure(err);
      if (!failure) throw err;
      await failGeneration(deps, TEST_CONSUMER, event, {
        subject: s,
        source: 'qtest',
        stage: GenerationStage.TESTING,
        reason: failure.message,
        errorCode: failure.code,
        attempts: msg.attempt,
        startedMs: started,
      });
      log.warn({ code: failure.code, reason: failure.message }, 'capsule could not be tested');
    }
  };
}
