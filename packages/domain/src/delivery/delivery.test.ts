import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, parseKeyRing, seal, sealedKeyId } from '../secret-box';
import { filePatternSchema, reportFileName, DEFAULT_FILE_PATTERN } from './naming';
import { buildTimeOf, daysBetween, deadlineOf, latestReportableDay } from './schedule';

const key = () => randomBytes(32).toString('base64');

describe('the submission clock (Bogotá, UTC−5)', () => {
  it('builds day D at 06:00 and must deliver it by 06:50 of D+1', () => {
    expect(new Date(buildTimeOf('2026-11-27')).toISOString()).toBe('2026-11-28T11:00:00.000Z');
    expect(new Date(deadlineOf('2026-11-27')).toISOString()).toBe('2026-11-28T11:50:00.000Z');
  });

  it('yesterday is reportable only from 06:00', () => {
    expect(latestReportableDay(Date.parse('2026-11-28T10:59:59.999Z'))).toBe('2026-11-26');
    expect(latestReportableDay(Date.parse('2026-11-28T11:00:00.000Z'))).toBe('2026-11-27');
  });

  it('lists days in order across a month end', () => {
    expect(daysBetween('2026-11-29', '2026-12-02')).toEqual([
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
  });
});

describe('remote file names', () => {
  it('renders the default pattern, one name per day and version', () => {
    const name = (version: number) =>
      reportFileName(DEFAULT_FILE_PATTERN, {
        operator: 'DEMO01',
        field: 'CAMPO 1',
        day: '2026-11-27',
        version,
      });
    expect(name(1)).toBe('DEMO01_CAMPO-1_20261127_v1.json');
    expect(name(2)).not.toBe(name(1));
  });

  it('refuses patterns that could put two contents under one name', () => {
    expect(filePatternSchema.safeParse('{operator}_{day}.json').success).toBe(false);
    expect(filePatternSchema.safeParse('{operator}_v{version}.json').success).toBe(false);
    expect(filePatternSchema.safeParse('{day}_{version}_{nope}.json').success).toBe(false);
    expect(filePatternSchema.safeParse('../{day}_{version}.json').success).toBe(false);
    expect(filePatternSchema.safeParse('{day}-{version}.json').success).toBe(true);
  });
});

describe('secret box (AES-256-GCM)', () => {
  it('opens what it sealed, in the same context only', () => {
    const ring = parseKeyRing(`k1:${key()}`);
    const sealed = seal(ring, 'ftp-password', 'tenant-a:ftp');
    expect(sealed).not.toContain('ftp-password');
    expect(open(ring, sealed, 'tenant-a:ftp')).toBe('ftp-password');
    expect(() => open(ring, sealed, 'tenant-b:ftp')).toThrow(/does not open/);
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => open(ring, tampered, 'tenant-a:ftp')).toThrow(/does not open|malformed/);
  });

  it('rotates: old values open with the old key while new ones use the new key', () => {
    const k1 = key();
    const before = parseKeyRing(`k1:${k1}`);
    const sealed = seal(before, 'secret', 'ctx');
    const after = parseKeyRing(`k2:${key()},k1:${k1}`);
    expect(open(after, sealed, 'ctx')).toBe('secret');
    const resealed = seal(after, open(after, sealed, 'ctx'), 'ctx');
    expect(sealedKeyId(resealed)).toBe('k2');
    expect(() => open(parseKeyRing(`k2:${key()}`), sealed, 'ctx')).toThrow(/not in the key ring/);
  });
});
