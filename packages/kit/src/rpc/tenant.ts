import { TENANT_ID_RULE, isTenantId } from '../tenancy.js';
import { Code, RpcError } from './errors.js';
import type { HandlerContext } from './types.js';

/**
 * The tenant a call acts for: the authenticated principal's when there is one (a request naming
 * another tenant is refused), else the request's `tenant_id`. Bad or missing ids are
 * INVALID_ARGUMENT naming the field.
 */
export function callerTenant(ctx: Pick<HandlerContext, 'principal'>, requested: string): string {
  const principal = ctx.principal?.tenantId;
  if (principal && requested && requested !== principal) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `tenant_id: must be the caller's own tenant "${principal}"`,
    );
  }
  const tenant = principal ?? requested;
  if (!isTenantId(tenant)) {
    throw new RpcError(Code.INVALID_ARGUMENT, `tenant_id: ${TENANT_ID_RULE} (required)`);
  }
  return tenant;
}
