/**
 * Child process of the SIGKILL resume tests of downloads: runs one resumable `downloadFile`
 * against a server in the parent, printing a line per finished part (`part <done>/<total> bytes
 * <bytes done>`), until it finishes or is killed.
 *
 * Usage: `<runtime> tests/_download_child.ts '<json>'` where the JSON holds endpoint, region,
 * accessKeyId, accessKeySecret, bucket, key, path, partSize and routines, and optionally
 * maxRoutines and `stillAuto: true` (with `routines: "auto"`: the controller's clock stands
 * still, so it never changes the routines it starts with).
 *
 * @module
 */

import process from "node:process";
import { childClient } from "./_child_client.ts";

const o = JSON.parse(process.argv[process.argv.length - 1]);
const client = childClient(o, { retry: { maxAttempts: 100, baseDelayMs: 5, maxDelayMs: 20 } });
const result = await client.bucket(o.bucket).downloadFile(o.key, o.path, {
  partSize: o.partSize,
  routines: o.routines,
  ...(o.maxRoutines === undefined ? {} : { maxRoutines: o.maxRoutines }),
  ...(o.stillAuto ? { adaptive: { clock: () => 0 } } : {}),
  checkpoint: true,
  onProgress: (p) => console.log(`part ${p.partsDone}/${p.partsTotal} bytes ${p.bytesDone}`),
});
console.log(`done ${result.crc64}`);
