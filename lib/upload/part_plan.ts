/**
 * How a source of known size is cut into multipart parts, under OSS's
 * limits: parts of 100 KB to 5 GB, at most 10,000 parts.
 *
 * @module
 */

/**
 * Smallest part size OSS accepts for every part but the last: 100 KB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIN_PART_SIZE, planParts } from "@ossup/ossup";
 *
 * const { partCount } = planParts(1_000_000, MIN_PART_SIZE);
 * assert.equal(partCount, 10);
 * ```
 */
export const MIN_PART_SIZE = 100 * 1024;
/**
 * Largest part size OSS accepts: 5 GB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertPartSize, MAX_PART_SIZE } from "@ossup/ossup";
 *
 * assertPartSize(MAX_PART_SIZE); // fine
 * assert.throws(() => assertPartSize(MAX_PART_SIZE + 1), RangeError);
 * ```
 */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/**
 * Most parts one multipart upload may have.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_PARTS, planParts } from "@ossup/ossup";
 *
 * const size = 2 * 1024 ** 4; // 2 TiB
 * const smallestPartSize = Math.ceil(size / MAX_PARTS);
 * assert.equal(planParts(size, smallestPartSize).partCount, MAX_PARTS);
 * ```
 */
export const MAX_PARTS = 10_000;
/**
 * Default part size, as the Go SDK's `UploadFile` documents it: 100 KB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_PART_SIZE, planParts } from "@ossup/ossup";
 *
 * const { partCount } = planParts(1024 * 1024, DEFAULT_PART_SIZE);
 * assert.equal(partCount, 11);
 * ```
 */
export const DEFAULT_PART_SIZE: number = MIN_PART_SIZE;

/**
 * One part of a plan.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partAt } from "@ossup/ossup";
 *
 * const { partNumber, offset, size } = partAt(1_000_000, 102_400, 10); // the last, shorter part
 * assert.deepEqual({ partNumber, offset, size }, { partNumber: 10, offset: 921_600, size: 78_400 });
 * ```
 */
export interface PlannedPart {
  /** 1-based part number. */
  partNumber: number;
  /** Byte offset of the part in the source. */
  offset: number;
  /** Length in bytes (only the last part may be shorter than the part size). */
  size: number;
}

/**
 * The result of {@linkcode planParts}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planParts } from "@ossup/ossup";
 *
 * const { partSize, partCount, partSizeRaised } = planParts(2 * 1024 ** 4, 100 * 1024);
 * assert.equal(partSizeRaised, true); // 100 KB parts would be more than 10,000
 * assert.ok(partCount <= 10_000 && partSize * partCount >= 2 * 1024 ** 4);
 * ```
 */
export interface PartPlan {
  /** Part size used: the one asked for, or a larger one if that needed more than 10,000 parts. */
  partSize: number;
  /** True when the part size asked for was raised to fit within 10,000 parts. */
  partSizeRaised: boolean;
  /** Number of parts (at least 1, even for an empty source). */
  partCount: number;
}

/**
 * Options of {@linkcode planParts}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planParts } from "@ossup/ossup";
 *
 * // A RangeError instead of a larger part size when 100 KB parts would exceed 10,000.
 * assert.throws(
 *   () => planParts(2 * 1024 ** 3, 100 * 1024, { raisePartSize: false }),
 *   { name: "RangeError", message: /needs 20972 parts of 102400 bytes/ },
 * );
 * ```
 */
export interface PlanPartsOptions {
  /**
   * Raise the part size when the source needs more than 10,000 parts at the
   * size asked for. When false, such a source is rejected with a `RangeError`.
   * @default {true}
   */
  raisePartSize?: boolean;
}

/**
 * Checks a part size against OSS's limits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertPartSize } from "@ossup/ossup";
 *
 * assertPartSize(8 * 1024 * 1024); // fine
 * assert.throws(() => assertPartSize(1024), {
 *   name: "RangeError",
 *   message: /^partSize must be a whole number of bytes from 102400 \(100 KB\)/,
 * });
 * ```
 *
 * @param partSize The part size in bytes.
 * @throws {RangeError} When it is not a whole number from 100 KB to 5 GB.
 */
export function assertPartSize(partSize: number): void {
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new RangeError(
      `partSize must be a whole number of bytes from ${MIN_PART_SIZE} (100 KB) to ${MAX_PART_SIZE} (5 GB); got ${partSize}`,
    );
  }
}

/**
 * Chooses the part size and count for a source of `size` bytes.
 *
 * When `size / partSize` exceeds 10,000, the part size is raised to the
 * smallest multiple of 100 KB that fits (so parts stay aligned to the size
 * asked for's unit) unless `raisePartSize` is false.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planParts } from "@ossup/ossup";
 *
 * const plan = planParts(10 * 1024 * 1024 * 1024, 100 * 1024);
 * assert.equal(plan.partSizeRaised, true);
 * assert.ok(plan.partCount <= 10_000);
 * ```
 *
 * @param size Size of the source in bytes.
 * @param partSize Part size asked for, in bytes (100 KB to 5 GB).
 * @param options Whether the part size may be raised.
 * @returns The part size used and the number of parts.
 * @throws {RangeError} For a bad part size, a negative size, a source larger than
 * 10,000 × 5 GB, or one needing a raise when `raisePartSize` is false.
 */
