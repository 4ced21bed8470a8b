/**
 * The ali-oss client of scripts/bench_upload.ts, run on Node:
 *
 *     client.multipartUpload(key, file, { partSize, parallel, progress })
 *
 * Given `http://127.0.0.1:PORT`, ali-oss sends `Host: <bucket>.oss-cn-hangzhou.aliyuncs.com`
 * (virtual-hosted by the Host header), which the local server accepts.
 *
 * Checkpoint bytes: ali-oss writes no checkpoint itself; it hands the
 * checkpoint to the progress callback after each part, and an application
 * that wants to resume after a crash must persist it. Counted here: the
 * UTF-8 length of `JSON.stringify(checkpoint)` for every callback that
 * carries one — what such an application writes. It is only counted, not
 * written, so ali-oss's throughput does not pay for it.
 *
 * @module
 */

import OSS from "ali-oss";
import { Buffer } from "node:buffer";
import { clientArgs, runClient } from "./_bench_proc.ts";

const args = clientArgs();
const counted = { checkpointBytes: 0, checkpointWrites: 0 };

// deno-lint-ignore no-explicit-any
const client: any = new OSS({
  region: "oss-cn-hangzhou",
  endpoint: args.endpoint,
  accessKeyId: args.ak,
  accessKeySecret: args.sk,
  bucket: args.bucket,
  secure: false,
  timeout: 300_000,
});

await runClient(async () => {
  const result = await client.multipartUpload(args.key, args.file, {
    partSize: args.partSize,
    parallel: args.routines,
    progress: (_fraction: number, checkpoint: unknown) => {
      if (checkpoint === undefined) return;
      counted.checkpointBytes += Buffer.byteLength(JSON.stringify(checkpoint));
      counted.checkpointWrites++;
    },
  });
  if (result.res.status !== 200) throw new Error(`multipartUpload answered ${result.res.status}`);
  return counted;
});
