import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type CheckpointHeader,
  checkpointMismatch,
  decodeCheckpoint,
  type DecodedCheckpoint,
  encodeCheckpoint,
  encodeCheckpointHeader,
  encodePartRecord,
  fingerprintSource,
  type PartRecord,
} from "../lib/checkpoint/checkpoint_journal.ts";
import { concatBytes } from "../lib/_concat_bytes.ts";
import { crc32 } from "../lib/checkpoint/_journal_crc32.ts";
import { crc64 } from "../lib/crc64/crc64.ts";
import type { FileSource } from "../lib/source/file_source.ts";

const OSS_ETAG = '"5B3C1A2E053D763E1B002CC607C5A0FE"';

function makeHeader(over: Partial<CheckpointHeader> = {}): CheckpointHeader {
  return {
    endpoint: "oss-cn-hangzhou.aliyuncs.com",
    bucket: "examplebucket",
    key: "dir/a+b c ✓.bin",
    uploadId: "0004B9894A22E5B1888A1E29F823ABCD",
    partSize: 102400,
    partCount: 5,
    source: {
      name: "/data/big.iso",
      size: 4 * 102400 + 777,
      lastModified: 1700000000123,
      fingerprint: "995dc9bbdf1939fa",
    },
    createdAt: 1700000001000,
    options: { contentType: "application/octet-stream", meta: { owner: "ops" } },
    ...over,
  };
}

function makeParts(h: CheckpointHeader, numbers: number[]): PartRecord[] {
  return numbers.map((n) => ({
    partNumber: n,
    size: n < h.partCount ? h.partSize : h.source.size - (h.partCount - 1) * h.partSize,
    etag: `"${n.toString(16).toUpperCase().padStart(32, "A")}"`,
    crc64: (0xfedcba9876543210n * BigInt(n)) % (1n << 64n),
  }));
}

function decoded(bytes: Uint8Array): DecodedCheckpoint {
  const result = decodeCheckpoint(bytes);
  if ("damaged" in result) assert.fail(`unexpectedly damaged: ${result.damaged}`);
  return result;
}

/** A journal written the way the engine writes it: header, then appended records. */
function journal(h: CheckpointHeader, parts: PartRecord[]) {
  const headerBytes = encodeCheckpointHeader(h);
  const records = parts.map((p) => encodePartRecord(h, p));
  return { headerBytes, records, bytes: concatBytes([headerBytes, ...records]) };
}

describe("checkpoint journal: round trip", () => {
  it("decodes what it encodes, header and parts", () => {
    const h = makeHeader();
    const parts = makeParts(h, [1, 3, 5, 2]);
    const { bytes } = journal(h, parts);
    const d = decoded(bytes);
    assert.deepEqual(d.header, h);
    assert.equal(d.droppedTail, false);
    assert.equal(d.validLength, bytes.length);
    assert.deepEqual([...d.parts.keys()].sort(), [1, 2, 3, 5]);
    for (const p of parts) assert.deepEqual(d.parts.get(p.partNumber), p);
  });

  it("encodeCheckpoint equals header plus appended records", () => {
    const h = makeHeader();
    const parts = makeParts(h, [2, 4]);
    assert.deepEqual(encodeCheckpoint(h, parts), journal(h, parts).bytes);
  });

  it("a header alone is a checkpoint with no parts", () => {
    const d = decoded(encodeCheckpointHeader(makeHeader()));
    assert.equal(d.parts.size, 0);
    assert.equal(d.droppedTail, false);
  });

  it("a later record for the same part replaces the earlier one", () => {
    const h = makeHeader();
    const [first] = makeParts(h, [1]);
    const second = { ...first, etag: '"SECOND"', crc64: 42n };
    const d = decoded(journal(h, [first, second]).bytes);
    assert.deepEqual(d.parts.get(1), second);
  });

  it("keeps edge values: empty source, max CRC-64, unicode key and ETag", () => {
    const h = makeHeader({
      partCount: 1,
      source: { name: "empty", size: 0, lastModified: 0, fingerprint: "" },
      options: undefined,
    });
    const p = { partNumber: 1, size: 0, etag: 'W/"ü\\n\n"', crc64: (1n << 64n) - 1n };
    const d = decoded(journal(h, [p]).bytes);
    assert.deepEqual(d.parts.get(1), p);
    assert.equal(d.header.options, undefined);
  });

  it("holds no credential: refuses options named like one", () => {
    for (const name of ["accessKeySecret", "securityToken", "Authorization", "credentials"]) {
      assert.throws(
        () => encodeCheckpointHeader(makeHeader({ options: { [name]: "x" } })),
        TypeError,
      );
    }
  });

  it("refuses malformed headers and records with TypeError / RangeError", () => {
    assert.throws(() => encodeCheckpointHeader(makeHeader({ bucket: "" })), TypeError);
    assert.throws(() => encodeCheckpointHeader(makeHeader({ partSize: 0 })), TypeError);
    assert.throws(() => encodeCheckpointHeader(makeHeader({ partCount: 4 })), TypeError);
    assert.throws(() => encodeCheckpointHeader(makeHeader({ partCount: 6 })), TypeError);
    const h = makeHeader();
    const [p] = makeParts(h, [1]);
    assert.throws(() => encodePartRecord(h, { ...p, partNumber: 0 }), RangeError);
    assert.throws(() => encodePartRecord(h, { ...p, partNumber: 6 }), RangeError);
    assert.throws(() => encodePartRecord(h, { ...p, size: p.size - 1 }), RangeError);
    assert.throws(() => encodePartRecord(h, { ...p, crc64: 1n << 64n }), RangeError);
    const [last] = makeParts(h, [5]);
    assert.throws(() => encodePartRecord(h, { ...last, size: h.partSize }), RangeError);
  });
});

