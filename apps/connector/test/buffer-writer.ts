// Child process for the crash test: appends numbered samples in small transactions and
// prints the highest number it knows is committed, until it is killed.
import { DurableBuffer } from '../src/buffer/store';

const [path, startArg] = process.argv.slice(2);
const buffer = DurableBuffer.open(path!, { synchronous: 'FULL' });
let next = Number(startArg);
for (;;) {
  const samples = Array.from({ length: 50 }, () => ({
    source: 'modbus:plc1',
    binding: 'v1',
    ts: next,
    value: next++,
    status: 0,
    code: null,
    priority: 0,
  }));
  buffer.append(samples);
  process.stdout.write(`${next - 1}\n`);
}
