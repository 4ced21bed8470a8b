/**
 * Child process of the SIGKILL resume test of `copyFile`: runs one resumable multipart
 * copy against a server in the parent, printing a line per copied part, until it
 * finishes or is killed.
 *
 * Usage: `<runtime> tests/_copy_child.ts '<json>'` where the JSON holds endpoint, region,
 * accessKeyId, accessKeySecret, bucket, sourceBucket, sourceKey, key, checkpoint (a file
 * path), partSize, routines and copyObjectLimit.
 *
 * @module
 */

import process from "node:process";
import { childClient } from "./_child_client.ts";

const o = JSON.parse(process.argv[process.argv.length - 1]);
const client = childClient(o, { retry: { maxAttempts: 100, baseDelayMs: 5, maxDelayMs: 20 } });
const result = await client.bucket(o.bucket).copyFile(o.sourceBucket, o.sourceKey, o.key, {
  partSize: o.partSize,
  routines: o.routines,
  copyObjectLimit: o.copyObjectLimit,
  checkpoint: o.checkpoint,
  onProgress: (p) => console.log(`part ${p.partsDone}/${p.partsTotal}`),
});
console.log(`done ${result.etag}`);
