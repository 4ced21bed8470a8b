/**
 * The resumable-upload checkpoint journal: an append-only text format whose
 * cost per finished part stays constant however many parts there are.
 *
 * Layout (UTF-8 text, one `\n`-terminated line each):
 *
 * ```text
 * ossup-checkpoint/1 <crc32> {"endpoint":…,"bucket":…,"key":…,"uploadId":…,…}
 * <crc32> [<partNumber>,<size>,"<etag>","<crc64>"]
 * <crc32> [<partNumber>,<size>,"<etag>","<crc64>"]
 * ```
 *
 * The header line is written with the store's atomic `write`; each finished
 * part adds one record line (about 80 bytes for an OSS ETag) with `append`.
 * Every line carries a CRC-32 as 8 lowercase hex digits; a record's CRC is
 * seeded with the header's, so a record only validates under the header it
 * was written for. On decoding, a torn or corrupt *last* record is dropped
 * (a crash mid-append), while a corrupt header or earlier record makes the
 * whole checkpoint damaged: the engine discards it and starts over.
 *
 * The journal holds no secret: destination, upload ID, part size, the
 * source's identity, and per part its size, ETag and CRC-64.
 *
 * @module
 */

import type { FileSource } from "../source/file_source.ts";
import { Crc64 } from "../crc64/crc64.ts";
import { crc32 } from "./_journal_crc32.ts";
import { concatBytes } from "../_concat_bytes.ts";

/** Version of the journal format this module writes and reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;

const MAGIC = `ossup-checkpoint/${CHECKPOINT_FORMAT_VERSION}`;
const MAGIC_FAMILY = "ossup-checkpoint/";
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** A JSON value, for the upload options a checkpoint remembers. */
export type CheckpointJsonValue =
  | string
  | number
  | boolean
  | null
  | CheckpointJsonValue[]
  | { [name: string]: CheckpointJsonValue };

/** What identifies the source of an upload, to notice it changed between runs. */
export interface SourceIdentity {
  /** The source's name (a file path, a `File`'s name). */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Modification time in milliseconds since the epoch (0 if unknown). */
  lastModified: number;
  /** A fingerprint of sampled content, from {@linkcode fingerprintSource}. */
  fingerprint: string;
}

/** The header of a checkpoint: which upload it belongs to. */
export interface CheckpointHeader {
  /** The OSS endpoint the upload goes to, e.g. `"oss-cn-hangzhou.aliyuncs.com"`. */
  endpoint: string;
  /** The bucket. */
  bucket: string;
  /** The object key. */
  key: string;
  /**
   * The multipart upload ID from InitiateMultipartUpload; `""` in an
   * intent: the header written just before InitiateMultipartUpload, so that
   * an upload whose ID never reached the journal (the process was killed
   * meanwhile) can be found and aborted by the next run.
   */
  uploadId: string;
  /** Part size in bytes; every part but the last has exactly this size. */
  partSize: number;
  /** Number of parts: `ceil(source.size / partSize)`, or 0 or 1 for an empty source. */
  partCount: number;
  /** The source the parts were read from. */
  source: SourceIdentity;
  /** When the upload was initiated, in milliseconds since the epoch. */
  createdAt: number;
  /** Upload options to reuse on resume (content type, metadata); never credentials. */
  options?: { [name: string]: CheckpointJsonValue };
  /**
   * Set for a download's journal: the object is the `source` (its ETag and CRC-64 as the
   * fingerprint), the parts are ranges written into `sink` (a `FileSink`'s name: the target
   * file's path), `uploadId` is `""` and each record's `etag` is the object's ETag the range
   * was fetched under. Absent for an upload.
   */
  download?: { sink: string };
}

/** One finished part, as confirmed by the server. */
export interface PartRecord {
  /** Part number, 1 to `partCount`. */
  partNumber: number;
  /** Size in bytes. */
  size: number;
  /** The ETag the server returned for the part. */
  etag: string;
  /** CRC-64/XZ (OSS's CRC64-ECMA) of the part's bytes. */
  crc64: bigint;
}

