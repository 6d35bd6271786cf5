/** Version of the field connector, sent at enrollment and printed by the CLI. */
export const CONNECTOR_VERSION = '0.1.0';
