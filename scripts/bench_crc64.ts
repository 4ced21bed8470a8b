/**
 * CRC-64 throughput of the WebAssembly and pure-JS paths on a 256 MiB
 * buffer (median of several rounds), plus the cost of crc64Combine.
 *
 * Run on each runtime:
 *   node_modules/.bin/deno run -A scripts/bench_crc64.ts
 *   node_modules/.bin/bun scripts/bench_crc64.ts
 *   node --import tsx scripts/bench_crc64.ts
 * Options: --mib N (buffer size, default 256), --rounds N (default 7).
 *
 * @module
 */

import process from "node:process";
import { crc64, crc64Combine } from "../lib/crc64/crc64.ts";
import {
  type Crc64Implementation,
  crc64Implementation,
  setCrc64Implementation,
} from "../lib/crc64/_engine.ts";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const mib = option("mib", 256);
const rounds = option("rounds", 7);
const data = new Uint8Array(mib * 1024 * 1024);
// Random bytes in 64 KiB pieces (getRandomValues' limit), repeated.
const seed = new Uint8Array(1024 * 1024);
for (let i = 0; i < seed.length; i += 65536) crypto.getRandomValues(seed.subarray(i, i + 65536));
for (let i = 0; i < data.length; i += seed.length) data.set(seed.subarray(0, data.length - i), i);

setCrc64Implementation("auto");
console.log(`${runtimeName()}: default implementation ${crc64Implementation()}`);

let expected: bigint | undefined;
for (const impl of ["wasm", "js"] as Crc64Implementation[]) {
  setCrc64Implementation(impl);
  crc64(data.subarray(0, 1024 * 1024)); // warm up
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    const crc = crc64(data);
    const seconds = (performance.now() - start) / 1000;
    if (expected === undefined) expected = crc;
    if (crc !== expected) throw new Error(`${impl} disagrees: ${crc} vs ${expected}`);
    rates.push(data.length / 2 ** 30 / seconds);
  }
  console.log(
    `  ${impl.padEnd(4)} ${median(rates).toFixed(2)} GiB/s median of ${rounds} ` +
      `(min ${Math.min(...rates).toFixed(2)}, max ${Math.max(...rates).toFixed(2)}) on ${mib} MiB`,
  );
}
setCrc64Implementation("auto");

const combines = 10_000;
let acc = 0n;
const start = performance.now();
for (let i = 0; i < combines; i++) acc = crc64Combine(acc, BigInt(i), 5 * 1024 ** 3 - i);
const micros = ((performance.now() - start) * 1000) / combines;
console.log(
  `  combine ${micros.toFixed(1)} µs per call (5 GB second piece), ${acc > 0n ? "ok" : ""}`,
);