/** A checkpoint that decoded cleanly. */
export interface DecodedCheckpoint {
  /** The header. */
  header: CheckpointHeader;
  /** Finished parts by part number (a later record for a part replaces an earlier one). */
  parts: Map<number, PartRecord>;
  /**
   * True when a torn or corrupt last record was dropped. Rewrite the journal
   * with {@linkcode encodeCheckpoint} before appending to it again, so the
   * next record does not land behind the torn bytes.
   */
  droppedTail: boolean;
  /** Length in bytes of the valid prefix (header and kept records). */
  validLength: number;
}

/** A checkpoint that cannot be used; discard it and start over. */
export interface DamagedCheckpoint {
  /** Why, for a log line. */
  damaged: string;
  /** The header, when it is intact and only a record is damaged: the upload it names. */
  header?: CheckpointHeader;
}

/** What a checkpoint must match to be used for an upload. */
export interface CheckpointTarget {
  /** The OSS endpoint. */
  endpoint: string;
  /** The bucket. */
  bucket: string;
  /** The object key. */
  key: string;
  /** The part size the upload would use. */
  partSize: number;
  /** The source's identity now. */
  source: SourceIdentity;
  /** For a download: where its parts are written (see {@linkcode CheckpointHeader.download}). */
  download?: { sink: string };
}

/** Option names that would put a credential into a checkpoint. */
const FORBIDDEN_OPTION =
  /^(accessKeyId|accessKeySecret|securityToken|credentials|signature|authorization)$/i;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

function headerJson(h: CheckpointHeader): string {
  // Fixed field order, so the same header always encodes to the same bytes.
  return JSON.stringify({
    endpoint: h.endpoint,
    bucket: h.bucket,
    key: h.key,
    uploadId: h.uploadId,
    partSize: h.partSize,
    partCount: h.partCount,
    source: {
      name: h.source.name,
      size: h.source.size,
      lastModified: h.source.lastModified,
      fingerprint: h.source.fingerprint,
    },
    createdAt: h.createdAt,
    options: h.options,
    download: h.download && { sink: h.download.sink },
  });
}

/** Returns why `value` is not a valid header, or undefined if it is one. */
function headerProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const h = value as Record<string, unknown>;
  for (const name of ["endpoint", "bucket", "key"]) {
    if (typeof h[name] !== "string" || h[name] === "") return `${name} is not a non-empty string`;
  }
  if (typeof h.uploadId !== "string") return "uploadId is not a string";
  if (!isCount(h.partSize) || h.partSize === 0) return "partSize is not a positive integer";
  if (!isCount(h.partCount)) return "partCount is not a non-negative integer";
  if (!isCount(h.createdAt)) return "createdAt is not a time";
  const s = h.source as Record<string, unknown> | null;
  if (typeof s !== "object" || s === null) return "source is not an object";
  if (typeof s.name !== "string") return "source.name is not a string";
  if (!isCount(s.size)) return "source.size is not a size";
  if (!isCount(s.lastModified)) return "source.lastModified is not a time";
  if (typeof s.fingerprint !== "string") return "source.fingerprint is not a string";
  const size = s.size, partSize = h.partSize, count = h.partCount;
  const countFits = size === 0
    ? count <= 1
    : (count - 1) * partSize < size && size <= count * partSize;
  if (!countFits) return `partCount ${count} does not fit size ${size} at part size ${partSize}`;
  if (h.options !== undefined) {
    if (typeof h.options !== "object" || h.options === null || Array.isArray(h.options)) {
      return "options is not an object";
    }
    const bad = Object.keys(h.options).find((name) => FORBIDDEN_OPTION.test(name));
    if (bad !== undefined) return `options.${bad} would store a credential`;
  }
  if (h.download !== undefined) {
    const d = h.download as Record<string, unknown> | null;
    if (typeof d !== "object" || d === null || typeof d.sink !== "string" || d.sink === "") {
      return "download.sink is not a non-empty string";
    }
    if (h.uploadId !== "") return "a download's header has an upload ID";
  }
  return undefined;
}

