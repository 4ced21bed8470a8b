/**
 * The contract every `FileSource` passes, as `node:test` suites: a source of your own (a file on
 * another runtime's API, a database blob, a remote object) proves it reads ranges as the upload
 * engine needs by calling {@linkcode fileSourceContract} from its own test file. ossup's sources
 * (node:fs, Deno.FsFile, Bun.file, Blob) run it too.
 *
 * @module
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, truncate, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concatBytes } from "../_concat_bytes.ts";
import type { FileSource } from "../source/file_source.ts";
import { SourceChangedError } from "../errors/errors.ts";
import { readChunks } from "./_read_stream.ts";
import { testBytes } from "./_test_bytes.ts";

/**
 * A source under test over known bytes, and ways to change what is under it.
 *
 * @example A fixture over a Blob (nothing under it can change)
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource } from "@ossup/ossup";
 * import type { FileSourceFixture } from "@ossup/ossup/testing";
 *
 * const fixture: FileSourceFixture = { source: blobSource(new Blob(["abc"])) };
 * assert.equal(await new Response(fixture.source.stream(0, 3)).text(), "abc");
 * assert.equal(fixture.truncate, undefined); // the tests that change the bytes under it do not run
 * ```
 */
export interface FileSourceFixture {
  /** The source under test. */
  source: FileSource;
  /** Truncates the file under the source to `size` bytes (file-backed sources). */
  truncate?(size: number): Promise<void>;
  /** Rewrites the file in place with these bytes and a modification time 10 s later. */
  rewrite?(bytes: Uint8Array): Promise<void>;
  /** Deletes the file under the source. */
  remove?(): Promise<void>;
}

/**
 * How the contract reaches a source: give `openPath` for a source over a file (the contract
 * writes the files into a temp directory of its own, changes them with `node:fs` and removes the
 * directory after), or `open` for one over bytes held elsewhere.
 *
 * @example A source over a file path
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openNodeFile } from "@ossup/ossup/node";
 * import type { FileSourceSetup } from "@ossup/ossup/testing";
 *
 * const setup: FileSourceSetup = { openPath: (path) => openNodeFile(path), readInto: true };
 * // What the contract does with it, once per test, on files of its own:
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "a.bin"), "abc");
 * const source = await setup.openPath!(join(dir, "a.bin"));
 * assert.equal(await source.readInto?.(1, new Uint8Array(2)), 2);
 * await source.close();
 * await rm(dir, { recursive: true });
 * ```
 *
 * @example A source over bytes in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource } from "@ossup/ossup";
 * import type { FileSourceSetup } from "@ossup/ossup/testing";
 *
 * const setup: FileSourceSetup = {
 *   open: (bytes) => Promise.resolve({ source: blobSource(new Blob([bytes])) }),
 *   slices: true,
 * };
 * const { source } = await setup.open!(new TextEncoder().encode("abc"));
 * assert.equal(source.slice?.(1, 2).size, 2); // `slices: true`: the contract checks slice() too
 * ```
 */
export interface FileSourceSetup {
  /**
   * Opens the file at `path` (called once per test, on a new file): the source is file-backed,
   * and the tests of truncation, rewriting and deletion under it run.
   */
  openPath?(path: string): Promise<FileSource>;
  /** Makes a source over `bytes` (called once per test), when there is no `openPath`. */
  open?(bytes: Uint8Array<ArrayBuffer>): Promise<FileSourceFixture>;
  /**
   * Whether the fixtures `open` makes provide `truncate`, `rewrite` and `remove`, so the
   * change-detection tests run. Default: `true` with `openPath`, else `false`.
   */
  mutable?: boolean;
  /** Whether the source offers `slice()` bodies; they are then tested. Default `false`. */
  slices?: boolean;
  /** Whether the source offers `readInto()`; it is then tested like `stream()`. Default `false`. */
  readInto?: boolean;
  /** Largest chunk the source promises to yield; checked when given. */
  maxChunkSize?: number;
  /** Runs after all tests. */
  cleanup?(): Promise<void>;
}

/**
 * A fixture over a real file: writes `bytes` to `path`, opens it with `openPath`, and changes it
 * with `node:fs` (which every runtime has).
 */
async function fileFixture(
  path: string,
  bytes: Uint8Array<ArrayBuffer>,
  openPath: (path: string) => Promise<FileSource>,
): Promise<FileSourceFixture> {
  await writeFile(path, bytes);
  const source = await openPath(path);
  return {
    source,
    truncate: (size) => truncate(path, size),
    async rewrite(newBytes) {
      const before = await stat(path);
      await writeFile(path, newBytes);
      // Set the time explicitly: a coarse clock could leave it unchanged.
      const later = new Date(before.mtimeMs + 10_000);
      await utimes(path, later, later);
    },
    remove: () => unlink(path),
  };
}

