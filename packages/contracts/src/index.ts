// Public surface of @quantumlayer/contracts: the TypeScript generated from proto/ by buf +
// protoc-gen-es (src/gen, committed; `make proto` regenerates it), re-exported flat so consumers
// write `import { GenerationRequestedSchema, RouterService } from '@quantumlayer/contracts'`.
// Proto message and enum names are kept unique across packages so the flat re-export cannot
// clash (tsc reports a clash as an error); if two ever must share a name, export that package as
// a namespace here instead.

export * from './gen/quantumlayer/common/v1/blob_pb.js';
export * from './gen/quantumlayer/common/v1/money_pb.js';
export * from './gen/quantumlayer/common/v1/principal_pb.js';
export * from './gen/quantumlayer/common/v1/severity_pb.js';
export * from './gen/quantumlayer/common/v1/token_usage_pb.js';
export * from './gen/quantumlayer/generation/v1/types_pb.js';
export * from './gen/quantumlayer/generation/v1/events_pb.js';
export * from './gen/quantumlayer/usage/v1/events_pb.js';
export * from './gen/quantumlayer/router/v1/router_pb.js';
export * from './gen/quantumlayer/codegen/v1/requirements_pb.js';
export * from './gen/quantumlayer/codegen/v1/complexity_pb.js';
export * from './gen/quantumlayer/codegen/v1/blueprint_pb.js';
export * from './gen/quantumlayer/codegen/v1/fileset_pb.js';
export * from './gen/quantumlayer/codegen/v1/codegen_pb.js';
export * from './gen/quantumlayer/capsule/v1/capsule_pb.js';
export * from './gen/quantumlayer/qtest/v1/qtest_pb.js';

export * from './events.js';
