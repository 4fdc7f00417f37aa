// Requirements + a stack's plan -> Blueprint. The stack contributes what is specific to it (its
// descriptor, modules, file plan, test file names, Docker/CI plan); the data model, OpenAPI
// document and test plan are the stack-neutral projections of the application model.
import type {
  Blueprint,
  BlueprintModule,
  DeliveryPlan,
  PlannedFile,
  Requirements,
  RequirementsInput,
  Stack,
} from '../domain/artifacts/index.js';
import { BlueprintSchema, RequirementsSchema, SCHEMA_VERSION } from '../domain/artifacts/index.js';
import type { AppModel } from './model.js';
import { buildAppModel } from './model.js';
import { buildOpenApi } from './openapi.js';
import type { TestCase } from './tests.js';
import { planTests } from './tests.js';

export interface StackPlan {
  stack: Stack;
  modules: BlueprintModule[];
  files: PlannedFile[];
  delivery: DeliveryPlan;
}

/** What the blueprint builder needs from a stack. */
export interface StackPlanner {
  readonly id: string;
  plan(model: AppModel, tests: readonly TestCase[]): StackPlan;
  /** Path of the test file holding the cases of `group`. */
  testFile(group: string): string;
}

export interface AssembledBlueprint {
  blueprint: Blueprint;
  requirements: Requirements;
  model: AppModel;
  tests: TestCase[];
}

export function assembleBlueprint(
  input: Requirements | RequirementsInput,
  planner: StackPlanner,
): AssembledBlueprint {
  const requirements = RequirementsSchema.parse(input);
  const model = buildAppModel(requirements);
  const tests = planTests(model, requirements);
  const plan = planner.plan(model, tests);
  const blueprint = BlueprintSchema.parse({
    schemaVersion: SCHEMA_VERSION,
    appName: requirements.appName,
    stack: plan.stack,
    modules: plan.modules,
    files: plan.files,
    dataModel: model.dataModel,
    api: buildOpenApi(model),
    testPlan: {
      tests: tests.map((t) => ({
        id: t.id,
        name: t.name,
        file: planner.testFile(t.group),
        kind: 'integration',
        criteria: t.criteria,
      })),
    },
    delivery: plan.delivery,
  } satisfies Blueprint);
  return { blueprint, requirements, model, tests };
}
