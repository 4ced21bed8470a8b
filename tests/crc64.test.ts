import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Crc64, crc64, crc64Combine } from "../lib/crc64/crc64.ts";
import {
  type Crc64Implementation,
  crc64Implementation,
  resetCrc64Engine,
  setCrc64Implementation,
} from "../lib/crc64/_engine.ts";

const CHECK = 0x995dc9bbdf1939fan;
const MASK = (1n << 64n) - 1n;
const POLY = 0xc96c5795d7870f42n; // reflected 0x42F0E1EBA9EA3693

/** Deterministic PRNG (xorshift32), so a failure reproduces. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}

function randomBigUint64(next: () => number): bigint {
  return (BigInt(next()) << 32n) | BigInt(next());
}

/** Bit-at-a-time reference, on 32-bit halves so that a few MB stay quick. */
function referenceCrc64(data: Uint8Array): bigint {
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < data.length; i++) {
    lo ^= data[i];
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi >>>= 1;
      if (carry) {
        lo ^= 0xd7870f42;
        hi ^= 0xc96c5795;
      }
    }
  }
  return (BigInt(~hi >>> 0) << 32n) | BigInt(~lo >>> 0);
}

/** Bit-at-a-time reference on BigInt, written straight from the definition. */
function referenceCrc64BigInt(data: Uint8Array): bigint {
  let crc = MASK;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  return crc ^ MASK;
}

// zlib-style GF(2) matrix method: an independent way to shift a CRC past
// length2 zero bytes, for checking crc64Combine.
function matrixTimes(matrix: bigint[], vector: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vector !== 0n; i++, vector >>= 1n) if (vector & 1n) sum ^= matrix[i];
  return sum;
}

function matrixSquare(matrix: bigint[]): bigint[] {
  return matrix.map((column) => matrixTimes(matrix, column));
}

function referenceCombine(crc1: bigint, crc2: bigint, length2: number): bigint {
  if (length2 === 0) return crc1 ^ crc2;
  // Operator for one zero bit, then 2, 4 and 8 bits (one byte).
  let op: bigint[] = [POLY];
  for (let n = 1; n < 64; n++) op.push(1n << BigInt(n - 1));
  op = matrixSquare(matrixSquare(matrixSquare(op)));
  let n = length2;
  while (true) {
    if (n % 2 === 1) crc1 = matrixTimes(op, crc1);
    n = Math.floor(n / 2);
    if (n === 0) break;
    op = matrixSquare(op);
  }
  return crc1 ^ crc2;
}

const IMPLEMENTATIONS: Crc64Implementation[] = ["wasm", "js"];

function withImplementation(name: Crc64Implementation, fn: () => void): void {
  setCrc64Implementation(name);
  try {
    assert.equal(crc64Implementation(), name);
    fn();
  } finally {
    setCrc64Implementation("auto");
  }
}

describe("crc64", () => {
  it("matches the CRC-64/XZ check value and OSS's decimal form", () => {
    const bytes = new TextEncoder().encode("123456789");
    assert.equal(crc64(bytes), CHECK);
    assert.equal(crc64(bytes).toString(), "11051210869376104954");
    assert.equal(BigInt("11051210869376104954"), CHECK);
  });

  it("gives 0 for empty input, and keeps previous on empty input", () => {
    assert.equal(crc64(new Uint8Array(0)), 0n);
    assert.equal(crc64(new Uint8Array(0), CHECK), CHECK);
    assert.equal(new Crc64().digest(), 0n);
  });

  it("selects WebAssembly where it compiles (Deno, Bun, Node)", () => {
    setCrc64Implementation("auto");
    assert.equal(crc64Implementation(), "wasm");
  });

  it("falls back to pure JS where WebAssembly compilation is refused (as on workerd)", () => {
    const original = WebAssembly.Module;
    const refuse = function () {
      throw new Error("WebAssembly.Module(): Wasm code generation disallowed by embedder");
    } as unknown as typeof WebAssembly.Module;
    resetCrc64Engine();
    Object.defineProperty(WebAssembly, "Module", {
      value: refuse,
      configurable: true,
      writable: true,
    });
    try {
      assert.equal(crc64(new TextEncoder().encode("123456789")), CHECK);
      assert.equal(crc64Implementation(), "js");
      assert.throws(() => setCrc64Implementation("wasm"), /not available/);
    } finally {
      Object.defineProperty(WebAssembly, "Module", {
        value: original,
        configurable: true,
        writable: true,
      });
      resetCrc64Engine();
    }
    assert.equal(crc64Implementation(), "wasm");
  });

  for (const impl of IMPLEMENTATIONS) {
    it(`${impl}: matches a bit-by-bit reference for lengths 0..300`, () => {
      withImplementation(impl, () => {
        const next = prng(0x5eed + impl.length);
        for (let length = 0; length <= 300; length++) {
          const data = randomBytes(next, length);
          const expected = referenceCrc64BigInt(data);
          assert.equal(crc64(data), expected, `length ${length}`);
          // Unaligned views exercise the word loads.
          const shifted = new Uint8Array(length + 3);
          shifted.set(data, 3);
          assert.equal(crc64(shifted.subarray(3)), expected, `unaligned length ${length}`);
        }
      });
    });

    it(`${impl}: matches the reference on MB-sized buffers and around 64 KiB chunk edges`, () => {
      withImplementation(impl, () => {
        const next = prng(0xc0ffee);
        const lengths = [65535, 65536, 65537, 131072 + 15, 3 * 1024 * 1024 + 7];
        for (const length of lengths) {
          const data = randomBytes(next, length + 1).subarray(1);
          assert.equal(crc64(data), referenceCrc64(data), `length ${length}`);
        }
      });
    });

    it(`${impl}: streaming in random splits equals one-shot`, () => {
      withImplementation(impl, () => {
        const next = prng(42);
        for (const length of [0, 1, 17, 1000, 70000, 300000]) {
          const data = randomBytes(next, length);
          const expected = crc64(data);
          for (let round = 0; round < 5; round++) {
            const crc = new Crc64();
            let offset = 0;
            while (offset < length) {
              const size = Math.min(length - offset, next() % (round < 2 ? 40 : 100000));
              assert.equal(crc.update(data.subarray(offset, offset + size)), crc);
              offset += size;
            }
            assert.equal(crc.digest(), expected, `length ${length} round ${round}`);
            assert.equal(crc.digest(), expected, "digest does not reset");
          }
        }
      });
    });

    it(`${impl}: continues from previous`, () => {
      withImplementation(impl, () => {
        const next = prng(7);
        for (const length of [1, 9, 100, 5000, 200000]) {
          const data = randomBytes(next, length);
          const whole = crc64(data);
          const cut = next() % (length + 1);
          const head = crc64(data.subarray(0, cut));
          assert.equal(crc64(data.subarray(cut), head), whole);
          assert.equal(new Crc64(head).update(data.subarray(cut)).digest(), whole);
        }
      });
    });
  }

  it("rejects bad arguments with TypeError and RangeError", () => {
    const bytes = new Uint8Array(4);
    assert.throws(() => crc64("abc" as unknown as Uint8Array), TypeError);
    assert.throws(() => crc64(bytes, 1 as unknown as bigint), TypeError);
    assert.throws(() => crc64(bytes, -1n), RangeError);
    assert.throws(() => crc64(bytes, 1n << 64n), RangeError);
    assert.throws(() => new Crc64(-1n), RangeError);
    assert.throws(() => new Crc64().update([1, 2] as unknown as Uint8Array), TypeError);
    assert.throws(() => crc64Combine(1n, 2n, -1), RangeError);
    assert.throws(() => crc64Combine(1n, 2n, 1.5), RangeError);
    assert.throws(() => crc64Combine(1n, 2n, 2 ** 53), RangeError);
    assert.throws(() => crc64Combine(1n, 2n, "3" as unknown as number), TypeError);
    assert.throws(() => crc64Combine(1 as unknown as bigint, 2n, 3), TypeError);
    assert.throws(() => crc64Combine(1n, MASK + 1n, 3), RangeError);
  });
});

