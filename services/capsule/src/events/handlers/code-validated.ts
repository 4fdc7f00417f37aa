import { create } from '@bufbuild/protobuf';
import {
  AgentRole,
  CapsuleBuiltSchema,
  CodeValidatedSchema,
  GenerationStage,
} from '@quantumlayer/contracts';
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
import { MANIFEST_MEDIA_TYPE, SBOM_MEDIA_TYPE, type Capsules } from '../../capsules.js';
import { CAPSULE_MEDIA_TYPE } from '../../domain/index.js';
import { saveCapsule } from '../../store/capsules.js';
import { inputFailure } from '../../errors.js';

export const BUILD_CONSUMER = 'capsule-build';

export interface HandlerDeps {
  capsules: Capsules;
  inbox: Inbox;
  relay: OutboxRelay;
  logger: Logger;
}

const blob = (key: string, size: number, mediaType: string) => ({
  key,
  sizeBytes: BigInt(size),
  mediaType,
});

/**
 * CodeValidated → the capsule is built, stored and recorded → CapsuleBuilt, in one transaction
 * with the inbox entry (a redelivered event builds the same bytes and changes nothing). A file
 * set that cannot be packaged fails the generation at the packaging stage.
 */
export function onCodeValidated(deps: HandlerDeps): EventHandler {
  return async (event) => {
    const msg = decodeEvent(CodeValidatedSchema, event);
    const s = generationSubject(event, msg, (id) => deps.capsules.tenant(id));
    const tenantId = s.tenantId;
    const meta = { source: 'capsule', ceSubject: s.generationId, tenantId };
    const log = deps.logger.child({ generation: s.generationId, tenant: tenantId });
    const started = performance.now();
    try {
      const fileSetKey = msg.fileset?.key;
      if (!fileSetKey) throw new TerminalError(`event ${event.id}: fileset is empty`);
      // Reading the file set and building the archive can outlast the ack wait.
      const row = await keepDeliveryAlive(event, 15_000, () =>
        deps.capsules.package(tenantId, {
          generationId: msg.generationId,
          fileSetKey,
          requirementsKey: msg.requirements?.key || undefined,
          reportKey: msg.report?.key || undefined,
          stack: msg.stack?.templateId ? msg.stack : undefined,
          mode: msg.contributions.some((c) => c.model) ? 'agent' : 'blueprint',
          contributions: msg.contributions.map((c) => ({
            role: (AgentRole[c.role] ?? 'unspecified').toLowerCase(),
            model: c.model,
            provider: c.provider,
          })),
        }),
      );
      const applied = await deps.inbox.process(BUILD_CONSUMER, event, async (tx) => {
        const { record } = await saveCapsule(tx, row);
        await enqueue(
          tx,
          toOutgoingEvent(
            CapsuleBuiltSchema,
            create(CapsuleBuiltSchema, {
              ...s,
              capsule: blob(record.archiveKey, record.archiveSize, CAPSULE_MEDIA_TYPE),
              manifestDigest: record.manifestDigest,
              manifest: blob(record.manifestKey, record.manifestSize, MANIFEST_MEDIA_TYPE),
              sbom: blob(record.sbomKey, record.sbomSize, SBOM_MEDIA_TYPE),
              appName: record.appName,
              appVersion: record.appVersion,
              attempt: msg.attempt,
              signingKeyId: record.signingKeyId,
            }),
            meta,
          ),
        );
      });
      if (applied) {
        deps.relay.wake();
        log.info({ ms: Math.round(performance.now() - started) }, 'capsule built');
      }
    } catch (err) {
      const failure = inputFailure(err);
      if (!failure) throw err;
      await failGeneration(deps, BUILD_CONSUMER, event, {
        subject: s,
        source: 'capsule',
        stage: GenerationStage.PACKAGING,
        reason: failure.message,
        errorCode: failure.code,
        attempts: msg.attempt,
        startedMs: started,
      });
      log.warn({ code: failure.code, reason: failure.message }, 'capsule could not be built');
    }
  };
}
