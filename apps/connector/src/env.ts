import { z } from 'zod';

/** The connector's environment: secrets never go in the YAML file. */
export const connectorEnvSchema = z.object({
  /** `keyId.secret` from enrollment. */
  ANH_CONNECTOR_CREDENTIAL: z
    .string()
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{8,}$/, 'expected keyId.secret')
    .optional(),
  /** Overrides connector.id from the config file. */
  ANH_CONNECTOR_ID: z.uuid().optional(),
  /** Port of the local status endpoint (`/status`, `/metrics`; 127.0.0.1 only); 0 disables it. */
  ANH_CONNECTOR_STATUS_PORT: z.coerce.number().int().min(0).max(65535).default(7070),
});

export type ConnectorEnv = z.infer<typeof connectorEnvSchema>;

export function readConnectorEnv(
  source: Record<string, string | undefined> = process.env,
): ConnectorEnv {
  return connectorEnvSchema.parse(source);
}

/** A secret named in the configuration file (e.g. an MQTT password), read from the environment. */
export function secretFromEnv(
  name: string,
  source: Record<string, string | undefined> = process.env,
): string | undefined {
  const value = source[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The environment for running the system's `openssl`: node-opcua, once loaded, points
 * OPENSSL_CONF at a file of its own that the system tool does not understand.
 */
export function systemOpensslEnv(
  source: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> {
  const { OPENSSL_CONF: _nodeOpcuaConfig, ...rest } = source;
  return rest;
}
