/**
 * The ossup client of scripts/bench_upload.ts, run as its own process on
 * Deno, Bun or Node:
 *
 *     bucket.uploadFile(key, file, { partSize, routines, checkpoint: true })
 *
 * through `mod.ts`; with `--copy-from SRC` (the copy bench, `npm run bench -- --copy`)
 *
 *     bucket.copyFile(bucket, SRC, key, { partSize, routines, checkpoint, copyObjectLimit: 0 })
 *
 * or, with `--download` (`npm run bench -- --download`),
 *
 *     bucket.downloadFile(key, file, { partSize, routines, checkpoint: true })
 *
 * Flags: see `clientArgs` in `_bench_proc.ts`. `OSSUP_BENCH_MAX_ROUTINES=<n>` in the
 * environment (inherited from `npm run bench:wan`) gives `maxRoutines: n`, to measure `"auto"`
 * under another ceiling than its default.
 *
 * Checkpoint bytes: `checkpoint: true` means a `FileCheckpointStore` (what
 * `mod.ts`'s platform creates) under the id `<file>.cp` (`<file>.ossup-download.cp` for a
 * download). This client passes
 * exactly that, wrapped in a store that counts the bytes handed to `write`
 * and `append` — every byte the engine writes to its checkpoint file.
 *
 * @module
 */

import process from "node:process";
import { type CheckpointStore, FileCheckpointStore, OssClient } from "../mod.ts";
import { clientArgs, runClient } from "./_bench_proc.ts";

const args = clientArgs();
const maxRoutines = process.env.OSSUP_BENCH_MAX_ROUTINES;
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
  const bucket = client.bucket(args.bucket);
  const options = {
    partSize: args.partSize,
    routines: args.routines,
    ...(maxRoutines === undefined ? {} : { maxRoutines: Number(maxRoutines) }),
    checkpoint: countingStore,
    checkpointId: `${args.file}.cp`, // what checkpoint: true uses for an upload
  };
  const result = args.download
    ? await bucket.downloadFile(args.key, args.file, {
      ...options,
      checkpointId: `${args.file}.ossup-download.cp`, // what checkpoint: true uses for a download
    })
    : args.copyFrom === undefined
    ? await bucket.uploadFile(args.key, args.file, options)
    // Always in parts, as the Go SDK's CopyFile: the two are compared part for part.
    : await bucket.copyFile(args.bucket, args.copyFrom, args.key, {
      ...options,
      copyObjectLimit: 0,
    });
  if (!result.crc64Verified) throw new Error("the server did not confirm the CRC64");
  return { ...counted, partSizeUsed: result.partSize, routinesPeak: result.routines?.peak };
});
