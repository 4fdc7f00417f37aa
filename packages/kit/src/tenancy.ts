// Tenant ids (DESIGN §4, tenancy): one rule for every place that takes one from outside — blob
// keys, RPC requests, events — so a tenant a service accepts is one its stores accept too.
import { z } from 'zod';

const TENANT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const TENANT_ID_RULE = "must be 1-128 letters, digits, '_', '-' or '.' (no '..')";

export function isTenantId(value: string): boolean {
  return TENANT.test(value) && !value.includes('..');
}

export const TenantIdSchema = z.string().refine(isTenantId, TENANT_ID_RULE);
