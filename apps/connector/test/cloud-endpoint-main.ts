// Runs the local contract endpoint in its own process (benchmarks: the cloud must not
// share the connector's event loop). Prints its URL; on stdin "count" prints samples held.
import { createInterface } from 'node:readline';
import { startTestCloud } from './cloud-endpoint';

const cloud = await startTestCloud(process.argv[2] ?? 'bench.credential-1');
process.stdout.write(`${cloud.url}\n`);
createInterface({ input: process.stdin }).on('line', () => {
  process.stdout.write(`${[...cloud.samples.values()].reduce((n, list) => n + list.length, 0)}\n`);
});