describe("checkpoint journal: damage", () => {
  const h = makeHeader();
  const parts = makeParts(h, [1, 2, 3, 4]);
  const { headerBytes, records, bytes } = journal(h, parts);
  const ends: number[] = [];
  let end = headerBytes.length;
  for (const r of records) ends.push(end += r.length);

  it("torn tail at every byte offset: complete records kept, torn one dropped", () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const result = decodeCheckpoint(bytes.subarray(0, cut));
      if (cut < headerBytes.length) {
        assert.ok("damaged" in result, `cut ${cut} inside the header must be damaged`);
        continue;
      }
      assert.ok(!("damaged" in result), `cut ${cut} must decode`);
      const kept = ends.filter((e) => e <= cut).length;
      assert.deepEqual([...result.parts.values()], parts.slice(0, kept), `cut ${cut}`);
      const boundary = cut === headerBytes.length || ends.includes(cut);
      assert.equal(result.droppedTail, !boundary, `cut ${cut}`);
      assert.equal(result.validLength, kept === 0 ? headerBytes.length : ends[kept - 1]);
    }
  });

  it("every single-bit flip: damaged, or only the tail dropped — never wrong data", () => {
    const lastTwoStart = ends[ends.length - 3];
    let damaged = 0, dropped = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = bytes.slice();
        copy[i] ^= 1 << bit;
        const result = decodeCheckpoint(copy);
        const where = `byte ${i} bit ${bit}`;
        if ("damaged" in result) {
          damaged++;
          continue;
        }
        dropped++;
        assert.ok(i >= lastTwoStart, `${where}: only a flip in the last records may decode`);
        assert.ok(result.droppedTail, `${where}: must report the dropped tail`);
        assert.deepEqual(result.header, h, where);
        assert.ok(result.parts.size < parts.length, where);
        for (const [n, p] of result.parts) assert.deepEqual(p, parts[n - 1], where);
      }
    }
    assert.ok(damaged > 0 && dropped > 0);
  });

  it("a torn tail of zero bytes (a crash after the size grew) is dropped", () => {
    const d = decoded(concatBytes([bytes, new Uint8Array(60)]));
    assert.equal(d.parts.size, parts.length);
    assert.equal(d.droppedTail, true);
  });

  it("garbage then newline as the last line is dropped; in the middle it is damage", () => {
    const junk = new TextEncoder().encode("garbage\n");
    assert.equal(decoded(concatBytes([bytes, junk])).droppedTail, true);
    const middle = decodeCheckpoint(concatBytes([headerBytes, records[0], junk, records[1]]));
    assert.ok("damaged" in middle);
  });

  it("an edited header JSON is damaged", () => {
    const text = new TextDecoder().decode(bytes);
    for (
      const [from, to] of [['"key":"dir/', '"key":"dix/'], [
        '"partSize":102400',
        '"partSize":102401',
      ]]
    ) {
      assert.ok(text.includes(from));
      const result = decodeCheckpoint(new TextEncoder().encode(text.replace(from, to)));
      assert.ok("damaged" in result, from);
    }
  });

  it("an edited earlier record is damaged", () => {
    const text = new TextDecoder().decode(bytes);
    const edited = text.replace(parts[0].etag.slice(1, -1), "0".repeat(32));
    assert.ok("damaged" in decodeCheckpoint(new TextEncoder().encode(edited)));
  });

  it("uppercased checksum digits are not accepted as the same checksum", () => {
    const text = new TextDecoder().decode(bytes);
    const upper = text.replace(/^([0-9a-f]{8}) /m, (m) => m.toUpperCase());
    if (upper !== text) assert.ok("damaged" in decodeCheckpoint(new TextEncoder().encode(upper)));
  });

  it("records from another upload's journal do not validate here", () => {
    const other = makeHeader({ uploadId: "ANOTHER" });
    const foreign = encodePartRecord(other, parts[0]);
    assert.ok("damaged" in decodeCheckpoint(concatBytes([headerBytes, foreign, records[1]])));
    // As the last line it looks like a torn append and is dropped.
    const d = decoded(concatBytes([headerBytes, records[0], foreign]));
    assert.equal(d.parts.size, 1);
    assert.equal(d.droppedTail, true);
  });

  it("a record with a valid checksum that does not fit the header is damage", () => {
    const enc = new TextEncoder();
    const json = new TextDecoder().decode(headerBytes).split(" ").slice(2).join(" ").trimEnd();
    const seed = crc32(enc.encode(json));
    const record = (body: string) =>
      enc.encode(`${crc32(enc.encode(body), seed).toString(16).padStart(8, "0")} ${body}\n`);
    // Sanity: this forges a valid record.
    assert.equal(decoded(concatBytes([headerBytes, record(`[1,102400,"e","1"]`)])).parts.size, 1);
    for (
      const body of [
        `[9,102400,"e","1"]`,
        `[2,5,"e","1"]`,
        `[1,102400,"","1"]`,
        `[1,102400,"e","-1"]`,
      ]
    ) {
      assert.ok("damaged" in decodeCheckpoint(concatBytes([headerBytes, record(body)])), body);
    }
  });

  it("rejects empty input, other files, other format versions", () => {
    const enc = new TextEncoder();
    assert.ok("damaged" in decodeCheckpoint(new Uint8Array()));
    assert.ok("damaged" in decodeCheckpoint(enc.encode('{"uploadId":"x"}\n')));
    const v2 = enc.encode(
      new TextDecoder().decode(bytes).replace("ossup-checkpoint/1", "ossup-checkpoint/2"),
    );
    const result = decodeCheckpoint(v2);
    assert.ok("damaged" in result && /version/.test(result.damaged));
  });
});

