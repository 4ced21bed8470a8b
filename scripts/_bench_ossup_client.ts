/**
 * The ossup client of scripts/bench_upload.ts, run as its own process on
 * Deno, Bun or Node:
 *
 *     bucket.uploadFile(key, file, { partSize, routines, checkpoint: true })
 *
 * through `mod.ts`. Flags: see `clientArgs` in `_bench_proc.ts`.
 *
 * Checkpoint bytes: `checkpoint: true` means a `FileCheckpointStore` (what
 * `mod.ts`'s platform creates) under the id `<file>.cp`. This client passes
 * exactly that, wrapped in a store that counts the bytes handed to `write`
 * and `append` — every byte the engine writes to its checkpoint file.
 *
 * @module
 */

import { type CheckpointStore, FileCheckpointStore, OssClient } from "../mod.ts";
import { clientArgs, runClient } from "./_bench_proc.ts";

const args = clientArgs();
const counted = { checkpointBytes: 0, checkpointWrites: 0 };
const files = new FileCheckpointStore();
const countingStore: CheckpointStore = {
  read: (id) => files.read(id),
  write: (id, data) => {
    counted.checkpointBytes += data.byteLength;
    counted.checkpointWrites++;
    return files.write(id, data);
  },
  append: (id, data) => {
    counted.checkpointBytes += data.byteLength;
    counted.checkpointWrites++;
    return files.append(id, data);
  },
  remove: (id) => files.remove(id),
  lock: (id, options) => files.lock(id, options),
};

const client = new OssClient({
  endpoint: args.endpoint,
  region: "cn-hangzhou",
  accessKeyId: args.ak,
  accessKeySecret: args.sk,
});

await runClient(async () => {
  const result = await client.bucket(args.bucket).uploadFile(args.key, args.file, {
    partSize: args.partSize,
    routines: args.routines,
    checkpoint: countingStore,
    checkpointId: `${args.file}.cp`, // what checkpoint: true uses
  });
  if (!result.crc64Verified) throw new Error("the server did not confirm the CRC64");
  return counted;
});
