/**
 * WebAssembly kernel of `scoreMany` (isolation-forest.ts), written out byte by byte here so
 * no toolchain is needed: one function over one imported memory. Wasm memory accesses on
 * 64-bit hosts are bounds-checked by guard pages, not per load, and the eight row chains of
 * the walk stay in registers, which is what the JS version could not get from V8.
 *
 * Memory layout (byte addresses, all chosen by `isolation-forest.ts`):
 * - `sums`: one f64 per block row, the running sum of leaf path lengths;
 * - `column`: the block of rows as given (row-major), feature f of row r at
 *   `column + (r·F + f)·8`, F features;
 * - `tables`: per tree, `treeBytes` = 2^(L+1) records of 16 bytes in heap order (root 1,
 *   children 2a and 2a + 1): f64 at +0 is the split value (a < 2^L) or the leaf path length
 *   (a ≥ 2^L); i32 at +8 is the split feature's byte offset f·8 in a row.
 *
 * `run(count, trees, tables, treeBytes, column, sums)` walks tree t = 0, 1, … over block rows
 * k = 0 … count − 1 and adds each row's leaf value into `sums[k]`, so every row's sum is built
 * in tree order exactly as `score` builds it. A step is `a = (a << 1) | (x >= split)`;
 * `f64.ge` is 0 for NaN, as `x >= split` is in JS. The tree height L and the row size F are
 * compiled in (one module per (L, F), a few kB, compiled once per process): the levels are
 * unrolled (5–10 % faster than a loop over levels) and row j of a group of eight is a
 * constant load offset j·F·8 from the group's first row, so the block needs no transposing
 * (about 10 % faster than a transposed block).
 * Measured and not kept: 4, 6, 10, 12 or 16 rows at a time (8 is fastest; more spill).
 */

