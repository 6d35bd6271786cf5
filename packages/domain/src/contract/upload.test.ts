import { describe, expect, it } from 'vitest';
import { parseUploadBatch, toSampleBatch, UPLOAD_CONTRACT_VERSION } from './upload';

const valid = {
  contract: UPLOAD_CONTRACT_VERSION,
  batchId: '7d1f0c36-8a5e-4b8e-9a51-0e6f2a3b4c5d',
  connectorId: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
  sequence: 41,
  createdAt: '2026-11-27T10:00:05.120-05:00',
  samples: [
    {
      binding: 'v-thp',
      ts: '2026-11-27T10:00:00-05:00',
      value: 851.2,
      quality: { status: 'good', code: 0 },
    },
    {
      binding: 'v-lact',
      ts: '2026-11-27T15:00:00.000Z',
      value: null,
      quality: { status: 'bad', code: 0x80000000 },
    },
    {
      binding: 'v-unknown',
      ts: '2026-11-27T15:00:00Z',
      value: 1,
      quality: { status: 'uncertain' },
    },
  ],
};

describe('upload contract', () => {
  it('accepts a well-formed batch and maps it to the engine columns', () => {
    const parsed = parseUploadBatch(valid);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { samples, positions, unknownBindings } = toSampleBatch(
      parsed.batch,
      new Map([
        ['v-thp', 0],
        ['v-lact', 1],
      ]),
    );
    expect(samples.length).toBe(2);
    expect([...samples.channel]).toEqual([0, 1]);
    expect([...samples.timestamp]).toEqual([
      Date.UTC(2026, 10, 27, 15),
      Date.UTC(2026, 10, 27, 15),
    ]);
    expect(samples.value[1]).toBeNaN();
    expect([...samples.sourceStatus]).toEqual([0, 2]);
    expect([...positions]).toEqual([0, 1]);
    expect(unknownBindings).toEqual([{ index: 2, binding: 'v-unknown' }]);
  });

  it('rejects, with every problem named, timestamps without offset, wrong versions and extra fields', () => {
    const bad = {
      ...valid,
      contract: 2,
      extra: true,
      samples: [{ binding: 'v', ts: '2026-11-27 10:00:00', value: 'x', quality: { status: 'ok' } }],
    };
    const parsed = parseUploadBatch(bad);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe('VALIDATION');
    const paths = (parsed.error.details!.problems as Array<{ path: string }>).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'contract',
        'samples.0.ts',
        'samples.0.value',
        'samples.0.quality.status',
        '',
      ]),
    );
  });

  it('refuses empty batches and sub-millisecond timestamps', () => {
    expect(parseUploadBatch({ ...valid, samples: [] }).ok).toBe(false);
    expect(
      parseUploadBatch({
        ...valid,
        samples: [{ ...valid.samples[0], ts: '2026-11-27T10:00:00.123456-05:00' }],
      }).ok,
    ).toBe(false);
    expect(parseUploadBatch(null).ok).toBe(false);
  });
});
