/**
 * An edge worker for `workerd.test.ts`, bundled from the web entry: on
 * `GET /upload?key=K&parts=N&seed=S` it uploads a Blob of N parts of 100 KiB
 * (bytes from `seed`, as `testBytes` in `_client_setup.ts` makes them) with
 * 2 routines and a memory checkpoint store, and answers with the result as JSON.
 *
 * @module
 */

import { MemoryCheckpointStore, OssClient } from "../lib/web.ts";
import { crc64Implementation } from "../lib/crc64/_engine.ts";
import { testBytes as seededBytes } from "./_test_bytes.ts";

/** The worker's bindings (text bindings in the workerd config). */
interface Env {
  OSS_ENDPOINT: string;
  OSS_REGION: string;
  OSS_ACCESS_KEY_ID: string;
  OSS_ACCESS_KEY_SECRET: string;
  OSS_BUCKET: string;
}

const PART = 100 * 1024;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "edge.bin";
    const parts = Number(url.searchParams.get("parts") ?? 5);
    const seed = Number(url.searchParams.get("seed") ?? 1);
    try {
      const client = new OssClient({
        endpoint: env.OSS_ENDPOINT,
        region: env.OSS_REGION,
        accessKeyId: env.OSS_ACCESS_KEY_ID,
        accessKeySecret: env.OSS_ACCESS_KEY_SECRET,
      });
      const data = seededBytes(parts * PART, seed);
      const result = await client.bucket(env.OSS_BUCKET).uploadFile(key, new Blob([data]), {
        partSize: PART,
        routines: 2,
        checkpoint: new MemoryCheckpointStore(),
        checkpointId: `edge/${key}`,
      });
      return Response.json({
        ok: true,
        parts: result.parts,
        size: result.size,
        crc64: result.crc64.toString(),
        crc64Verified: result.crc64Verified,
        crc64Implementation: crc64Implementation(),
        hasWebAssembly: typeof WebAssembly === "object",
      });
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      return Response.json({ ok: false, error: `${e.name} ${e.code ?? ""}: ${e.message}` }, {
        status: 500,
      });
    }
  },
};
