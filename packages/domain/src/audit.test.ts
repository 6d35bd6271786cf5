import { describe, expect, it } from 'vitest';
import { chainAuditEntry, GENESIS_HASH, verifyAuditChain, type AuditEntry } from './audit';

function chain(length: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let i = 0; i < length; i++) {
    const last = entries.at(-1);
    entries.push(
      chainAuditEntry(last ? { seq: last.seq, hash: last.hash } : null, {
        at: new Date(Date.UTC(2026, 10, 28, 11, i)).toISOString(),
        actor: 'user:1',
        action: 'reading.corrected',
        entity: 'reading',
        entityId: String(i),
        data: { value: i * 1.25 },
      }),
    );
  }
  return entries;
}

describe('audit hash chain', () => {
  it('links each entry to the previous one from the genesis hash', () => {
    const entries = chain(3);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(verifyAuditChain(entries)).toEqual({
      ok: true,
      count: 3,
      head: { seq: 3, hash: entries[2]!.hash },
      problems: [],
    });
  });

  it('does not depend on the key order of the data', () => {
    const [a] = chain(1);
    const reordered = {
      ...a!,
      data: Object.fromEntries(Object.entries(a!.data as object).reverse()),
    };
    expect(verifyAuditChain([reordered]).ok).toBe(true);
  });

  it('reports edits, deletions and insertions', () => {
    const edited = chain(4);
    edited[1] = { ...edited[1]!, data: { value: 999 } };
    expect(verifyAuditChain(edited).problems).toEqual([{ kind: 'hash_mismatch', seq: 2 }]);

    const deleted = chain(4).filter((e) => e.seq !== 2);
    expect(verifyAuditChain(deleted).problems).toEqual([
      { kind: 'gap', seq: 3, expectedSeq: 2 },
      { kind: 'broken_link', seq: 3 },
    ]);

    const original = chain(3);
    const forged = chainAuditEntry(
      { seq: 1, hash: original[0]!.hash },
      { ...original[1]!, actor: 'intruso' },
    );
    const inserted = [
      original[0]!,
      forged,
      ...original.slice(1).map((e) => ({ ...e, seq: e.seq + 1 })),
    ];
    const problems = verifyAuditChain(inserted).problems;
    expect(problems).toContainEqual({ kind: 'broken_link', seq: 3 });
  });

  it('uses anchors to detect truncation at the end', () => {
    const entries = chain(5);
    const anchor = { seq: 5, hash: entries[4]!.hash };
    expect(verifyAuditChain(entries, [anchor]).ok).toBe(true);
    expect(verifyAuditChain(entries.slice(0, 3), [anchor]).problems).toEqual([
      { kind: 'anchor_missing', anchorSeq: 5, lastSeq: 3 },
    ]);
    expect(verifyAuditChain(entries, [{ seq: 5, hash: GENESIS_HASH }]).problems).toEqual([
      { kind: 'anchor_mismatch', anchorSeq: 5 },
    ]);
  });
});
