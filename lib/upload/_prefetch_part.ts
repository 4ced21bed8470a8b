/**
 * A new upload's first parts, read and hashed while InitiateMultipartUpload is on its way: the
 * process has nothing else to do then. Without it the parts' buffers were allocated, filled
 * and hashed all at once when the upload ID came back, on the path of the first part: 10–20 ms
 * of a cold Node process here (allocation and the garbage collection it set off).
 *
 * One part at a time, so the Initiate request itself is not held up; it stops when the parts
 * phase takes its first part (what was not read ahead is read by the routines as before).
 *
 * @module
 */

import type { FileSource } from "../source/file_source.ts";
import { type PartBody, partBody, partBufferSize } from "./_read_part.ts";
import { partAt, type PartPlan } from "./part_plan.ts";

/** A part read ahead, for a routine to take over with its buffer. */
export interface PrefetchedPart {
  /** What it is read into; the routine that sends it keeps the buffer for its next parts. */
  buffer: Uint8Array;
  /** The read and hash. */
  read: Promise<PartBody>;
}

/** Parts 1, 2, … of a plan read ahead, one after another, up to a count. */
export class PartPrefetch {
  readonly #ahead = new Map<number, PrefetchedPart>();
  readonly #partSize: number;
  #stopped = false;
  readonly #done: Promise<void>;

  /**
   * Starts reading.
   *
   * @param source The source.
   * @param plan Its parts.
   * @param count At most this many (the routines the parts phase starts with: their buffers).
   * @param signal Stops the reads.
   */
  constructor(source: FileSource, plan: PartPlan, count: number, signal?: AbortSignal) {
    this.#partSize = plan.partSize;
    this.#done = this.#readAhead(source, plan, Math.min(count, plan.partCount), signal);
  }

  async #readAhead(
    source: FileSource,
    plan: PartPlan,
    count: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    for (let n = 1; n <= count && !this.#stopped; n++) {
      const { offset, size } = partAt(source.size, plan.partSize, n);
      const buffer = new Uint8Array(partBufferSize(source, plan.partSize));
      const read = partBody(source, offset, size, signal, buffer);
      this.#ahead.set(n, { buffer, read });
      try {
        await read;
      } catch {
        return; // the routine that takes this part meets the error
      }
    }
  }

  /**
   * Part `partNumber` if it was read (or is being read) ahead for parts of `partSize`, handed
   * over once. The first call stops the reading ahead.
   */
  take(partNumber: number, partSize: number): PrefetchedPart | undefined {
    this.#stopped = true;
    if (partSize !== this.#partSize) return undefined;
    const part = this.#ahead.get(partNumber);
    this.#ahead.delete(partNumber);
    return part;
  }

  /**
   * Stops reading ahead and resolves once no read is in flight, with the buffers not handed
   * over: a plan that changed reuses them (parts only get smaller then).
   */
  async release(): Promise<Uint8Array[]> {
    this.#stopped = true;
    await this.#done;
    const buffers = [...this.#ahead.values()].map((p) => p.buffer);
    this.#ahead.clear();
    return buffers;
  }
}