/** Whether a header is an intent: an upload's, written before its upload ID was known. */
export function isIntent(header: CheckpointHeader): boolean {
  return header.uploadId === "" && header.download === undefined;
}

/** The size part `partNumber` must have under `header`. */
function expectedPartSize(header: CheckpointHeader, partNumber: number): number {
  return partNumber < header.partCount
    ? header.partSize
    : header.source.size - (header.partCount - 1) * header.partSize;
}

function recordProblem(header: CheckpointHeader, r: PartRecord): string | undefined {
  if (isIntent(header)) return "a part record under an intent (no upload ID)";
  if (!Number.isSafeInteger(r.partNumber) || r.partNumber < 1 || r.partNumber > header.partCount) {
    return `part number ${r.partNumber} is outside 1..${header.partCount}`;
  }
  const want = expectedPartSize(header, r.partNumber);
  if (r.size !== want) return `part ${r.partNumber} has size ${r.size}, expected ${want}`;
  if (typeof r.etag !== "string" || r.etag === "") return `part ${r.partNumber} has no ETag`;
  if (typeof r.crc64 !== "bigint" || r.crc64 < 0n || r.crc64 >= 1n << 64n) {
    return `part ${r.partNumber} has an invalid CRC-64`;
  }
  return undefined;
}

/** Checksum of the header JSON: seeds every record's checksum. */
function headerChecksum(json: Uint8Array): number {
  return crc32(json);
}

/**
 * Encodes a checkpoint header line. Write it with the store's atomic
 * `write` when the upload is initiated; records follow with `append`.
 *
 * @param header The upload this checkpoint belongs to.
 * @returns The header line as UTF-8 bytes, ending with `\n`.
 * @throws {TypeError} If the header is malformed or its options hold a credential.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeCheckpointHeader } from "./checkpoint_journal.ts";
 *
 * const line = encodeCheckpointHeader({
 *   endpoint: "oss-cn-hangzhou.aliyuncs.com",
 *   bucket: "examplebucket",
 *   key: "backups/big.iso",
 *   uploadId: "0004B9894A22E5B1888A1E29F823****",
 *   partSize: 1048576,
 *   partCount: 3,
 *   source: { name: "big.iso", size: 3000000, lastModified: 1700000000000, fingerprint: "0" },
 *   createdAt: 1700000001000,
 * });
 * const text = new TextDecoder().decode(line);
 * assert.match(text, /^ossup-checkpoint\/1 [0-9a-f]{8} \{"endpoint":/);
 * assert.ok(text.endsWith("}\n"));
 * ```
 */
export function encodeCheckpointHeader(header: CheckpointHeader): Uint8Array {
  const problem = headerProblem(header);
  if (problem !== undefined) throw new TypeError(`Invalid checkpoint header: ${problem}`);
  const json = headerJson(header);
  const sum = headerChecksum(encoder.encode(json));
  return encoder.encode(`${MAGIC} ${hex8(sum)} ${json}\n`);
}

/**
 * Encodes the record of one finished part, to `append` to the journal.
 * About 80 bytes for an OSS ETag, whatever the number of parts.
 *
 * @param header The header the journal was started with.
 * @param record The finished part.
 * @returns The record line as UTF-8 bytes, ending with `\n`.
 * @throws {TypeError} If the header or the record is malformed.
 * @throws {RangeError} If the part number or size does not fit the header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CheckpointHeader, encodePartRecord } from "./checkpoint_journal.ts";
 *
 * const header: CheckpointHeader = {
 *   endpoint: "oss-cn-hangzhou.aliyuncs.com",
 *   bucket: "examplebucket",
 *   key: "big.iso",
 *   uploadId: "0004B9894A22E5B1888A1E29F823****",
 *   partSize: 1048576,
 *   partCount: 2,
 *   source: { name: "big.iso", size: 2000000, lastModified: 1700000000000, fingerprint: "0" },
 *   createdAt: 1700000001000,
 * };
 * const record = encodePartRecord(header, {
 *   partNumber: 1,
 *   size: 1048576,
 *   etag: '"3349DC700140D7F86A0784842780C8A1"',
 *   crc64: 10776373826416066818n,
 * });
 * assert.ok(record.length < 256);
 * assert.equal(record.at(-1), 0x0a); // one line
 * ```
 */