export function planParts(
  size: number,
  partSize: number,
  options: PlanPartsOptions = {},
): PartPlan {
  assertPartSize(partSize);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`source size must be a whole number of bytes ≥ 0; got ${size}`);
  }
  if (size > MAX_PART_SIZE * MAX_PARTS) {
    throw new RangeError(
      `source of ${size} bytes is larger than OSS's multipart limit of ${MAX_PARTS} parts × 5 GB`,
    );
  }
  const needed = Math.max(1, Math.ceil(size / partSize));
  if (needed <= MAX_PARTS) return { partSize, partSizeRaised: false, partCount: needed };
  if (options.raisePartSize === false) {
    throw new RangeError(
      `a source of ${size} bytes needs ${needed} parts of ${partSize} bytes, more than OSS's ${MAX_PARTS}; ` +
        `use a partSize of at least ${Math.ceil(size / MAX_PARTS)} or allow raisePartSize`,
    );
  }
  const raised = Math.min(
    MAX_PART_SIZE,
    Math.ceil(size / MAX_PARTS / MIN_PART_SIZE) * MIN_PART_SIZE,
  );
  return {
    partSize: raised,
    partSizeRaised: true,
    partCount: Math.max(1, Math.ceil(size / raised)),
  };
}

/**
 * The offset and size of part `partNumber` (1-based) of a plan.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partAt } from "@ossup/ossup";
 *
 * assert.deepEqual(partAt(250_000, 102_400, 3), { partNumber: 3, offset: 204800, size: 45200 });
 * ```
 *
 * @param size Size of the source in bytes.
 * @param partSize Part size in bytes.
 * @param partNumber 1-based part number.
 * @returns The part's number, offset and size.
 */
export function partAt(size: number, partSize: number, partNumber: number): PlannedPart {
  const offset = (partNumber - 1) * partSize;
  return { partNumber, offset, size: Math.max(0, Math.min(partSize, size - offset)) };
}

/**
 * Largest part size `partSize: "auto"` picks unless OSS's 10,000 parts need more: 64 MiB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AUTO_MAX_PART_SIZE } from "@ossup/ossup";
 *
 * assert.equal(AUTO_MAX_PART_SIZE, 64 * 1024 * 1024);
 * ```
 */
export const AUTO_MAX_PART_SIZE = 64 * 1024 * 1024;

/**
 * Smallest part size `partSize: "auto"` picks for a source larger than it (within the memory
 * budget): 1 MiB, so a part's bytes outweigh its round trip on a distant link.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AUTO_MIN_PART_SIZE } from "@ossup/ossup";
 *
 * assert.equal(AUTO_MIN_PART_SIZE, 1024 * 1024);
 * ```
 */
export const AUTO_MIN_PART_SIZE = 1024 * 1024;

/**
 * What {@linkcode autoPartSize} weighs besides the size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { autoPartSize, type AutoPartSizeOptions } from "@ossup/ossup";
 *
 * const budgets: AutoPartSizeOptions = { maxRoutines: 16, maxMemory: Infinity }; // a copy
 * assert.equal(autoPartSize(10 * 1024 ** 3, budgets), 64 * 1024 * 1024); // 64 MiB, the cap
 * ```
 */
export interface AutoPartSizeOptions {
  /** Most parts at once the transfer may run (`maxRoutines`). */
  maxRoutines: number;
  /** Bytes the parts in flight may hold (`maxMemory`); `Infinity` when they hold none (a copy). */
  maxMemory: number;
  /**
   * Milliseconds the transfer's first exchange with the server took (InitiateMultipartUpload,
   * HeadObject), when known before the part size is fixed: a far server gets more, smaller
   * parts (see {@linkcode autoPartSize}).
   */
  firstExchangeMs?: number;
}

/**
 * A first exchange (a handshake, then a request and its answer: about two round trips) this
 * long or longer gives {@linkcode autoPartSize} more parts per routine, in proportion: 150 ms
 * (a server about 75 ms away).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { autoPartSize } from "@ossup/ossup";
 * import { FAR_PART_EXCHANGE_MS } from "./part_plan.ts";
 *
 * const budgets = { maxRoutines: 32, maxMemory: 256 * 1024 ** 2 };
 * assert.equal(FAR_PART_EXCHANGE_MS, 150);
 * // 80 MiB: 2 parts per routine nearby, 8 when the exchange took 600 ms (300 ms away).
 * assert.equal(autoPartSize(80 * 1024 ** 2, budgets), 1280 * 1024);
 * assert.equal(autoPartSize(80 * 1024 ** 2, { ...budgets, firstExchangeMs: 600 }), 320 * 1024);
 * ```
 */
