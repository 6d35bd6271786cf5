import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { parseDocument } from 'yaml';
import { enrollmentRequestSchema, enrollmentResponseSchema } from '@anh/domain/enrollment';

/**
 * `anh-connector enroll`: trades the one-time code for the connector's id and credential.
 * The id goes into the configuration file (comments and layout kept); the credential into
 * a file only the service user can read (mode 0600), never into the configuration.
 */
export class EnrollmentError extends Error {}

export async function enroll(options: {
  cloudUrl: string;
  code: string;
  configPath: string;
  credentialPath: string;
  version: string;
}): Promise<{ connectorId: string; tenantSlug: string }> {
  const request = enrollmentRequestSchema.safeParse({
    code: options.code,
    hostname: hostname(),
    connectorVersion: options.version,
  });
  if (!request.success)
    throw new EnrollmentError(request.error.issues.map((i) => i.message).join('; '));
  const response = await fetch(`${options.cloudUrl.replace(/\/$/, '')}/api/connectors/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request.data),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new EnrollmentError(
      response.status === 404
        ? 'the code is unknown, expired or already used: create a new one in the web app'
        : `the cloud answered ${response.status}: ${text.slice(0, 200)}`,
    );
  }
  const parsed = enrollmentResponseSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new EnrollmentError('the cloud answered something that is not an enrollment');
  mkdirSync(dirname(options.credentialPath), { recursive: true });
  writeFileSync(options.credentialPath, `${parsed.data.keyId}.${parsed.data.secret}\n`, {
    mode: 0o600,
  });
  chmodSync(options.credentialPath, 0o600);
  const document = parseDocument(readFileSync(options.configPath, 'utf8'));
  document.setIn(['connector', 'id'], parsed.data.connectorId);
  writeFileSync(options.configPath, document.toString());
  return { connectorId: parsed.data.connectorId, tenantSlug: parsed.data.tenantSlug };
}

/** The credential: the environment wins; otherwise the file enrollment wrote. */
export function readCredentialFile(path: string): string | undefined {
  try {
    const value = readFileSync(path, 'utf8').trim();
    return value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
