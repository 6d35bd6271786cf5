import type { VariableBinding } from '@anh/db/telemetry';
import { compileChannels, type CompiledChannels } from '@anh/domain/validation';

/**
 * The tenant's bindings compiled for the engine: one definition shared by the validate
 * stage (flags) and the aggregate stage (canonical values from raw ones), so both convert
 * units the same way. Bindings the engine refuses (a unit the catalog does not accept)
 * are left out and stay unvalidated; the field configuration screen is where they get fixed.
 */
export function compileTenantChannels(bindings: readonly VariableBinding[]): CompiledChannels {
  return compileChannels(
    bindings.map((b) => ({
      id: b.id,
      variable: b.code,
      unit: b.unit,
      ...(b.atmosphericPressurePsia === null
        ? {}
        : { atmosphericPressurePsia: b.atmosphericPressurePsia }),
      ...(b.rolloverAt === null ? {} : { rolloverAt: b.rolloverAt }),
    })),
  ).compiled;
}
