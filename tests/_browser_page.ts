/**
 * The page script of `browser.node.test.ts`, bundled from the web entry. It
 * defines `globalThis.ossupUpload()`, which asks the page's server for an
 * upload ticket, then uploads a File of 12 parts of 100 KiB (the same bytes
 * on every load, from a seed) with 3 routines and `checkpoint: true`
 * (IndexedDB), signing every request through the server's signing route. The
 * page never sees the access key secret.
 *
 * @module
 */

import { OssClient, remoteSigner } from "../lib/web.ts";
import { testBytes as seededBytes } from "./_test_bytes.ts";

const PART = 100 * 1024;
const PARTS = 12;
const SEED = 7;

/** What `/session` answers. */
interface Session {
  ticket: string;
  endpoint: string;
  bucket: string;
  key: string;
}

async function ossupUpload(): Promise<Record<string, unknown>> {
  const session = await (await fetch("/session", { method: "POST" })).json() as Session;
  const client = new OssClient({
    endpoint: session.endpoint,
    signer: remoteSigner("/api/oss/sign", { ticket: session.ticket }),
  });
  // A fixed name, size and lastModified: the same File identity after a reload.
  const file = new File([seededBytes(PARTS * PART, SEED)], "video.bin", {
    type: "application/octet-stream",
    lastModified: 1_700_000_000_000,
  });
  const result = await client.bucket(session.bucket).uploadFile(session.key, file, {
    partSize: PART,
    routines: 3,
    checkpoint: true,
    waitForCheckpoint: true,
  });
  return {
    resumed: result.resumed,
    parts: result.parts,
    partsUploaded: result.partsUploaded,
    size: result.size,
    crc64: result.crc64.toString(),
    crc64Verified: result.crc64Verified,
  };
}

(globalThis as { ossupUpload?: typeof ossupUpload }).ossupUpload = ossupUpload;