export function encodePartRecord(header: CheckpointHeader, record: PartRecord): Uint8Array {
  return createPartRecordEncoder(header)(record);
}

/**
 * Returns an encoder of part records for one header: the header is checked
 * and its checksum (every record's seed) computed once, not per record, since
 * an upload appends thousands of records under the same header. Each record
 * is validated as {@linkcode encodePartRecord} validates it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPartRecordEncoder } from "./checkpoint_journal.ts";
 *
 * const encode = createPartRecordEncoder({
 *   endpoint: "127.0.0.1:9000", bucket: "b", key: "k", uploadId: "U",
 *   partSize: 4, partCount: 2,
 *   source: { name: "f", size: 6, lastModified: 0, fingerprint: "0".repeat(16) },
 *   createdAt: 0,
 * });
 * const line = encode({ partNumber: 1, size: 4, etag: "E", crc64: 1n });
 * assert.ok(new TextDecoder().decode(line).endsWith("\n"));
 * ```
 *
 * @param header The header the records are written under.
 * @returns A function encoding one record as a journal line.
 * @throws {TypeError} When the header is invalid.
 */
export function createPartRecordEncoder(
  header: CheckpointHeader,
): (record: PartRecord) => Uint8Array {
  const headerIssue = headerProblem(header);
  if (headerIssue !== undefined) throw new TypeError(`Invalid checkpoint header: ${headerIssue}`);
  const seed = headerChecksum(encoder.encode(headerJson(header)));
  return (record) => {
    const problem = recordProblem(header, record);
    if (problem !== undefined) {
      const typeIssue = typeof record.etag !== "string" || typeof record.crc64 !== "bigint";
      throw typeIssue ? new TypeError(problem) : new RangeError(problem);
    }
    const json = encoder.encode(
      JSON.stringify([record.partNumber, record.size, record.etag, record.crc64.toString()]),
    );
    const prefix = encoder.encode(`${hex8(crc32(json, seed))} `);
    const line = new Uint8Array(prefix.length + json.length + 1);
    line.set(prefix);
    line.set(json, prefix.length);
    line[line.length - 1] = NEWLINE;
    return line;
  };
}

/**
 * Encodes a whole journal (header and records) for one atomic `write`: to
 * compact a journal, or to rewrite it after a dropped torn tail.
 *
 * @param header The upload this checkpoint belongs to.
 * @param parts The finished parts.
 * @returns The journal's bytes.
 * @throws {TypeError} If the header or a record is malformed.
 * @throws {RangeError} If a record does not fit the header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CheckpointHeader, decodeCheckpoint, encodeCheckpoint } from "./checkpoint_journal.ts";
 *
 * const header: CheckpointHeader = {
 *   endpoint: "127.0.0.1:9000",
 *   bucket: "b",
 *   key: "k",
 *   uploadId: "u1",
 *   partSize: 4,
 *   partCount: 2,
 *   source: { name: "f", size: 6, lastModified: 0, fingerprint: "0" },
 *   createdAt: 0,
 * };
 * const bytes = encodeCheckpoint(header, [{ partNumber: 2, size: 2, etag: '"E2"', crc64: 7n }]);
 * const decoded = decodeCheckpoint(bytes);
 * assert.ok("parts" in decoded);
 * assert.deepEqual(decoded.header, header);
 * assert.equal(decoded.parts.get(2)?.etag, '"E2"');
 * ```
 */
export function encodeCheckpoint(
  header: CheckpointHeader,
  parts: Iterable<PartRecord>,
): Uint8Array {
  const encodeRecord = createPartRecordEncoder(header);
  return concatBytes([encodeCheckpointHeader(header), ...Array.from(parts, encodeRecord)]);
}