/** The setup's way to make a fixture over given bytes, and what removes its files after. */
function fixtureMaker(setup: FileSourceSetup): {
  open(bytes: Uint8Array<ArrayBuffer>): Promise<FileSourceFixture>;
  removeFiles(): Promise<void>;
} {
  const { openPath, open } = setup;
  if (openPath === undefined) {
    if (open === undefined) throw new TypeError("fileSourceContract: give openPath or open");
    return { open, removeFiles: () => Promise.resolve() };
  }
  let dir: Promise<string> | undefined;
  let files = 0;
  return {
    async open(bytes) {
      dir ??= mkdtemp(join(tmpdir(), "ossup-source-contract-"));
      return fileFixture(join(await dir, `source-${files++}.bin`), bytes, openPath);
    },
    async removeFiles() {
      if (dir) await rm(await dir, { recursive: true, force: true });
    },
  };
}

function rng(seed: number) {
  let x = seed;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Reads `stream` whole, checking every chunk is a Uint8Array of at most `maxChunk` bytes. */
async function readAll(stream: ReadableStream<Uint8Array>, maxChunk?: number) {
  const chunks = await readChunks(stream);
  for (const chunk of chunks) {
    assert.ok(chunk instanceof Uint8Array, "chunks are Uint8Arrays");
    if (maxChunk !== undefined) assert.ok(chunk.length <= maxChunk, `chunk of ${chunk.length}`);
  }
  return { bytes: concatBytes(chunks), chunks };
}

function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/**
 * Registers the `FileSource` contract as `node:test` tests (run them with `node --test`,
 * `deno test` or `bun test`): size and time, exact random and part-sized ranges, empty and
 * out-of-range reads, concurrent and cancelled reads, `slice()` and `readInto()` where offered,
 * and, for file-backed sources, noticing a file truncated, rewritten or deleted under it.
 *
 * @param name The source's name, for the describe block.
 * @param setup How to open a source, and what it offers.
 *
 * @example Prove a source in a few lines, in a test file of your own
 * (it registers `node:test` tests, which a doc test cannot hold)
 * ```ts ignore
 * import { openNodeFile } from "@ossup/ossup/node";
 * import { fileSourceContract } from "@ossup/ossup/testing";
 *
 * fileSourceContract("node:fs", { openPath: (path) => openNodeFile(path), readInto: true });
 * ```
 */
export function fileSourceContract(name: string, setup: FileSourceSetup): void {
  const { maxChunkSize } = setup;
  const mutable = setup.mutable ?? setup.openPath !== undefined;
  const { open, removeFiles } = fixtureMaker(setup);
  const SIZE = 3 * 1024 * 1024 + 12345;
  const data = testBytes(SIZE, 7);

  async function withSource<T>(
    bytes: Uint8Array<ArrayBuffer>,
    fn: (f: FileSourceFixture) => Promise<T>,
  ) {
    const fixture = await open(bytes);
    try {
      return await fn(fixture);
    } finally {
      await fixture.source.close();
    }
  }

  describe(`FileSource contract: ${name}`, () => {
    after(async () => {
      await removeFiles();
      await setup.cleanup?.();
    });

    it("reports size, name and modification time, and stat agrees", async () => {
      await withSource(data, async ({ source }) => {
        assert.equal(source.size, SIZE);
        assert.equal(typeof source.name, "string");
        assert.ok(Number.isSafeInteger(source.lastModified) && source.lastModified >= 0);
        assert.deepEqual(await source.stat(), { size: SIZE, lastModified: source.lastModified });
      });
    });

    it("reads random ranges exactly", async () => {
      await withSource(data, async ({ source }) => {
        const next = rng(12345);
        for (let i = 0; i < 60; i++) {
          const offset = next(SIZE);
          const length = next(i % 3 === 0 ? 64 : Math.min(SIZE - offset, 1_500_000) + 1);
          const got = await readAll(source.stream(offset, length), maxChunkSize);
          sameBytes(got.bytes, data.subarray(offset, offset + length), `${offset}+${length}`);
        }
      });
    });

    it("reads a file part by part, last part partial, into the whole", async () => {
      await withSource(data, async ({ source }) => {
        const partSize = 1024 * 1024;
        const out = new Uint8Array(SIZE);
        for (let offset = 0; offset < SIZE; offset += partSize) {
          const length = Math.min(partSize, SIZE - offset);
          const got = await readAll(source.stream(offset, length), maxChunkSize);
          assert.equal(got.bytes.length, length);
          out.set(got.bytes, offset);
        }
        sameBytes(out, data, "whole");
        // The whole file as one range too.
        sameBytes((await readAll(source.stream(0, SIZE))).bytes, data, "one range");
      });
    });

    it("reads zero-length ranges at the start, middle and end", async () => {
      await withSource(data, async ({ source }) => {
        for (const offset of [0, 1000, SIZE]) {
          assert.equal((await readAll(source.stream(offset, 0))).bytes.length, 0);
        }
      });
    });

    it("rejects ranges past the end or negative with RangeError", async () => {
      await withSource(data, ({ source }) => {
        assert.throws(() => source.stream(SIZE - 10, 11), RangeError);
        assert.throws(() => source.stream(SIZE + 1, 0), RangeError);
        assert.throws(() => source.stream(-1, 5), RangeError);
        assert.throws(() => source.stream(0, -1), RangeError);
        assert.throws(() => source.stream(0.5, 1), RangeError);
        if (source.slice) assert.throws(() => source.slice!(SIZE - 1, 2), RangeError);
        return Promise.resolve();
      });
    });

    it("serves concurrent reads of different ranges", async () => {
      await withSource(data, async ({ source }) => {
        const next = rng(999);
        const ranges = Array.from({ length: 24 }, () => {
          const offset = next(SIZE);
          return [offset, next(Math.min(SIZE - offset, 700_000) + 1)] as const;
        });
        const results = await Promise.all(
          ranges.map(([o, l]) => readAll(source.stream(o, l), maxChunkSize)),
        );
        results.forEach((r, i) => {
          const [o, l] = ranges[i];
          sameBytes(r.bytes, data.subarray(o, o + l), `concurrent ${o}+${l}`);
        });
      });
    });

    it("re-reads a range afresh, and a cancelled read does not disturb others", async () => {
      await withSource(data, async ({ source }) => {
        const first = await readAll(source.stream(5000, 600_000));
        const reader = source.stream(0, SIZE).getReader();
        await reader.read();
        await reader.cancel();
        const second = await readAll(source.stream(5000, 600_000));
        sameBytes(second.bytes, first.bytes, "re-read");
        // Chunks are not reused buffers: the first read's bytes are still intact.
        sameBytes(first.bytes, data.subarray(5000, 605_000), "first read kept");
      });
    });

    it(`${setup.slices ? "offers" : "does not offer"} slice() bodies`, async () => {
      await withSource(data, async ({ source }) => {
        assert.equal(typeof source.slice === "function", setup.slices === true);
        if (!source.slice) return;
        const blob = source.slice(1234, 100_000);
        assert.equal(blob.size, 100_000);
        sameBytes(new Uint8Array(await blob.arrayBuffer()), data.subarray(1234, 101_234), "slice");
      });
    });

    it(`${setup.readInto ? "offers" : "does not offer"} readInto()`, async () => {
      await withSource(data.subarray(0, 10), ({ source }) => {
        assert.equal(typeof source.readInto === "function", setup.readInto === true);
        return Promise.resolve();
      });
    });

    if (setup.readInto) {
      it("readInto: fills random ranges exactly, into views at any byte offset", async () => {
        await withSource(data, async ({ source }) => {
          const next = rng(4242);
          const backing = new Uint8Array(1_600_000);
          for (let i = 0; i < 60; i++) {
            const offset = next(SIZE);
            const length = next(i % 3 === 0 ? 64 : Math.min(SIZE - offset, 1_500_000) + 1);
            const at = next(backing.length - length + 1);
            backing.fill(0xee);
            const target = backing.subarray(at, at + length);
            assert.equal(await source.readInto!(offset, target), length, `${offset}+${length}`);
            sameBytes(target, data.subarray(offset, offset + length), `${offset}+${length}`);
            // Nothing outside the target is written.
            if (at > 0) assert.equal(backing[at - 1], 0xee, "byte before the target");
            if (at + length < backing.length) {
              assert.equal(backing[at + length], 0xee, "byte after the target");
            }
          }
        });
      });

      it("readInto: reads part by part into one reused buffer, last part partial", async () => {
        await withSource(data, async ({ source }) => {
          const partSize = 1024 * 1024;
          const buffer = new Uint8Array(partSize);
          for (let offset = 0; offset < SIZE; offset += partSize) {
            const length = Math.min(partSize, SIZE - offset);
            const target = buffer.subarray(0, length);
            assert.equal(await source.readInto!(offset, target), length);
            sameBytes(target, data.subarray(offset, offset + length), `part at ${offset}`);
          }
          const whole = new Uint8Array(SIZE);
          assert.equal(await source.readInto!(0, whole), SIZE);
          sameBytes(whole, data, "whole");
        });
      });

      it("readInto: zero-length targets read 0; ranges past the end reject RangeError", async () => {
        await withSource(data, async ({ source }) => {
          for (const offset of [0, 1000, SIZE]) {
            assert.equal(await source.readInto!(offset, new Uint8Array(0)), 0);
          }
          await assert.rejects(source.readInto!(SIZE - 10, new Uint8Array(11)), RangeError);
          await assert.rejects(source.readInto!(SIZE + 1, new Uint8Array(0)), RangeError);
          await assert.rejects(source.readInto!(-1, new Uint8Array(5)), RangeError);
          await assert.rejects(source.readInto!(0.5, new Uint8Array(1)), RangeError);
        });
      });

      it("readInto: serves concurrent reads, beside concurrent streams", async () => {
        await withSource(data, async ({ source }) => {
          const next = rng(777);
          const ranges = Array.from({ length: 24 }, () => {
            const offset = next(SIZE);
            return [offset, next(Math.min(SIZE - offset, 700_000) + 1)] as const;
          });
          const results = await Promise.all(ranges.map(async ([o, l], i) => {
            if (i % 4 === 3) return (await readAll(source.stream(o, l))).bytes;
            const target = new Uint8Array(l);
            assert.equal(await source.readInto!(o, target), l);
            return target;
          }));
          results.forEach((bytes, i) => {
            const [o, l] = ranges[i];
            sameBytes(bytes, data.subarray(o, o + l), `concurrent ${o}+${l}`);
          });
        });
      });
    }

    it("handles an empty source", async () => {
      await withSource(new Uint8Array(), async ({ source }) => {
        assert.equal(source.size, 0);
        assert.equal((await readAll(source.stream(0, 0))).bytes.length, 0);
        assert.throws(() => source.stream(0, 1), RangeError);
      });
    });

    it("closes twice without error", async () => {
      const { source } = await open(data.subarray(0, 10));
      await source.close();
      await source.close();
    });

    if (!mutable) return;

    it("notices a truncation: stat differs, a read past the new end fails", async () => {
      const fixture = await open(data);
      try {
        await fixture.truncate!(1_000_000);
        const now = await fixture.source.stat();
        assert.equal(now.size, 1_000_000);
        assert.notDeepEqual(now, { size: SIZE, lastModified: fixture.source.lastModified });
        // A range wholly within what is left still reads.
        sameBytes(
          (await readAll(fixture.source.stream(0, 1000))).bytes,
          data.subarray(0, 1000),
          "kept",
        );
        for (const [o, l] of [[900_000, 200_000], [2_000_000, 5000]]) {
          await assert.rejects(readAll(fixture.source.stream(o, l)), (err: unknown) => {
            assert.ok(err instanceof SourceChangedError, `got ${err}`);
            assert.equal(err.code, "SourceChanged");
            return true;
          });
        }
      } finally {
        await fixture.source.close();
      }
    });

    if (setup.readInto) {
      it("readInto: a file cut short reads short, up to its new end", async () => {
        const fixture = await open(data);
        try {
          // Read once before, so a handle opened on first use is open.
          assert.equal(await fixture.source.readInto!(0, new Uint8Array(10)), 10);
          await fixture.truncate!(1_000_000);
          const target = new Uint8Array(200_000).fill(0xee);
          assert.equal(await fixture.source.readInto!(900_000, target), 100_000);
          sameBytes(target.subarray(0, 100_000), data.subarray(900_000, 1_000_000), "kept");
          assert.equal(await fixture.source.readInto!(2_000_000, new Uint8Array(5000)), 0);
          const within = new Uint8Array(1000);
          assert.equal(await fixture.source.readInto!(0, within), 1000);
          sameBytes(within, data.subarray(0, 1000), "within");
        } finally {
          await fixture.source.close();
        }
      });

      it("readInto: reads afresh, so a file rewritten in place gives its new bytes", async () => {
        const fixture = await open(data);
        try {
          const before = new Uint8Array(50_000);
          assert.equal(await fixture.source.readInto!(7000, before), 50_000);
          sameBytes(before, data.subarray(7000, 57_000), "before");
          const changed = testBytes(SIZE, 99);
          await fixture.rewrite!(changed);
          const after = new Uint8Array(50_000);
          assert.equal(await fixture.source.readInto!(7000, after), 50_000);
          sameBytes(after, changed.subarray(7000, 57_000), "after");
        } finally {
          await fixture.source.close();
        }
      });
    }

    it("notices a rewrite in place: stat shows the new modification time", async () => {
      const fixture = await open(data);
      try {
        await fixture.rewrite!(testBytes(SIZE, 99));
        const now = await fixture.source.stat();
        assert.equal(now.size, SIZE);
        assert.notEqual(now.lastModified, fixture.source.lastModified);
      } finally {
        await fixture.source.close();
      }
    });

    it("notices a deletion: stat fails with SourceChangedError", async () => {
      const fixture = await open(data.subarray(0, 100));
      try {
        await fixture.remove!();
        await assert.rejects(fixture.source.stat(), SourceChangedError);
      } finally {
        await fixture.source.close();
      }
    });
  });
}
