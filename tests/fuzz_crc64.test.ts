/**
 * Property-based fuzzing of CRC-64 (lib/crc64/crc64.ts, lib/crc64/_combine.ts):
 * combining the CRCs of pieces equals the CRC of the whole buffer, for any
 * split; the combine is associative for lengths far beyond what a test can
 * hash (up to 2^53 − 1 bytes, where 32-bit arithmetic would break); the
 * WebAssembly and JavaScript engines agree on every input; streaming in any
 * chunks equals one call. Seeds and runs: tests/_fuzz.ts.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Crc64, crc64, crc64Combine } from "../lib/crc64/crc64.ts";
import { setCrc64Implementation } from "../lib/crc64/_engine.ts";
import { checkProperty, fc } from "./_fuzz.ts";

const bytes = fc.uint8Array({ maxLength: 3000 });
const anyCrc = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const hugeLength = fc.oneof(
  fc.nat({ max: 1 << 20 }),
  fc.integer({ min: 2 ** 31 - 2, max: 2 ** 32 + 2 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

/** Cuts `data` at the given fractions, into consecutive pieces. */
function pieces(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * data.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const end of [...at, data.length]) {
    out.push(data.subarray(start, end));
    start = end;
  }
  return out;
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

describe("fuzz: CRC-64", () => {
  after(() => setCrc64Implementation("auto"));

  it("combining the pieces' CRCs gives the whole buffer's CRC, for any split", () =>
    checkProperty(
      fc.property(bytes, cuts, (data, c) => {
        let combined = 0n;
        for (const piece of pieces(data, c)) {
          combined = crc64Combine(combined, crc64(piece), piece.length);
        }
        assert.equal(combined, crc64(data));
      }),
    ));

  it("combine is associative for any CRCs and lengths up to 2^53 − 1", () =>
    checkProperty(
      fc.property(anyCrc, anyCrc, anyCrc, hugeLength, hugeLength, (a, b, c, lb, lc) => {
        fc.pre(lb + lc <= Number.MAX_SAFE_INTEGER);
        assert.equal(
          crc64Combine(crc64Combine(a, b, lb), c, lc),
          crc64Combine(a, crc64Combine(b, c, lc), lb + lc),
        );
        // Appending nothing changes nothing.
        assert.equal(crc64Combine(a, 0n, 0), a);
      }),
      { runs: 500 },
    ));

  it("combine over zero bytes follows from the CRC of those zeros, at lengths that cross 2^32 bits", () =>
    checkProperty(
      fc.property(
        anyCrc,
        fc.integer({ min: 0, max: 1 << 16 }),
        fc.constantFrom(0, 1, 2, 2 ** 29 - 1, 2 ** 29),
        (
          a,
          small,
          shift,
        ) => {
          // zeros(n + m) = zeros(n) ++ zeros(m): combining the parts two ways must agree.
          const zeros = (n: number) => crc64(new Uint8Array(n));
          const n = small;
          assert.equal(
            crc64Combine(a, zeros(n), n),
            crc64(new Uint8Array(n), a),
          );
          // Shifting by `shift`, then by n bytes, is shifting by shift + n.
          assert.equal(
            crc64Combine(crc64Combine(a, 0n, shift), zeros(n), n) ^ crc64Combine(a, 0n, shift + n),
            zeros(n),
          );
        },
      ),
      { runs: 50 },
    ));

  it("the WebAssembly and JavaScript engines agree, one call or streamed in any chunks", () =>
    checkProperty(
      fc.property(bytes, cuts, anyCrc, (data, c, previous) => {
        const results: bigint[] = [];
        for (const engine of ["js", "wasm"] as const) {
          setCrc64Implementation(engine);
          results.push(crc64(data), crc64(data, previous));
          const streamed = new Crc64();
          for (const piece of pieces(data, c)) streamed.update(piece);
          results.push(streamed.digest());
        }
        assert.deepEqual(results.slice(3), results.slice(0, 3));
        assert.equal(results[2], results[0]);
      }),
    ));
});
