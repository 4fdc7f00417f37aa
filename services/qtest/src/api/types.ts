import type { ApiDocument } from './spec.js';

export type PropertyKind = 'conformance' | 'robustness' | 'crud' | 'auth';

/**
 * A token, or a provider called once per run with the loaded document (e.g. one that signs up
 * and logs in through the operations it declares).
 */
export type AuthOption = { bearer: string } | ((doc: ApiDocument) => Promise<string>);

export type RunApiTestsOptions = {
  /** Path or URL of the document, or the document itself. */
  openapi: string | object;
  baseUrl: string;
  /** Generated cases per property (default 50). */
  numRuns?: number;
  seed?: number;
  /** Per HTTP request (default 10 000 ms). */
  timeoutMs?: number;
  auth?: AuthOption;
  /** Restrict to these operations: operationIds or `METHOD /path` labels. */
  operations?: string[];
};

export type ReportedRequest = {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body: unknown;
};

export type PropertyFailure = {
  request: ReportedRequest;
  response: { status: number; body: string };
  message: string;
  seed: number;
  counterexamplePath: string | undefined;
};

export type PropertyResult = {
  id: string;
  kind: PropertyKind;
  operation?: string;
  status: 'passed' | 'failed' | 'skipped';
  runs: number;
  /** Why a property was skipped. */
  reason?: string;
  failure?: PropertyFailure;
};

export type ApiTestReport = {
  totals: { properties: number; passed: number; failed: number };
  properties: PropertyResult[];
  /** 5xx responses seen over the whole run, shrinking included. */
  fiveXX: number;
};
