// `ossup presign --method PUT` and the curl commands the README shows: a URL presigned without
// a Content-Type works with `curl -T` (which sends none) and fails with `curl -X PUT
// --data-binary` (which sends application/x-www-form-urlencoded, not what was signed); with
// `--content-type TYPE`, `curl -X PUT -H "Content-Type: TYPE" --data-binary` works. Run with
// curl when the machine has it, else with fetch sending the headers curl sends.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanEnv, runOssup, serverFlags } from "./_cli_run.ts";
import { objectBytes, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

/** The HTTP status of `curl args`, or `undefined` when there is no curl. */
function curlStatus(args: string[]): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...args], (err, stdout) => {
      if ((err as { code?: unknown } | null)?.code === "ENOENT") return resolve(undefined);
      if (err) return reject(err);
      resolve(Number(stdout));
    });
  });
}

/** PUTs `file` to `url` as curl does: `-T` sends no Content-Type, `--data-binary` a form type. */
async function put(
  url: string,
  file: string,
  how: { upload: "-T" } | { upload: "--data-binary"; contentType?: string },
): Promise<number> {
  const args = how.upload === "-T" ? ["-T", file, url] : [
    "-X",
    "PUT",
    ...(how.contentType ? ["-H", `Content-Type: ${how.contentType}`] : []),
    "--data-binary",
    `@${file}`,
    url,
  ];
  const status = await curlStatus(args);
  if (status !== undefined) return status;
  const headers: Record<string, string> = {};
  if (how.upload === "--data-binary") {
    headers["content-type"] = how.contentType ?? "application/x-www-form-urlencoded";
  }
  const res = await fetch(url, { method: "PUT", headers, body: await readFile(file) });
  await res.body?.cancel();
  return res.status;
}

describe("ossup presign --method PUT with curl", () => {
  let env: UploadEnv;
  let file: string;
  const presign = async (key: string, extra: string[] = []) => {
    const r = await runOssup(
      ["presign", `oss://curl/${key}`, "--method", "PUT", ...extra, ...serverFlags(env.server)],
      { cwd: env.dir, env: cleanEnv() },
    );
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  before(async () => {
    env = await uploadEnv("curl");
    file = join(env.dir, "note.txt");
    await writeFile(file, "uploaded by curl\n");
  });
  after(() => env.close());

  it("without --content-type: curl -T works, curl -X PUT --data-binary is refused", async () => {
    assert.equal(await put(await presign("t.txt"), file, { upload: "-T" }), 200);
    assert.equal(
      new TextDecoder().decode(await objectBytes(env.bucket, "t.txt")),
      "uploaded by curl\n",
    );
    assert.equal(await put(await presign("d.txt"), file, { upload: "--data-binary" }), 403);
  });

  it("with --content-type: curl -X PUT -H 'Content-Type: …' --data-binary works", async () => {
    const url = await presign("typed.txt", ["--content-type", "text/plain"]);
    assert.equal(
      await put(url, file, { upload: "--data-binary", contentType: "text/plain" }),
      200,
    );
    assert.equal((await env.bucket.headObject("typed.txt")).contentType, "text/plain");
  });
});
