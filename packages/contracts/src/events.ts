// The catalogue of event messages: what may travel on the bus. Subject, stream and header naming
// live in @quantumlayer/kit (bus/naming.ts), which derives them from these messages' proto names.

import { createRegistry, type DescMessage } from '@bufbuild/protobuf';
import {
  AgentStepCompletedSchema,
  AgentStepStartedSchema,
  CapsuleBuiltSchema,
  CodeDraftedSchema,
  CodeValidatedSchema,
  GenerationCompletedSchema,
  GenerationFailedSchema,
  GenerationRequestedSchema,
  RequirementsAnalyzedSchema,
  TestsCompletedSchema,
  ValidationFailedSchema,
} from './gen/quantumlayer/generation/v1/events_pb.js';
import { UsageRecordedSchema } from './gen/quantumlayer/usage/v1/events_pb.js';

/**
 * Every event message, in pipeline order (the table of docs/events.md). Only these are events:
 * RPC request/response messages are never published.
 */
export const EVENT_SCHEMAS: readonly DescMessage[] = [
  GenerationRequestedSchema,
  RequirementsAnalyzedSchema,
  CodeDraftedSchema,
  CodeValidatedSchema,
  ValidationFailedSchema,
  CapsuleBuiltSchema,
  TestsCompletedSchema,
  GenerationCompletedSchema,
  GenerationFailedSchema,
  AgentStepStartedSchema,
  AgentStepCompletedSchema,
  UsageRecordedSchema,
];

/**
 * Event schemas by full proto name, i.e. by the `ce-type` header, so that generic consumers (the
 * gateway's progress fan-out, DLQ tooling) can decode an event without a per-type switch.
 */
export const eventRegistry = createRegistry(...EVENT_SCHEMAS);
