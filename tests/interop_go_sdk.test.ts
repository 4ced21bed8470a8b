/**
 * Interop with Alibaba Cloud's official OSS SDK for Go (Debian's
 * golang-github-aliyun-aliyun-oss-go-sdk-dev, SDK 1.4, signature V1) over a
 * real socket: the documentation's exact pattern
 * `bucket.UploadFile(key, file, 100*1024, oss.Routines(3), oss.Checkpoint(true, ""))`,
 * an interrupted run (SIGKILL) that resumes from its `.cp` file, and keys the SDK
 * escapes with Go's `url.QueryEscape`. Every object downloads byte-identical and
 * the server's CRC64 equals Go's own `hash/crc64` ECMA checksum of the file.
 *
 * The Go program is tests/go/upload_file/main.go; tests/_go.ts builds it once.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { crc64 } from "../lib/crc64/crc64.ts";
import { buildGoProgram } from "./_go.ts";
import { goSdkMissing } from "./_peers.ts";
import { startServer, type TestServer } from "./_server.ts";

const skip = goSdkMissing();
const PART = 100 * 1024; // the part size of the documented pattern

/** A time zone where SDK 1.4's checkpoint check works (see the TZ=UTC test). */
const RESUMING_TZ = "Asia/Shanghai";

interface GoRun {
  stdout: string;
  stderr: string;
}