describe("checkpoint journal: cost per part", () => {
  it("10,000 parts: every record ≤ 256 bytes, size independent of the part count", () => {
    const partSize = 5 * 1024 * 1024 * 1024;
    const h = makeHeader({
      partSize,
      partCount: 10000,
      source: { name: "/data/huge.bin", size: 10000 * partSize, lastModified: 1, fingerprint: "f" },
    });
    const chunks = [encodeCheckpointHeader(h)];
    let max = 0, min = Infinity;
    for (let n = 1; n <= 10000; n++) {
      const line = encodePartRecord(h, {
        partNumber: n,
        size: partSize,
        etag: OSS_ETAG,
        crc64: (1n << 64n) - BigInt(n),
      });
      max = Math.max(max, line.length);
      min = Math.min(min, line.length);
      chunks.push(line);
    }
    assert.ok(max <= 256, `largest record ${max} bytes`);
    // The widest record differs from the narrowest only by its numbers' digits.
    assert.ok(max - min <= 8, `records from ${min} to ${max} bytes`);
    const d = decoded(concatBytes(chunks));
    assert.equal(d.parts.size, 10000);
    assert.equal(d.parts.get(10000)?.size, partSize);
  });
});

describe("checkpointMismatch", () => {
  it("accepts the same upload and names the first difference otherwise", () => {
    const h = makeHeader();
    const target = {
      endpoint: h.endpoint,
      bucket: h.bucket,
      key: h.key,
      partSize: h.partSize,
      source: { ...h.source },
    };
    assert.equal(checkpointMismatch(h, target), undefined);
    assert.equal(checkpointMismatch(h, { ...target, endpoint: "127.0.0.1:1" }), "endpoint differs");
    assert.equal(checkpointMismatch(h, { ...target, bucket: "b2" }), "bucket differs");
    assert.equal(checkpointMismatch(h, { ...target, key: "k2" }), "key differs");
    assert.equal(checkpointMismatch(h, { ...target, partSize: 1 }), "part size differs");
    const src = (o: object) => ({ ...target, source: { ...target.source, ...o } });
    assert.match(checkpointMismatch(h, src({ name: "x" }))!, /name/);
    assert.match(checkpointMismatch(h, src({ size: 1 }))!, /size/);
    assert.match(checkpointMismatch(h, src({ lastModified: 1 }))!, /modification/);
    assert.match(checkpointMismatch(h, src({ fingerprint: "0" }))!, /content/);
  });
});

