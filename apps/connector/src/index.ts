/**
 * Placeholder entry of the field connector (issue 4). It exports its version so the
 * workspace typechecks and lints like the others; there is no behaviour here yet.
 */
export const CONNECTOR_VERSION = '0.1.0';
