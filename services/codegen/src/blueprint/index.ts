/**
 * Blueprint builder (blueprint mode, no LLM): Requirements -> application model -> Blueprint
 * (data model, OpenAPI 3.1 API, test plan, file plan, Docker/CI plan).
 */
export { buildBlueprint } from './build.js';
export type { BuildBlueprintOptions } from './build.js';
export { assembleBlueprint } from './assemble.js';
export type { AssembledBlueprint, StackPlan, StackPlanner } from './assemble.js';
export {
  buildAppModel,
  constraintName,
  entityOf,
  sqlName,
  sqlType,
  updatableProperties,
  PUBLIC,
} from './model.js';
export type {
  Access,
  ActionModel,
  AppModel,
  AuthModel,
  ChildListModel,
  EntityModel,
  FieldModel,
  ForeignKeyModel,
  HttpMethod,
  JoinTableModel,
  LinkModel,
  RouteModel,
} from './model.js';
export { buildOpenApi, OPENAPI_VERSION, SECURITY_SCHEME } from './openapi.js';
export * from './schemas.js';
export { planTests, testGroups } from './tests.js';
export type { Recipe, TestCase, TestGroups } from './tests.js';
export * from './names.js';