describe("fingerprintSource", () => {
  function bytesSource(bytes: Uint8Array): FileSource & { reads: [number, number][] } {
    const reads: [number, number][] = [];
    return {
      name: "mem",
      size: bytes.length,
      lastModified: 0,
      reads,
      stream(offset, length) {
        reads.push([offset, length]);
        return new Blob([bytes.slice(offset, offset + length)]).stream();
      },
      stat: () => Promise.resolve({ size: bytes.length, lastModified: 0 }),
      close: () => Promise.resolve(),
    };
  }

  it("hashes a small source whole", async () => {
    const bytes = new TextEncoder().encode("123456789");
    const fp = await fingerprintSource(bytesSource(bytes));
    assert.equal(fp, crc64(bytes).toString(16).padStart(16, "0"));
    assert.equal(fp, "995dc9bbdf1939fa");
  });

  it("samples a few windows of a large source, first to last byte", async () => {
    const bytes = new Uint8Array(1 << 20).map((_, i) => (i * 7919) & 0xff);
    const src = bytesSource(bytes);
    const fp = await fingerprintSource(src);
    assert.equal(src.reads.length, 4);
    assert.deepEqual(src.reads[0], [0, 4096]);
    assert.deepEqual(src.reads[3], [bytes.length - 4096, 4096]);
    assert.equal(await fingerprintSource(bytesSource(bytes.slice())), fp);
    for (const at of [0, src.reads[1][0] + 100, src.reads[2][0], bytes.length - 1]) {
      const changed = bytes.slice();
      changed[at] ^= 1;
      assert.notEqual(await fingerprintSource(bytesSource(changed)), fp, `byte ${at}`);
    }
  });

  it("handles an empty source and rejects bad options", async () => {
    assert.equal(await fingerprintSource(bytesSource(new Uint8Array())), "0000000000000000");
    await assert.rejects(
      fingerprintSource(bytesSource(new Uint8Array(1)), { windows: 0 }),
      RangeError,
    );
  });
});

describe("checkpoint intents", () => {
  it("encodes and decodes an intent: a header with no upload ID and no records", () => {
    const intent = makeHeader({ uploadId: "" });
    const decoded = decodeCheckpoint(encodeCheckpointHeader(intent));
    assert.ok("header" in decoded && !("damaged" in decoded));
    assert.equal(decoded.header.uploadId, "");
    assert.equal(decoded.parts.size, 0);
    assert.throws(() => encodePartRecord(intent, makeParts(intent, [1])[0]), RangeError);
  });

  it("a record under an intent makes the checkpoint damaged", () => {
    const h = makeHeader();
    const intentLine = encodeCheckpointHeader(makeHeader({ uploadId: "" }));
    const record = encodePartRecord(h, makeParts(h, [1])[0]);
    const bytes = new Uint8Array([...intentLine, ...record, ...record]);
    const decoded = decodeCheckpoint(bytes);
    assert.ok("damaged" in decoded);
  });

  it("damage to a record keeps the intact header, so its upload can be named", () => {
    const h = makeHeader();
    const bytes = encodeCheckpoint(h, makeParts(h, [1, 2, 3]));
    const firstRecord = bytes.indexOf(0x0a) + 1;
    bytes[firstRecord + 12] ^= 0x04;
    const decoded = decodeCheckpoint(bytes);
    assert.ok("damaged" in decoded);
    assert.equal(decoded.header?.uploadId, h.uploadId);
    const header = decodeCheckpoint(encodeCheckpoint(h, []).map((b, i) => i === 40 ? b ^ 1 : b));
    assert.ok("damaged" in header);
    assert.equal(header.header, undefined, "a damaged header names nothing");
  });
});