export const FAR_PART_EXCHANGE_MS = 150;

/**
 * Smallest part size `partSize: "auto"` picks for a far server (see
 * {@linkcode FAR_PART_EXCHANGE_MS}): 256 KiB, four windows of 64 KiB, so a part's bytes still
 * outweigh the round trip of its answer through a narrow window.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AUTO_MIN_FAR_PART_SIZE } from "./part_plan.ts";
 *
 * assert.equal(AUTO_MIN_FAR_PART_SIZE, 256 * 1024);
 * ```
 */
export const AUTO_MIN_FAR_PART_SIZE = 256 * 1024;

/**
 * The part size `partSize: "auto"` picks, before the transfer, from the size and the budgets.
 * Nothing is known of the link before the first request (the adaptive routines measure it),
 * so the size is what lets them fill any link:
 * 1. enough parts to keep every routine busy twice over: `size / (2 × maxRoutines)`, but at
 *    least 1 MiB ({@linkcode AUTO_MIN_PART_SIZE}): each part pays about a round trip of
 *    request and answer besides its bytes, so far away small parts waste the link; a source
 *    of 1 MiB or less is one part; a larger one smaller than `maxRoutines` MiB gets a part for
 *    each of `maxRoutines` routines (`size / maxRoutines`): through a link whose
 *    per-connection window holds each connection back (a window over a long path), such a
 *    file is as fast as the connections it spreads over, and "auto" runs a transfer of no
 *    more parts than it may run at once as one wave, every part at once (measured: 3 MiB
 *    300 ms away through 64 KiB windows, 8 parts of 384 KiB moved at 0.7–0.8 MB/s where 16 of
 *    100 KiB moved 1.1);
 *    A far server (`firstExchangeMs` of {@linkcode FAR_PART_EXCHANGE_MS} or more) gets more
 *    parts per routine in proportion, `2 × firstExchangeMs / 150`, and the floor is 256 KiB
 *    ({@linkcode AUTO_MIN_FAR_PART_SIZE}): a part a reset cuts is sent again alone, at one
 *    connection's pace, which falls as the round trip grows (measured 300 ms away through 64
 *    KiB windows, 80 MiB at 32 routines: 1280 KiB parts moved 82% of the link, 320 KiB 89%);
 *    the routines hide each part's extra round trip;
 * 2. at most what lets `maxRoutines` parts fit in `maxMemory` together, and at most 64 MiB
 *    (a part lost to a failure costs that much again);
 * 3. at least 100 KB (OSS's smallest), and at least `size / 10,000` (OSS's most parts);
 * rounded up to a multiple of 64 KiB above 100 KB. E.g. with the defaults (32 routines,
 * 256 MiB): 3 MiB → 128 KiB parts, 12 MiB → 384 KiB, 32 MB → 1 MiB, 128 MiB → 2 MiB, 1 GiB → 8 MiB (the memory budget),
 * 200 GB → 20 MB (fewer routines then fit in the memory budget).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { autoPartSize } from "@ossup/ossup";
 *
 * assert.equal(autoPartSize(1024 ** 3, { maxRoutines: 32, maxMemory: 256 * 1024 ** 2 }), 8 * 1024 ** 2);
 * ```
 *
 * @param size Bytes to transfer.
 * @param options The routines and memory budgets.
 * @returns The part size in bytes, 100 KB to 5 GB.
 */
export function autoPartSize(size: number, options: AutoPartSizeOptions): number {
  const unit = 64 * 1024;
  const exchange = options.firstExchangeMs ?? 0;
  const far = exchange >= FAR_PART_EXCHANGE_MS;
  const partsPerRoutine = far ? 2 * exchange / FAR_PART_EXCHANGE_MS : 2;
  const minPart = far ? AUTO_MIN_FAR_PART_SIZE : AUTO_MIN_PART_SIZE;
  // A source of 1 MiB or less is one part; a larger one at least 1 MiB parts (far: 256 KiB), or
  // smaller ones when that leaves routines without a part each.
  const smallest = size <= AUTO_MIN_PART_SIZE
    ? roundUp(size, unit)
    : Math.min(minPart, roundUp(size / options.maxRoutines, unit));
  const spread = Math.max(smallest, roundUp(size / (partsPerRoutine * options.maxRoutines), unit));
  const cap = Math.min(
    AUTO_MAX_PART_SIZE,
    Math.floor(options.maxMemory / options.maxRoutines / unit) * unit,
  );
  const floor = Math.max(MIN_PART_SIZE, roundUp(size / MAX_PARTS, unit));
  return Math.min(MAX_PART_SIZE, Math.max(floor, Math.min(spread, cap)));
}

/** `value` rounded up to a multiple of `unit`. */
function roundUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}
