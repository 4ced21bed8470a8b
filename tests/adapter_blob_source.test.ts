import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blobSource } from "../lib/source/blob_source.ts";
import { SourceChangedError } from "../lib/errors/errors.ts";
import { fileSourceContract } from "../lib/testing/mod.ts";

fileSourceContract("Blob", {
  open: (bytes) => Promise.resolve({ source: blobSource(new Blob([bytes])) }),
  slices: true,
});

fileSourceContract("File", {
  open: (bytes) =>
    Promise.resolve({
      source: blobSource(new File([bytes], "data.bin", { lastModified: 1700000000000 })),
    }),
  slices: true,
});

describe("blobSource", () => {
  it("takes name and modification time from a File, defaults for a Blob", () => {
    const file = blobSource(new File(["abc"], "a.txt", { lastModified: 1700000000123 }));
    assert.equal(file.name, "a.txt");
    assert.equal(file.lastModified, 1700000000123);
    const blob = blobSource(new Blob(["abc"]));
    assert.equal(blob.name, "blob");
    assert.equal(blob.lastModified, 0);
    assert.equal(blobSource(new Blob(["abc"]), { name: "mine" }).name, "mine");
  });

  it("turns a blob that reads short, or unreadable, into SourceChangedError", async () => {
    // A Blob whose bytes went away (a browser File changed on disk) reads short or fails.
    const short = { size: 10, slice: () => new Blob(["abc"]) } as unknown as Blob;
    await assert.rejects(
      new Response(blobSource(short).stream(0, 10)).arrayBuffer(),
      SourceChangedError,
    );
    const failing = {
      size: 10,
      slice: () => ({
        stream: () =>
          new ReadableStream({
            pull(c) {
              c.error(new DOMException("file changed", "NotReadableError"));
            },
          }),
      }),
    } as unknown as Blob;
    await assert.rejects(
      new Response(blobSource(failing).stream(0, 10)).arrayBuffer(),
      SourceChangedError,
    );
  });

  // Deno's openAsBlob reads the file into memory, so only Node and Bun have a
  // Blob that reads from disk at slice time.
  const diskBlobs = typeof fs.openAsBlob === "function" && !("Deno" in globalThis);
  if (diskBlobs) {
    it("a file-backed Blob (fs.openAsBlob) truncated on disk fails with SourceChangedError", async () => {
      const dir = await mkdtemp(join(tmpdir(), "ossup-blob-"));
      try {
        const path = join(dir, "f.bin");
        await writeFile(path, new Uint8Array(200_000).fill(7));
        const source = blobSource(await fs.openAsBlob(path));
        await truncate(path, 1000);
        await assert.rejects(
          new Response(source.stream(500, 100_000)).arrayBuffer(),
          SourceChangedError,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
