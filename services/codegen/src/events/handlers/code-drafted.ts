import { CodeDraftedSchema } from '@quantumlayer/contracts';
import { decodeEvent, keepDeliveryAlive, type EventHandler } from '@quantumlayer/kit';
import { CodegenInputError } from '../../codegen.js';
import { validationResult } from '../publisher.js';
import { commit, rejectGeneration, subjectOf, type HandlerDeps } from './shared.js';

export const VALIDATE_CONSUMER = 'codegen-validate';

/**
 * CodeDrafted → the validators over the drafted file set → CodeValidated (no finding at or above
 * the threshold) or ValidationFailed (the drafter repairs and sends attempt + 1). A file set that
 * cannot be read at all fails the generation at the validation stage.
 */
export function onCodeDrafted(deps: HandlerDeps): EventHandler {
  return async (event) => {
    const msg = decodeEvent(CodeDraftedSchema, event);
    const s = subjectOf(deps, event, msg);
    const started = performance.now();
    const log = deps.logger.child({ generation: s.generationId, tenant: s.tenantId });
    try {
      if (!msg.fileset?.key) throw new CodegenInputError('fileset', 'is required');
      const fileset = msg.fileset;
      const appName = msg.requirements?.key
        ? (await deps.codegen.readRequirements(s.tenantId, msg.requirements.key)).appName
        : '';
      const v = await keepDeliveryAlive(event, 15_000, () =>
        deps.codegen.validate(s.tenantId, fileset.key),
      );
      const durationMs = performance.now() - started;
      const applied = await commit(
        deps,
        VALIDATE_CONSUMER,
        event,
        {
          ...s,
          stage: 'validation',
          attempt: msg.attempt,
          outcome: v.report.status === 'failed' ? 'rejected' : 'validated',
          appName,
          requirementsKey: msg.requirements?.key ?? '',
          filesetKey: fileset.key,
          reportKey: v.reportRef.key,
          detail: v.report.summary.text,
          durationMs,
        },
        validationResult(s, {
          report: v.report,
          reportRef: v.reportRef,
          fileSetRef: fileset,
          attempt: msg.attempt,
          appName,
          ...(msg.stack ? { stack: msg.stack } : {}),
          ...(msg.requirements ? { requirements: msg.requirements } : {}),
          contributions: msg.contributions,
        }),
      );
      if (applied)
        log.info(
          {
            attempt: msg.attempt,
            status: v.report.status,
            summary: v.report.summary.text,
            ms: Math.round(durationMs),
          },
          'code validated',
        );
    } catch (err) {
      const failure = await rejectGeneration(deps, VALIDATE_CONSUMER, event, err, {
        subject: s,
        stage: 'validation',
        attempt: msg.attempt,
        startedMs: started,
      });
      log.warn({ code: failure.code, reason: failure.message }, 'file set could not be validated');
    }
  };
}