describe("Alibaba Cloud OSS SDK for Go 1.4 (Debian) against the local server", () => {
  let server: TestServer;
  let goBin: string;
  let dir: string;
  const bucket = "go-interop";

  /** Runs the Go program in `mode` against the server; resolves with its JSON result. */
  function go(mode: string, args: string[], tz = RESUMING_TZ): Promise<Record<string, unknown>> {
    const all = [
      mode,
      "-endpoint",
      server.endpoint, // an IP endpoint: SDK 1.4 goes path-style
      "-ak",
      server.accessKeyId,
      "-sk",
      server.accessKeySecret,
      "-bucket",
      bucket,
      ...args,
    ];
    return new Promise((resolve, reject) => {
      execFile(
        goBin,
        all,
        { env: { ...process.env, TZ: tz }, timeout: 120_000 },
        (err, stdout, stderr) => {
          if (err) {
            reject(new Error(`upload_file ${mode} failed: ${err.message}\n${stderr}`));
            return;
          }
          resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
        },
      );
    });
  }

  /** Starts an upload that stops after `parts` parts are in its .cp file, then SIGKILLs it. */
  function uploadAndKill(
    key: string,
    file: string,
    parts: number,
    tz = RESUMING_TZ,
  ): Promise<GoRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(goBin, [
        "upload",
        "-endpoint",
        server.endpoint,
        "-ak",
        server.accessKeyId,
        "-sk",
        server.accessKeySecret,
        "-bucket",
        bucket,
        "-key",
        key,
        "-file",
        file,
        "-pause-after",
        String(parts),
      ], { env: { ...process.env, TZ: tz }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let killed = false;
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.stdout!.setEncoding("utf8").on("data", (s: string) => {
        stdout += s;
        if (!killed && stdout.includes("PAUSED")) {
          killed = true;
          child.kill("SIGKILL");
        }
      });
      child.stderr!.setEncoding("utf8").on("data", (s: string) => stderr += s);
      child.on("error", reject);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (killed && signal === "SIGKILL") resolve({ stdout, stderr });
        else {reject(
            new Error(`upload_file was not interrupted (code ${code}, ${signal})\n${stderr}`),
          );}
      });
    });
  }

  function writeRandomFile(name: string, size: number): { path: string; data: Uint8Array } {
    const data = new Uint8Array(randomBytes(size));
    const path = join(dir, name);
    writeFileSync(path, data);
    return { path, data };
  }

  /** Downloads with the Go SDK and checks bytes and CRC64 against the original. */
  async function assertStoredIntact(key: string, original: { path: string; data: Uint8Array }) {
    const goCrc = (await go("crc64", ["-file", original.path])).crc64 as string;
    assert.equal(goCrc, crc64(original.data).toString(), "Go's hash/crc64 agrees with lib/crc64");

    const head = await go("head", ["-key", key]);
    assert.equal(head.crc64, goCrc, "server's x-oss-hash-crc64ecma equals Go's CRC64 of the file");
    assert.equal(head.size, String(original.data.length));

    const out = join(dir, `download-${Math.random().toString(36).slice(2)}`);
    const downloaded = await go("download", ["-key", key, "-out", out]);
    assert.deepEqual(new Uint8Array(readFileSync(out)), original.data, "downloads byte-identical");
    assert.equal(downloaded.crc64, goCrc);
  }

  function cpOf(file: string): { UploadID: string; Parts: { IsCompleted: boolean }[] } {
    return JSON.parse(readFileSync(`${file}.cp`, "utf8"));
  }

  before(async () => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), "ossup-go-interop-"));
    goBin = await buildGoProgram("upload_file");
    server = await startServer();
    await go("mb", []);
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('UploadFile(key, file, 100*1024, Routines(3), Checkpoint(true, "")) stores the file intact', {
    skip,
  }, async () => {
    const file = writeRandomFile("eleven-parts.bin", 10 * PART + 777); // 11 parts, the last short
    const result = await go("upload", ["-key", "uploads/eleven-parts.bin", "-file", file.path]);
    assert.deepEqual(result, { startedBytes: 0, partsUploaded: 11 });
    assert.equal(existsSync(`${file.path}.cp`), false, "the SDK removes its .cp file on success");

    const head = await go("head", ["-key", "uploads/eleven-parts.bin"]);
    assert.equal(head.objectType, "Multipart");
    assert.match(head.etag as string, /^"[0-9A-F]{32}-11"$/);
    await assertStoredIntact("uploads/eleven-parts.bin", file);
  });

  it(`a run killed mid-upload resumes from its .cp file (TZ=${RESUMING_TZ})`, {
    skip,
  }, async () => {
    const key = "uploads/resumed.bin";
    const file = writeRandomFile("resumed.bin", 12 * PART + 4321); // 13 parts
    await uploadAndKill(key, file.path, 4);

    const cp = cpOf(file.path);
    const done = cp.Parts.filter((p) => p.IsCompleted).length;
    assert.equal(cp.Parts.length, 13);
    assert.ok(done >= 4 && done < 13, `the .cp file records ${done} finished parts`);

    // The server holds the unfinished upload with (at least) those parts.
    const listed = await go("list-parts", ["-key", key, "-upload-id", cp.UploadID]);
    assert.ok((listed.parts as number[]).length >= done, "ListParts shows the finished parts");
    const pending = await go("list-uploads", []);
    assert.deepEqual(pending.uploads, [{ key, uploadId: cp.UploadID }]);

    server.control.clear(); // zero the server's request counts
    const resumed = await go("upload", ["-key", key, "-file", file.path]);
    assert.equal(resumed.startedBytes, done * PART, "the rerun starts from the .cp file's bytes");
    assert.equal(resumed.partsUploaded, 13 - done, "the rerun uploads only the missing parts");
    // Successful parts only: a part cut off by the SIGKILL may be counted late as a failure.
    const stats = server.control.stats();
    const partsStored = Object.values(stats.parts).reduce((a, b) => a + b, 0);
    assert.equal(partsStored, 13 - done, "the server received only the missing parts");
    assert.equal(stats.requests.InitiateMultipartUpload, undefined, "no new upload was started");
    assert.equal(existsSync(`${file.path}.cp`), false);

    // Completed on the original upload ID: nothing left unfinished, no second upload started.
    assert.deepEqual((await go("list-uploads", [])).uploads, []);
    await assertStoredIntact(key, file);
  });

  it("under TZ=UTC SDK 1.4 never resumes: its checkpoint check compares time.Time with !=", {
    skip,
  }, async () => {
    // Pins the defect the README's comparison mentions: a JSON round trip turns the
    // file's mtime Location from Local into UTC, so the .cp file never matches.
    const key = "uploads/utc.bin";
    const file = writeRandomFile("utc.bin", 5 * PART + 1); // 6 parts
    await uploadAndKill(key, file.path, 2, "UTC");
    const first = cpOf(file.path);

    const rerun = await go("upload", ["-key", key, "-file", file.path], "UTC");
    assert.deepEqual(rerun, { startedBytes: 0, partsUploaded: 6 }, "starts over from part 1");
    // The first upload is left behind unfinished, as the SDK does not abort it.
    const pending = (await go("list-uploads", [])).uploads as { key: string; uploadId: string }[];
    assert.ok(pending.some((u) => u.uploadId === first.UploadID));
    await assertStoredIntact(key, file);
  });

  it("keys escaped with url.QueryEscape ('/', '+', spaces, UTF-8) arrive intact", {
    skip,
  }, async () => {
    const keys = ["dir/a+b c.bin", "目录/ü a+b%20c=&?.bin"];
    for (const [i, key] of keys.entries()) {
      const file = writeRandomFile(`escaped-${i}.bin`, 2 * PART + 99); // 3 parts
      await go("upload", ["-key", key, "-file", file.path]);
      await assertStoredIntact(key, file);
    }
    const listed = await go("list", ["-prefix", "dir/"]);
    assert.deepEqual(listed.keys, ["dir/a+b c.bin"]);
    const all = (await go("list", [])).keys as string[];
    for (const key of keys) assert.ok(all.includes(key), `ListObjects returns ${key}`);
  });
});