/** Parses `<8 lowercase hex> ` at `at`, returning the value, or -1. */
function readHex8(bytes: Uint8Array, at: number): number {
  if (at + 9 > bytes.length || bytes[at + 8] !== SPACE) return -1;
  let n = 0;
  for (let i = at; i < at + 8; i++) {
    const c = bytes[i];
    // Lowercase only: an uppercased digit is a changed byte, not the same checksum.
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

/** Decodes a record line (without its `\n`): the record, or why it is bad. */
function decodeRecordLine(
  line: Uint8Array,
  seed: number,
): { record: PartRecord } | { corrupt: string } | { invalid: string } {
  const sum = readHex8(line, 0);
  if (sum < 0) return { corrupt: "malformed record checksum" };
  const json = line.subarray(9);
  if (crc32(json, seed) !== sum) return { corrupt: "record checksum mismatch" };
  const v = parseJson(json);
  if (
    !Array.isArray(v) || v.length !== 4 || typeof v[0] !== "number" ||
    typeof v[1] !== "number" || typeof v[2] !== "string" || typeof v[3] !== "string" ||
    !/^(0|[1-9][0-9]{0,19})$/.test(v[3])
  ) {
    // The checksum matched, so this was written as is: not a torn append.
    return { invalid: "malformed record" };
  }
  return { record: { partNumber: v[0], size: v[1], etag: v[2], crc64: BigInt(v[3]) } };
}

/**
 * Decodes a journal read from a checkpoint store.
 *
 * A torn or corrupt last record (a crash mid-append) is dropped and
 * reported in `droppedTail`; a damaged header or any earlier corrupt record,
 * an unknown format version, or a record that does not fit the header
 * yields `{ damaged }`: discard the checkpoint and start over.
 *
 * @param bytes The journal's bytes.
 * @returns The header and finished parts, or why the checkpoint is damaged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeCheckpoint } from "./checkpoint_journal.ts";
 *
 * const result = decodeCheckpoint(new TextEncoder().encode("not a checkpoint\n"));
 * assert.deepEqual(result, { damaged: "not an ossup checkpoint" }); // discard it, start over
 * ```
 */
export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint | DamagedCheckpoint {
  const headerEnd = bytes.indexOf(NEWLINE);
  if (headerEnd < 0) return { damaged: "no complete header line" };
  const headerLine = bytes.subarray(0, headerEnd);
  const magic = encoder.encode(`${MAGIC} `);
  if (!startsWith(headerLine, magic)) {
    return {
      damaged: startsWith(headerLine, encoder.encode(MAGIC_FAMILY))
        ? "unsupported checkpoint format version"
        : "not an ossup checkpoint",
    };
  }
  const sum = readHex8(headerLine, magic.length);
  if (sum < 0) return { damaged: "malformed header checksum" };
  const json = headerLine.subarray(magic.length + 9);
  if (headerChecksum(json) !== sum) return { damaged: "header checksum mismatch" };
  const value = parseJson(json);
  const problem = headerProblem(value);
  if (problem !== undefined) return { damaged: `invalid header: ${problem}` };
  const header = value as CheckpointHeader;

  const parts = new Map<number, PartRecord>();
  let at = headerEnd + 1;
  let validLength = at;
  while (at < bytes.length) {
    const end = bytes.indexOf(NEWLINE, at);
    // No newline: the last append was torn.
    if (end < 0) return { header, parts, droppedTail: true, validLength };
    const decoded = decodeRecordLine(bytes.subarray(at, end), sum);
    if ("corrupt" in decoded) {
      // Only the last record may be torn; damage further in is not a crash's doing.
      if (end + 1 === bytes.length) return { header, parts, droppedTail: true, validLength };
      return { damaged: `${decoded.corrupt} at byte ${at}`, header };
    }
    if ("invalid" in decoded) return { damaged: `${decoded.invalid} at byte ${at}`, header };
    const bad = recordProblem(header, decoded.record);
    if (bad !== undefined) return { damaged: bad, header };
    parts.set(decoded.record.partNumber, decoded.record);
    at = end + 1;
    validLength = at;
  }
  return { header, parts, droppedTail: false, validLength };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * Tells why a checkpoint belongs to another upload, or `undefined` when it
 * matches: same endpoint, bucket, key, part size and source identity
 * (name, size, modification time, fingerprint).
 *
 * @param header The decoded checkpoint header.
 * @param target The upload about to run.
 * @returns The first difference found, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CheckpointHeader, checkpointMismatch } from "./checkpoint_journal.ts";
 *
 * const source = { name: "f", size: 6, lastModified: 0, fingerprint: "0" };
 * const header: CheckpointHeader = {
 *   endpoint: "127.0.0.1:9000", bucket: "b", key: "k", uploadId: "u1",
 *   partSize: 4, partCount: 2, source, createdAt: 0,
 * };
 * const wanted = { endpoint: "127.0.0.1:9000", bucket: "b", key: "k", partSize: 4, source };
 * assert.equal(checkpointMismatch(header, wanted), undefined);
 * assert.equal(checkpointMismatch(header, { ...wanted, key: "other" }), "key differs");
 * ```
 */
export function checkpointMismatch(
  header: CheckpointHeader,
  target: CheckpointTarget,
): string | undefined {
  if (header.endpoint !== target.endpoint) return "endpoint differs";
  if (header.bucket !== target.bucket) return "bucket differs";
  if (header.key !== target.key) return "key differs";
  if (header.download?.sink !== target.download?.sink) {
    return header.download === undefined || target.download === undefined
      ? "it is for another kind of transfer"
      : "download target differs";
  }
  if (header.partSize !== target.partSize) return "part size differs";
  const a = header.source, b = target.source;
  if (a.name !== b.name) return "source name differs";
  if (a.size !== b.size) return "source size differs";
  if (a.lastModified !== b.lastModified) return "source modification time differs";
  if (a.fingerprint !== b.fingerprint) return "source content differs";
  return undefined;
}

/** Options of {@linkcode fingerprintSource}. */
export interface FingerprintOptions {
  /** Number of windows sampled, spread evenly from start to end. Default 4. */
  windows?: number;
  /** Size of each window in bytes. Default 4096. */
  windowSize?: number;
}

/**
 * Fingerprints a source's content cheaply: the CRC-64 of a few windows
 * spread from its first to its last byte (the whole source when it is
 * small), as 16 hex digits. Catches a file rewritten in place with its size
 * and modification time kept; it is a sample, not a full hash.
 *
 * @param source The source, as opened for the upload.
 * @param options Number and size of the windows.
 * @returns The fingerprint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fingerprintSource } from "./checkpoint_journal.ts";
 *
 * const bytes = new TextEncoder().encode("hello");
 * const fingerprint = await fingerprintSource({
 *   name: "hello.txt",
 *   size: bytes.length,
 *   lastModified: 0,
 *   stream: (offset, length) => new Blob([bytes.subarray(offset, offset + length)]).stream(),
 *   stat: () => Promise.resolve({ size: bytes.length, lastModified: 0 }),
 *   close: () => Promise.resolve(),
 * });
 * assert.match(fingerprint, /^[0-9a-f]{16}$/);
 * ```
 */
export async function fingerprintSource(
  source: FileSource,
  options: FingerprintOptions = {},
): Promise<string> {
  const windows = options.windows ?? 4;
  const windowSize = options.windowSize ?? 4096;
  if (!Number.isSafeInteger(windows) || windows < 1) {
    throw new RangeError(`windows must be a positive integer, got ${windows}`);
  }
  if (!Number.isSafeInteger(windowSize) || windowSize < 1) {
    throw new RangeError(`windowSize must be a positive integer, got ${windowSize}`);
  }
  const size = source.size;
  const ranges: [number, number][] = [];
  if (size <= windows * windowSize) {
    ranges.push([0, size]);
  } else {
    const last = size - windowSize;
    for (let i = 0; i < windows; i++) {
      ranges.push([windows === 1 ? 0 : Math.floor((last * i) / (windows - 1)), windowSize]);
    }
  }
  const crc = new Crc64();
  for (const [offset, length] of ranges) {
    if (length === 0) continue;
    const reader = source.stream(offset, length).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      crc.update(value);
    }
  }
  return crc.digest().toString(16).padStart(16, "0");
}
