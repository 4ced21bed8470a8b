/**
 * What `_storage_disk_writer.ts` writes, shared with the durability test
 * that checks it after a SIGKILL.
 *
 * @module
 */

import { testBytes } from "./_test_bytes.ts";

const KB = 1024;
const flipA = testBytes(1024 * KB, 101);
const flipB = testBytes(1536 * KB + 3, 102);
const parts = [testBytes(100 * KB, 201), testBytes(100 * KB + 7, 202)];
const loopParts = [testBytes(100 * KB, 301), testBytes(5000, 302)];

/** Keys and bytes of the durability scenario. */
export const durableFixture = {
  bucket: "durable",
  doneCount: 4,
  doneKey: (round: number, i: number): string => `done/${round}/${i}`,
  doneBytes: (round: number, i: number): Uint8Array => testBytes(50 * KB + i, 1000 * round + i),
  mpuKey: (round: number): string => `mpu/${round}`,
  partBytes: (n: number): Uint8Array => parts[n - 1],
  partialKey: (round: number): string => `partial/${round}`,
  flipKey: "flip",
  flipVersions: [flipA, flipB],
  loopKey: "loop",
  loopPart: (n: number): Uint8Array => loopParts[n - 1],
};
