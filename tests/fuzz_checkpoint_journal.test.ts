/**
 * Property-based fuzzing of the checkpoint journal reader
 * (lib/checkpoint/checkpoint_journal.ts): every journal the writer writes reads
 * back exactly; arbitrary bytes never throw; and a journal damaged in any
 * way (flipped, inserted or deleted bytes, truncation, lines swapped,
 * duplicated or borrowed from another upload's journal) either reads as
 * damaged or yields the original header and only records that were written
 * under it — never a record that fails its checksum. Seeds and runs:
 * tests/_fuzz.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type CheckpointHeader,
  decodeCheckpoint,
  encodeCheckpoint,
  encodeCheckpointHeader,
  encodePartRecord,
  type PartRecord,
} from "../lib/checkpoint/checkpoint_journal.ts";
import { concatBytes } from "../lib/_concat_bytes.ts";
import { checkProperty, fc } from "./_fuzz.ts";

const text = fc.string({ unit: "binary", minLength: 1, maxLength: 24 });

const header: fc.Arbitrary<CheckpointHeader> = fc.record({
  endpoint: text,
  bucket: text,
  key: text,
  uploadId: text,
  partSize: fc.integer({ min: 1, max: 5 * 1024 ** 3 }),
  size: fc.oneof(fc.nat({ max: 10_000 }), fc.integer({ min: 0, max: 2 ** 44 })),
  lastModified: fc.nat(),
  fingerprint: fc.string({ maxLength: 16 }),
  name: fc.string({ unit: "binary", maxLength: 24 }),
  createdAt: fc.nat(),
  options: fc.option(
    fc.record({
      contentType: fc.string(),
      meta: fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.string()),
    }),
    { nil: undefined },
  ),
}).filter((h) => Math.ceil(h.size / h.partSize) <= 10_000).map((h) => ({
  endpoint: h.endpoint,
  bucket: h.bucket,
  key: h.key,
  uploadId: h.uploadId,
  partSize: h.partSize,
  partCount: Math.ceil(h.size / h.partSize),
  source: { name: h.name, size: h.size, lastModified: h.lastModified, fingerprint: h.fingerprint },
  createdAt: h.createdAt,
  ...(h.options === undefined ? {} : { options: { ...h.options, meta: { ...h.options.meta } } }),
}));

// Built once: a regex arbitrary is costly to build inside `chain`.
const etag = fc.oneof(fc.stringMatching(/^"[0-9A-F]{32}"$/), text);
const crc64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** Records that fit `h`: distinct part numbers in 1..partCount with their sizes. */
function records(h: CheckpointHeader): fc.Arbitrary<PartRecord[]> {
  if (h.partCount === 0) return fc.constant([]);
  return fc.uniqueArray(fc.integer({ min: 1, max: h.partCount }), {
    maxLength: Math.min(12, h.partCount),
  }).chain((
    numbers,
  ) =>
    fc.tuple(
      ...numbers.map((partNumber) =>
        fc.record({
          partNumber: fc.constant(partNumber),
          size: fc.constant(
            partNumber < h.partCount ? h.partSize : h.source.size - (h.partCount - 1) * h.partSize,
          ),
          etag,
          crc64,
        }).map((r) => ({ ...r }))
      ),
    )
  );
}

const journal = header.chain((h) => fc.tuple(fc.constant(h), records(h)));

type Damage =
  | { kind: "flip"; at: number; mask: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "delete"; at: number; count: number }
  | { kind: "truncate"; at: number }
  | { kind: "swap"; a: number; b: number }
  | { kind: "duplicate"; line: number }
  | { kind: "foreign"; at: number };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.array(fc.constantFrom(0x0a, 0x20, 0x22, 0x30, 0x5d, 0x61, 0xc3, 0xff), {
      minLength: 1,
      maxLength: 4,
    }),
  }),
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("foreign" as const), at: fc.nat() }),
);

