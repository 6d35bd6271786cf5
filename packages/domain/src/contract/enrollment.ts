import { z } from 'zod';

/**
 * Connector enrollment: a tenant admin creates a one-time code in the web app; the site
 * technician runs `anh-connector enroll --code …`; the cloud answers once with the
 * connector's id and credential (`keyId.secret`, of which it keeps only a hash).
 * POST {cloudUrl}/api/connectors/enroll
 */
export const ENROLLMENT_CODE_PATTERN = /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/;

export const enrollmentRequestSchema = z
  .object({
    code: z
      .string()
      .trim()
      .toUpperCase()
      .regex(ENROLLMENT_CODE_PATTERN, 'code must look like ABCD-EFGH-JKLM'),
    hostname: z.string().min(1).max(255),
    connectorVersion: z.string().min(1).max(40),
  })
  .strict();

export const enrollmentResponseSchema = z
  .object({
    connectorId: z.uuid(),
    tenantSlug: z.string().min(1),
    keyId: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/),
    secret: z.string().regex(/^[A-Za-z0-9_-]{16,200}$/),
  })
  .strict();

export type EnrollmentRequest = z.infer<typeof enrollmentRequestSchema>;
export type EnrollmentResponse = z.infer<typeof enrollmentResponseSchema>;