// Opcodes and types used below.
const I32 = 0x7f;
const VOID = 0x40;
const BLOCK = 0x02;
const LOOP = 0x03;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_LOAD = 0x28;
const F64_LOAD = 0x2b;
const F64_STORE = 0x39;
const I32_CONST = 0x41;
const I32_EQZ = 0x45;
const I32_LT_S = 0x48;
const I32_GT_S = 0x4a;
const I32_GE_S = 0x4e;
const F64_GE = 0x66;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_OR = 0x72;
const I32_SHL = 0x74;
const F64_ADD = 0xa0;

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 of a small int32. */
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(text: string): number[] {
  const bytes = [...text].map((c) => c.charCodeAt(0));
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Rows walked together; their dependency chains overlap in the CPU. */
const LANES = 8;

// Locals: parameters first, then the function's own i32 locals.
const COUNT = 0;
const TREES = 1;
const BASE = 2; // `tables`, advanced by treeBytes per tree
const TREE_BYTES = 3;
const COLUMN = 4;
const SUMS = 5;
const T = 6;
const K = 7;
const COLK = 8;
const P = 9;
const SUMK = 10;
const A = 11; // A + j for lane j
const PARAMS = 6;
const OWN_LOCALS = A + LANES - PARAMS;

const get = (local: number) => [LOCAL_GET, ...uleb(local)];
const set = (local: number) => [LOCAL_SET, ...uleb(local)];
const i32 = (value: number) => [I32_CONST, ...sleb(value)];
const f64Load = (offset: number) => [F64_LOAD, 3, ...uleb(offset)];

/** p = base + (a << 4): the record of node a. */
const record = (a: number) => [...get(BASE), ...get(a), ...i32(4), I32_SHL, I32_ADD, ...set(P)];

/** One level for lane j: a = (a << 1) | (row k + j's feature at off(a) >= value(a)). */
function step(a: number, lane: number, rowBytes: number): number[] {
  return [
    ...record(a),
    ...get(a),
    ...i32(1),
    I32_SHL,
    ...get(COLK),
    ...get(P),
    I32_LOAD,
    2,
    ...uleb(8),
    I32_ADD,
    ...f64Load(lane * rowBytes),
    ...get(P),
    ...f64Load(0),
    F64_GE,
    I32_OR,
    ...set(a),
  ];
}

/** sums[k + j] += value(a) for lane j (SUMK = sums + 8k). */
function accumulate(a: number, lane: number): number[] {
  return [
    ...get(SUMK),
    ...get(SUMK),
    ...f64Load(lane * 8),
    ...record(a),
    ...get(P),
    ...f64Load(0),
    F64_ADD,
    F64_STORE,
    3,
    ...uleb(lane * 8),
  ];
}

/** Walks `lanes` rows from k down the current tree and adds their leaves into sums. */
function walk(lanes: number, depth: number, rowBytes: number): number[] {
  const code: number[] = [];
  // colk = column + k·F·8 (row k); sumk = sums + 8k; a_j = 1
  code.push(...get(COLUMN), ...get(K), ...i32(rowBytes), I32_MUL, I32_ADD, ...set(COLK));
  code.push(...get(SUMS), ...get(K), ...i32(3), I32_SHL, I32_ADD, ...set(SUMK));
  for (let j = 0; j < lanes; j++) code.push(...i32(1), ...set(A + j));
  for (let d = 0; d < depth; d++)
    for (let j = 0; j < lanes; j++) code.push(...step(A + j, j, rowBytes));
  for (let j = 0; j < lanes; j++) code.push(...accumulate(A + j, j));
  return code;
}

function kernelBody(depth: number, rowBytes: number): number[] {
  const code: number[] = [];
  // t = 0; if trees <= 0 return
  code.push(...i32(0), ...set(T));
  code.push(BLOCK, VOID, ...get(TREES), ...i32(0), I32_GT_S, I32_EQZ, BR_IF, 0);
  code.push(LOOP, VOID);
  {
    code.push(...i32(0), ...set(K));
    // while (k + LANES <= count) { walk(LANES); k += LANES }
    code.push(BLOCK, VOID, LOOP, VOID);
    code.push(...get(K), ...i32(LANES), I32_ADD, ...get(COUNT), I32_GT_S, BR_IF, 1);
    code.push(...walk(LANES, depth, rowBytes));
    code.push(...get(K), ...i32(LANES), I32_ADD, ...set(K), BR, 0, END, END);
    // while (k < count) { walk(1); k++ }
    code.push(BLOCK, VOID, LOOP, VOID);
    code.push(...get(K), ...get(COUNT), I32_GE_S, BR_IF, 1);
    code.push(...walk(1, depth, rowBytes));
    code.push(...get(K), ...i32(1), I32_ADD, ...set(K), BR, 0, END, END);
    // base += treeBytes; t++; if (t < trees) continue
    code.push(...get(BASE), ...get(TREE_BYTES), I32_ADD, ...set(BASE));
    code.push(...get(T), ...i32(1), I32_ADD, ...set(T));
    code.push(...get(T), ...get(TREES), I32_LT_S, BR_IF, 0);
  }
  code.push(END, END, END);
  return code;
}

/** The whole module for trees of height `depth` and rows of `nFeatures`: imports memory
 * `env.memory`, exports `run`. */
export function kernelBytes(depth: number, nFeatures: number): Uint8Array {
  const type = [1, 0x60, PARAMS, ...Array<number>(PARAMS).fill(I32), 0];
  const imports = [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1];
  const functions = [1, 0];
  const exports = [1, ...name('run'), 0x00, 0];
  const body = [1, ...uleb(OWN_LOCALS), I32, ...kernelBody(depth, nFeatures * 8)];
  const code = [1, ...uleb(body.length), ...body];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, type),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

export type Kernel = (
  count: number,
  trees: number,
  tables: number,
  treeBytes: number,
  column: number,
  sums: number,
) => void;

/** The little of the WebAssembly JS API used here, declared locally: this package compiles
 * without the DOM or Node typings. */
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
}

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Compiled modules by `L,F`, once per process; null when WebAssembly is unavailable. */
const modules = new Map<string, WasmModule | null>();

function kernelModule(depth: number, nFeatures: number): WasmModule | null {
  const key = `${depth},${nFeatures}`;
  let compiled = modules.get(key);
  if (compiled !== undefined) return compiled;
  try {
    compiled = wasmApi === undefined ? null : new wasmApi.Module(kernelBytes(depth, nFeatures));
  } catch {
    compiled = null;
  }
  modules.set(key, compiled);
  return compiled;
}

export interface KernelInstance {
  run: Kernel;
  /** The kernel's memory, sized once and never grown. */
  buffer: ArrayBuffer;
}

/** A kernel for trees of height `depth` and rows of `nFeatures` over a fresh memory of at
 * least `bytes`; null when WebAssembly is unavailable or the memory cannot be had. */
export function instantiateKernel(
  depth: number,
  nFeatures: number,
  bytes: number,
): KernelInstance | null {
  const compiled = kernelModule(depth, nFeatures);
  if (compiled === null || wasmApi === undefined) return null;
  const pages = Math.ceil(bytes / 65536);
  if (pages > 65536) return null;
  try {
    const memory = new wasmApi.Memory({ initial: Math.max(1, pages) });
    const instance = new wasmApi.Instance(compiled, { env: { memory } });
    const run = instance.exports.run;
    return typeof run === 'function' ? { run: run as Kernel, buffer: memory.buffer } : null;
  } catch {
    return null;
  }
}