function lines(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      out.push(bytes.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(bytes.slice(start));
  return out;
}

function applyDamage(
  bytes: Uint8Array,
  d: Damage,
  h: CheckpointHeader,
  parts: PartRecord[],
): Uint8Array {
  const n = bytes.length;
  switch (d.kind) {
    case "flip": {
      const out = bytes.slice();
      out[d.at % n] ^= d.mask;
      return out;
    }
    case "insert": {
      const at = d.at % (n + 1);
      return concatBytes([bytes.subarray(0, at), new Uint8Array(d.bytes), bytes.subarray(at)]);
    }
    case "delete": {
      const at = d.at % n;
      return concatBytes([bytes.subarray(0, at), bytes.subarray(Math.min(n, at + d.count))]);
    }
    case "truncate":
      return bytes.slice(0, d.at % n);
    case "swap": {
      const ls = lines(bytes);
      const a = d.a % ls.length, b = d.b % ls.length;
      [ls[a], ls[b]] = [ls[b], ls[a]];
      return concatBytes(ls);
    }
    case "duplicate": {
      const ls = lines(bytes);
      const i = d.line % ls.length;
      ls.splice(i, 0, ls[i]);
      return concatBytes(ls);
    }
    case "foreign": {
      // A record that would be valid under another upload of the same source.
      const other = { ...h, uploadId: h.uploadId + "x" };
      const record = parts[0] ??
        (h.partCount > 0
          ? {
            partNumber: 1,
            size: h.partCount === 1 ? h.source.size : h.partSize,
            etag: "E",
            crc64: 1n,
          }
          : undefined);
      if (record === undefined) return bytes;
      const ls = lines(bytes);
      ls.splice(1 + (d.at % ls.length), 0, encodePartRecord(other, record));
      return concatBytes(ls);
    }
  }
}

const decoder = new TextDecoder();

describe("fuzz: checkpoint journal reader", () => {
  it("reads back every journal the writer writes, exactly", () =>
    checkProperty(
      fc.property(journal, ([h, parts]) => {
        const bytes = encodeCheckpoint(h, parts);
        const decoded = decodeCheckpoint(bytes);
        assert.ok(!("damaged" in decoded), "damaged" in decoded ? decoded.damaged : "");
        assert.deepEqual(encodeCheckpointHeader(decoded.header), encodeCheckpointHeader(h));
        assert.deepEqual(
          [...decoded.parts.values()].sort((a, b) => a.partNumber - b.partNumber),
          [...parts].sort((a, b) => a.partNumber - b.partNumber),
        );
        assert.equal(decoded.droppedTail, false);
        assert.equal(decoded.validLength, bytes.length);
      }),
    ));

  it("never throws on arbitrary bytes, and what it accepts is a valid journal", () =>
    checkProperty(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ unit: "binary", maxLength: 200 }).map((s) =>
            new TextEncoder().encode(`ossup-checkpoint/1 ${s}`)
          ),
        ),
        (bytes) => {
          const decoded = decodeCheckpoint(bytes);
          if ("damaged" in decoded) {
            assert.equal(typeof decoded.damaged, "string");
            return;
          }
          // Re-encoding checks the header and every record against it.
          encodeCheckpoint(decoded.header, decoded.parts.values());
        },
      ),
      { runs: 1000 },
    ));

  it("a damaged journal reads as damaged or yields only records written under its header", () =>
    checkProperty(
      fc.property(
        journal,
        fc.array(damage, { minLength: 1, maxLength: 3 }),
        ([h, parts], damages) => {
          const original = encodeCheckpoint(h, parts);
          let bytes: Uint8Array = original;
          for (const d of damages) if (bytes.length > 0) bytes = applyDamage(bytes, d, h, parts);
          const decoded = decodeCheckpoint(bytes);
          if ("damaged" in decoded) return;
          assert.deepEqual(encodeCheckpointHeader(decoded.header), encodeCheckpointHeader(h));
          const written = new Map(parts.map((p) => [p.partNumber, p]));
          for (const [n, record] of decoded.parts) {
            assert.deepEqual(record, written.get(n), `record ${n} in ${decoder.decode(bytes)}`);
          }
          assert.ok(decoded.validLength <= bytes.length);
          // The valid prefix decodes alone to the same parts, with nothing dropped.
          const prefix = decodeCheckpoint(bytes.subarray(0, decoded.validLength));
          assert.ok(!("damaged" in prefix));
          assert.deepEqual(prefix.parts, decoded.parts);
          assert.equal(prefix.droppedTail, false);
        },
      ),
      { runs: 500 },
    ));
});
