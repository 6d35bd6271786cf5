/**
 * One-off: copies the 3W subset (12 CSV files + README) into eval/data/3w, each CSV
 * gzip-compressed at zlib level 9, the README as-is plus one line about the compression
 * (the README carries the CC BY 4.0 attribution the copies must keep).
 *
 *   npx tsx packages/domain/eval/prepare-3w-data.ts --from /work/shared/datasets/3w
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const fromIndex = process.argv.indexOf('--from');
const from = fromIndex > 0 ? process.argv[fromIndex + 1] : undefined;
if (from === undefined) throw new Error('usage: prepare-3w-data.ts --from <dir with the CSVs>');
const to = fileURLToPath(new URL('./data/3w/', import.meta.url));
mkdirSync(to, { recursive: true });

const csvs = readdirSync(from)
  .filter((name) => name.endsWith('.csv'))
  .sort();
for (const name of csvs) {
  const plain = readFileSync(join(from, name));
  const packed = gzipSync(plain, { level: 9 });
  if (!gunzipSync(packed).equals(plain)) throw new Error(`round trip failed for ${name}`);
  writeFileSync(join(to, `${name}.gz`), packed);
  console.log(
    JSON.stringify({ file: `${name}.gz`, bytes: packed.length, plainBytes: plain.length }),
  );
}
const readme = readFileSync(join(from, 'README.md'), 'utf8');
const note =
  '\n## This copy\nThe CSV files here are gzip-compressed (zlib level 9) copies of the files described above, named `<name>.csv.gz`; decompressing one gives back the original file byte for byte.\n';
writeFileSync(join(to, 'README.md'), readme.endsWith('\n') ? readme + note : `${readme}\n${note}`);
