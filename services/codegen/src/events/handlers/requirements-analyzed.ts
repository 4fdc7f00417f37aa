import { GenerationMode, RequirementsAnalyzedSchema } from '@quantumlayer/contracts';
import { decodeEvent, keepDeliveryAlive, type EventHandler } from '@quantumlayer/kit';
import { CodegenInputError } from '../../codegen.js';
import { codeDrafted } from '../publisher.js';
import { commit, rejectGeneration, subjectOf, type HandlerDeps } from './shared.js';

export const DRAFT_CONSUMER = 'codegen-draft';

/**
 * Blueprint mode's drafter: RequirementsAnalyzed (mode BLUEPRINT) → the stack templates render
 * the project → CodeDrafted (attempt 1). Agent mode's drafts come from the agent service, so
 * other modes are acknowledged and left alone.
 */
export function onRequirementsAnalyzed(deps: HandlerDeps): EventHandler {
  return async (event) => {
    const msg = decodeEvent(RequirementsAnalyzedSchema, event);
    if (msg.mode !== GenerationMode.BLUEPRINT) return;
    const s = subjectOf(deps, event, msg);
    const started = performance.now();
    const log = deps.logger.child({ generation: s.generationId, tenant: s.tenantId });
    try {
      if (!msg.requirements?.key || !msg.blueprint?.key) {
        throw new CodegenInputError(
          'requirements_analyzed',
          'must carry the requirements and blueprint blob references',
        );
      }
      const requirementsRef = msg.requirements;
      const [requirements, blueprint] = await Promise.all([
        deps.codegen.readRequirements(s.tenantId, requirementsRef.key),
        deps.codegen.readBlueprint(s.tenantId, msg.blueprint.key),
      ]);
      // Lock-file generation can take a while the first time a dependency set is seen.
      const r = await keepDeliveryAlive(event, 15_000, () =>
        deps.codegen.render(s.tenantId, { requirements, blueprint }),
      );
      const durationMs = performance.now() - started;
      const applied = await commit(
        deps,
        DRAFT_CONSUMER,
        event,
        {
          ...s,
          stage: 'drafting',
          attempt: 1,
          outcome: 'drafted',
          appName: requirements.appName,
          requirementsKey: requirementsRef.key,
          blueprintKey: msg.blueprint.key,
          filesetKey: r.fileSetRef.key,
          durationMs,
        },
        codeDrafted(s, {
          fileSetRef: r.fileSetRef,
          fileCount: r.fileSet.files.length,
          blueprint: r.blueprint,
          requirementsRef: {
            key: requirementsRef.key,
            sizeBytes: Number(requirementsRef.sizeBytes),
            mediaType: requirementsRef.mediaType,
          },
          attempt: 1,
        }),
      );
      if (applied)
        log.info(
          { files: r.fileSet.files.length, ms: Math.round(durationMs) },
          'code drafted from templates',
        );
    } catch (err) {
      const failure = await rejectGeneration(deps, DRAFT_CONSUMER, event, err, {
        subject: s,
        stage: 'drafting',
        attempt: 1,
        startedMs: started,
      });
      log.warn({ code: failure.code, reason: failure.message }, 'blueprint drafting failed');
    }
  };
}
