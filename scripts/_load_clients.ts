/**
 * The clients of scripts/load.ts: `clients` concurrent ossup (`uploadFile`
 * of a Blob) or ali-oss (`multipartUpload` of a Buffer, on Node) clients in
 * this process, each uploading `uploads` objects one after another, every
 * object then checked by the CRC-64 the server reports and deleted. Prints one JSON line:
 * uploads, failures, wrong objects, part latencies (ms) and error samples.
 *
 *     OSSUP_ACCESS_KEY_SECRET=… <runtime> scripts/_load_clients.ts '<json>'
 *
 * @module
 */

import process from "node:process";
import { crc64 } from "../lib/crc64/crc64.ts";
import { OssClient } from "../mod.ts";
import { Random } from "./_campaign_procs.ts";

interface LoadJob {
  kind: "ossup" | "ali";
  endpoint: string;
  region: string;
  accessKeyId: string;
  bucket: string;
  clients: number;
  uploads: number;
  size: number;
  partSize: number;
  routines: number;
  seed: number;
}

/** What this process reports. */
export interface LoadReport {
  uploads: number;
  failures: number;
  wrong: number;
  partLatenciesMs: number[];
  errors: string[];
}

const job: LoadJob = JSON.parse(process.argv[process.argv.length - 1]);
// The secret comes in the environment, out of sight of `ps`.
const accessKeySecret = process.env.OSSUP_ACCESS_KEY_SECRET ?? "";
const report: LoadReport = { uploads: 0, failures: 0, wrong: 0, partLatenciesMs: [], errors: [] };

function failed(err: unknown): void {
  report.failures++;
  if (report.errors.length < 5) report.errors.push(String((err as Error)?.message ?? err));
}

/** Times the UploadPart requests of an ossup client: from fetch to the answer's headers. */
const timedFetch: typeof fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (!url.includes("partNumber=")) return await fetch(input, init);
  const start = performance.now();
  const res = await fetch(input, init);
  report.partLatenciesMs.push(performance.now() - start);
  return res;
};

async function ossupClient(index: number, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
  const client = new OssClient({
    endpoint: job.endpoint,
    region: job.region,
    accessKeyId: job.accessKeyId,
    accessKeySecret,
    fetch: timedFetch,
  });
  const bucket = client.bucket(job.bucket);
  const want = crc64(bytes);
  for (let u = 0; u < job.uploads; u++) {
    try {
      const result = await bucket.uploadFile(`load/ossup-${index}-${u}`, new Blob([bytes]), {
        partSize: job.partSize,
        routines: job.routines,
        checkpoint: false,
      });
      report.uploads++;
      if (!result.crc64Verified || result.crc64 !== want) report.wrong++;
      // Deleted once checked: the server's memory and disk then hold what is in flight only.
      await bucket.deleteObject(`load/ossup-${index}-${u}`);
    } catch (err) {
      failed(err);
    }
  }
}

async function aliClient(index: number, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
  const { default: OSS } = await import("ali-oss");
  const { Buffer } = await import("node:buffer");
  // deno-lint-ignore no-explicit-any
  const client: any = new OSS({
    region: `oss-${job.region}`,
    endpoint: job.endpoint,
    accessKeyId: job.accessKeyId,
    accessKeySecret,
    bucket: job.bucket,
    secure: false,
    timeout: 300_000,
  });
  // ali-oss sends every part through _uploadPart: time it there.
  const uploadPart = client._uploadPart.bind(client);
  client._uploadPart = async (...args: unknown[]) => {
    const start = performance.now();
    const result = await uploadPart(...args);
    report.partLatenciesMs.push(performance.now() - start);
    return result;
  };
  const want = crc64(bytes).toString();
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let u = 0; u < job.uploads; u++) {
    const name = `load/ali-${index}-${u}`;
    try {
      await client.multipartUpload(name, body, { partSize: job.partSize, parallel: job.routines });
      report.uploads++;
      const head = await client.head(name);
      if (head.res.headers["x-oss-hash-crc64ecma"] !== want) report.wrong++;
      await client.delete(name);
    } catch (err) {
      failed(err);
    }
  }
}

const rng = new Random(job.seed);
const run = job.kind === "ossup" ? ossupClient : aliClient;
await Promise.all(
  Array.from({ length: job.clients }, (_, i) => run(i, rng.bytes(job.size))),
);
// Exit once the line is written: a pipe takes 64 KiB at once, and exit would cut the rest.
process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(0));
