import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/**
 * The audit trail is a hash chain: each entry's hash covers its own content and the
 * previous entry's hash, and entries are numbered 1, 2, 3… without gaps. Editing,
 * inserting or deleting an entry in the middle breaks a link; deleting entries at the
 * end is caught by comparing with an anchor (a head recorded elsewhere earlier).
 * (API MPMS 21.1 asks for an audit trail of configuration and data changes.)
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditContent {
  seq: number;
  /** ISO-8601 instant with millisecond precision (what Date#toISOString prints). */
  at: string;
  /** Who did it: `user:<id>`, `system:<component>`, `connector:<id>`. */
  actor: string;
  /** What happened, dotted: `tenant.provisioned`, `site.created`. */
  action: string;
  entity: string;
  entityId: string | null;
  data: unknown;
}

export interface AuditEntry extends AuditContent {
  prevHash: string;
  hash: string;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

export function auditHash(prevHash: string, content: AuditContent): string {
  const canonical = canonicalJson({
    seq: content.seq,
    at: content.at,
    actor: content.actor,
    action: content.action,
    entity: content.entity,
    entityId: content.entityId,
    data: content.data ?? null,
  });
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** Builds the next entry of a chain whose current head is `head` (null when empty). */
export function chainAuditEntry(
  head: AuditHead | null,
  content: Omit<AuditContent, 'seq'>,
): AuditEntry {
  const prevHash = head?.hash ?? GENESIS_HASH;
  const full: AuditContent = { ...content, seq: (head?.seq ?? 0) + 1 };
  return { ...full, prevHash, hash: auditHash(prevHash, full) };
}

export type AuditProblem =
  | { kind: 'gap'; seq: number; expectedSeq: number }
  | { kind: 'broken_link'; seq: number }
  | { kind: 'hash_mismatch'; seq: number }
  | { kind: 'anchor_missing'; anchorSeq: number; lastSeq: number }
  | { kind: 'anchor_mismatch'; anchorSeq: number };

export interface AuditVerification {
  ok: boolean;
  count: number;
  head: AuditHead | null;
  problems: AuditProblem[];
}

/**
 * Checks a whole chain, ordered by seq. Reports every problem found, not just the first,
 * so an auditor sees the extent of a tampering. `anchors` are heads recorded earlier
 * outside the chain's own storage; each must still be present with the same hash.
 */
export function verifyAuditChain(
  entries: ReadonlyArray<AuditEntry>,
  anchors: ReadonlyArray<AuditHead> = [],
): AuditVerification {
  const problems: AuditProblem[] = [];
  const hashBySeq = new Map<number, string>();
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) {
      problems.push({ kind: 'gap', seq: entry.seq, expectedSeq });
    }
    if (entry.prevHash !== prevHash) problems.push({ kind: 'broken_link', seq: entry.seq });
    if (auditHash(entry.prevHash, entry) !== entry.hash) {
      problems.push({ kind: 'hash_mismatch', seq: entry.seq });
    }
    hashBySeq.set(entry.seq, entry.hash);
    expectedSeq = entry.seq + 1;
    prevHash = entry.hash;
  }
  const last = entries.at(-1);
  for (const anchor of anchors) {
    const seen = hashBySeq.get(anchor.seq);
    if (seen === undefined) {
      problems.push({ kind: 'anchor_missing', anchorSeq: anchor.seq, lastSeq: last?.seq ?? 0 });
    } else if (seen !== anchor.hash) {
      problems.push({ kind: 'anchor_mismatch', anchorSeq: anchor.seq });
    }
  }
  return {
    ok: problems.length === 0,
    count: entries.length,
    head: last ? { seq: last.seq, hash: last.hash } : null,
    problems,
  };
}
