/**
 * One resumable upload for scripts/soak.ts and scripts/load.ts, run as its
 * own process on Deno, Bun or Node so the soak can SIGKILL it mid-upload:
 *
 *     <runtime> scripts/_soak_client.ts '<json>'
 *
 * The JSON holds endpoint, region, accessKeyId, bucket,
 * key, path, partSize, routines, source (`"path"`: the file's path; `"blob"`:
 * its bytes as a Blob; `"file-source"`: the runtime's FileSource) and
 * checkpoint (the checkpoint file's path); the secret comes in
 * `OSSUP_ACCESS_KEY_SECRET`, out of sight of `ps`. It prints `part <done>/<total>`
 * after every finished part, then `done <result JSON>`; on failure the
 * error's message on stderr and exit status 1.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import process from "node:process";
import { openNodeFile, OssClient } from "../mod.ts";

const o = JSON.parse(process.argv[process.argv.length - 1]);
const client = new OssClient({
  endpoint: o.endpoint,
  region: o.region,
  accessKeyId: o.accessKeyId,
  accessKeySecret: process.env.OSSUP_ACCESS_KEY_SECRET ?? "",
  // Rides out a server restart (a second or two) without giving up.
  retry: { maxAttempts: 30, baseDelayMs: 50, maxDelayMs: 1000 },
});

async function source(): Promise<string | Blob | Awaited<ReturnType<typeof openNodeFile>>> {
  if (o.source === "blob") return new Blob([await readFile(o.path)]);
  if (o.source === "file-source") return await openNodeFile(o.path);
  return o.path;
}

try {
  const result = await client.bucket(o.bucket).uploadFile(o.key, await source(), {
    partSize: o.partSize,
    routines: o.routines,
    checkpoint: o.checkpoint,
    onProgress: (p) => console.log(`part ${p.partsDone}/${p.partsTotal}`),
  });
  console.log(
    `done ${JSON.stringify(result, (_, v) => typeof v === "bigint" ? v.toString() : v)}`,
  );
  process.exit(0);
} catch (err) {
  console.error(`upload failed: ${(err as Error)?.message ?? err}`);
  process.exit(1);
}
