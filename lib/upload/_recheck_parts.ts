/**
 * On resume, the parts an earlier run recorded are read again from the
 * source and hashed before they are skipped: a file edited in place with
 * its size and modification time kept must not end up as an object that
 * differs from it while the result says "verified".
 *
 * @module
 */

import type { FileSource } from "../source/file_source.ts";
import type { PartRecord } from "../checkpoint/checkpoint_journal.ts";
import { partAt } from "./part_plan.ts";
import { hashRange, SLICE_HASH_CHUNK } from "./_read_part.ts";

/**
 * The recorded parts whose bytes in `source` still have the CRC64 recorded
 * for them; the others are to be sent again. Reads through one buffer of at
 * most 1 MiB, whatever the part size.
 */
export async function partsUnchangedInSource(
  source: FileSource,
  partSize: number,
  parts: Map<number, PartRecord>,
  signal: AbortSignal | undefined,
): Promise<Map<number, PartRecord>> {
  const scratch = new Uint8Array(Math.min(partSize, SLICE_HASH_CHUNK));
  const unchanged = new Map<number, PartRecord>();
  for (const [partNumber, part] of parts) {
    const { offset } = partAt(source.size, partSize, partNumber);
    if (await hashRange(source, offset, part.size, signal, scratch) === part.crc64) {
      unchanged.set(partNumber, part);
    }
  }
  return unchanged;
}
