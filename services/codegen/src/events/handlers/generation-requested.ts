import { GenerationRequestedSchema } from '@quantumlayer/contracts';
import { decodeEvent, type EventHandler } from '@quantumlayer/kit';
import { requirementsAnalyzed } from '../publisher.js';
import { commit, rejectGeneration, subjectOf, type HandlerDeps } from './shared.js';

export const ANALYZE_CONSUMER = 'codegen-analyze';

/**
 * GenerationRequested → RequirementsAnalyzed (requirements and blueprint stored as blobs), or
 * GenerationFailed at the analysis stage when the description cannot be used: input errors are
 * final, so they are reported instead of being retried.
 */
export function onGenerationRequested(deps: HandlerDeps): EventHandler {
  return async (event) => {
    const msg = decodeEvent(GenerationRequestedSchema, event);
    const s = subjectOf(deps, event, msg);
    const started = performance.now();
    const log = deps.logger.child({ generation: s.generationId, tenant: s.tenantId });
    try {
      const a = await deps.codegen.analyzeAndStore(s.tenantId, msg.description, {
        ...(msg.stack?.templateId ? { stack: msg.stack.templateId } : {}),
        ...(msg.options?.projectName ? { projectName: msg.options.projectName } : {}),
      });
      const durationMs = performance.now() - started;
      const applied = await commit(
        deps,
        ANALYZE_CONSUMER,
        event,
        {
          ...s,
          stage: 'analysis',
          attempt: 0,
          outcome: 'analyzed',
          appName: a.requirements.appName,
          requirementsKey: a.requirementsRef.key,
          blueprintKey: a.blueprintRef.key,
          durationMs,
        },
        requirementsAnalyzed(s, a, msg.mode),
      );
      if (applied)
        log.info(
          {
            app: a.requirements.appName,
            entities: a.requirements.entities.length,
            effort: a.complexity.effort,
            ms: Math.round(durationMs),
          },
          'requirements analyzed',
        );
    } catch (err) {
      const failure = await rejectGeneration(deps, ANALYZE_CONSUMER, event, err, {
        subject: s,
        stage: 'analysis',
        attempt: 0,
        startedMs: started,
      });
      log.info({ code: failure.code }, 'generation rejected at analysis');
    }
  };
}