describe("crc64Combine", () => {
  it("equals the whole-object CRC for random splits, including empty pieces", () => {
    const next = prng(1234);
    for (const length of [0, 1, 2, 7, 8, 9, 100, 4096, 100_000, 1_000_003]) {
      const data = randomBytes(next, length);
      const whole = crc64(data);
      for (const cut of [0, length, next() % (length + 1), next() % (length + 1)]) {
        const a = crc64(data.subarray(0, cut));
        const b = crc64(data.subarray(cut));
        assert.equal(crc64Combine(a, b, length - cut), whole, `length ${length} cut ${cut}`);
      }
    }
  });

  it("with length2 = 0 leaves crc1 unchanged for an empty second piece", () => {
    assert.equal(crc64Combine(CHECK, 0n, 0), CHECK);
    assert.equal(crc64Combine(0n, 0n, 0), 0n);
  });

  it("folds many parts into the whole-object CRC, as for a multipart object", () => {
    const next = prng(99);
    const data = randomBytes(next, 2_000_000);
    let combined = 0n;
    let offset = 0;
    let parts = 0;
    while (offset < data.length) {
      const size = Math.min(data.length - offset, 1 + (next() % 300_000));
      const part = data.subarray(offset, offset + size);
      combined = crc64Combine(combined, crc64(part), size);
      offset += size;
      parts++;
    }
    assert.ok(parts > 5);
    assert.equal(combined, crc64(data));
  });

  it("matches the GF(2) matrix method, including multi-GB lengths", () => {
    const next = prng(2024);
    const lengths = [
      1,
      3,
      1000,
      65536,
      1_000_000,
      5 * 1024 ** 3, // a 5 GB part, the largest OSS allows
      5 * 1024 ** 3 * 10_000, // 10,000 parts of 5 GB
      2 ** 53 - 1,
    ];
    for (const length of lengths) {
      const crc1 = randomBigUint64(next);
      const crc2 = randomBigUint64(next);
      assert.equal(
        crc64Combine(crc1, crc2, length),
        referenceCombine(crc1, crc2, length),
        `length ${length}`,
      );
    }
  });

  it("agrees with direct computation past a long run of zero bytes", () => {
    const next = prng(5);
    const head = randomBytes(next, 1000);
    const zeros = new Uint8Array(4 * 1024 * 1024 + 13);
    const whole = new Uint8Array(head.length + zeros.length);
    whole.set(head);
    assert.equal(crc64Combine(crc64(head), crc64(zeros), zeros.length), crc64(whole));
  });

  it("is associative for huge lengths", () => {
    const next = prng(77);
    for (let round = 0; round < 20; round++) {
      const [a, b, c] = [randomBigUint64(next), randomBigUint64(next), randomBigUint64(next)];
      const lb = next() * 2 ** 20 + next(); // up to 2^52
      const lc = next() * 2 ** 20 + next();
      const left = crc64Combine(crc64Combine(a, b, lb), c, lc);
      const right = crc64Combine(a, crc64Combine(b, c, lc), lb + lc);
      assert.equal(left, right, `round ${round}`);
    }
  });
});
