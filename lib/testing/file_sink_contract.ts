/**
 * The contract every `FileSink` passes, as `node:test` suites: a sink of your own (a browser's
 * file handle, a database blob, a buffer) proves it takes a download's ranges as the engine needs
 * by calling {@linkcode fileSinkContract} from its own test file. ossup's file sink (Deno, Bun,
 * Node) runs it too.
 *
 * @module
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileSink } from "../sink/file_sink.ts";
import { sameBytes } from "./_same_bytes.ts";
import { testBytes } from "./_test_bytes.ts";

/**
 * One target under test: sinks on it (each call a new one, as a new run of a download makes)
 * and what is at the target now.
 *
 * @example A fixture over a Map
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, readFile, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openNodeFileSink } from "@ossup/ossup/node";
 * import type { FileSinkFixture } from "@ossup/ossup/testing";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const fixture: FileSinkFixture = {
 *   sink: () => openNodeFileSink(join(dir, "t1")),
 *   target: () => readFile(join(dir, "t1")).then((bytes) => new Uint8Array(bytes), () => undefined),
 * };
 * const sink = fixture.sink();
 * await sink.open(false);
 * await sink.write(0, new TextEncoder().encode("abc"));
 * await sink.commit(3);
 * assert.deepEqual(await fixture.target(), new TextEncoder().encode("abc"));
 * await rm(dir, { recursive: true });
 * ```
 */
export interface FileSinkFixture {
  /** A new sink on the fixture's target (it shares partial data with the earlier ones). */
  sink(): FileSink;
  /** The bytes at the target now, or `undefined` when there is nothing there. */
  target(): Promise<Uint8Array | undefined>;
}

/**
 * How the contract reaches a sink: `openPath` for a sink over a file path (the contract picks
 * paths in a temp directory of its own and reads them with `node:fs`), or `open` for any other.
 *
 * @example ossup's file sink
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, readFile, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openNodeFileSink } from "@ossup/ossup/node";
 * import type { FileSinkSetup } from "@ossup/ossup/testing";
 *
 * const setup: FileSinkSetup = { openPath: (path) => openNodeFileSink(path) };
 * // What the contract does with it, once per test, on paths of its own:
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const sink = setup.openPath!(join(dir, "a.bin"));
 * await sink.open(false);
 * await sink.write(0, new TextEncoder().encode("abc"));
 * await sink.commit(3);
 * assert.equal(await readFile(join(dir, "a.bin"), "utf8"), "abc");
 * await rm(dir, { recursive: true });
 * ```
 */
export interface FileSinkSetup {
  /** Makes a sink writing to `path` (called once per run of a test, the same path per test). */
  openPath?(path: string): FileSink;
  /** A new target, when there is no `openPath` (called once per test). */
  open?(): Promise<FileSinkFixture>;
  /** Runs after all tests. */
  cleanup?(): Promise<void>;
}

function fixtureMaker(setup: FileSinkSetup): {
  open(): Promise<FileSinkFixture & { path?: string }>;
  removeFiles(): Promise<void>;
} {
  const { openPath, open } = setup;
  if (openPath === undefined) {
    if (open === undefined) throw new TypeError("fileSinkContract: give openPath or open");
    return { open, removeFiles: () => Promise.resolve() };
  }
  let dir: Promise<string> | undefined;
  let files = 0;
  return {
    async open() {
      dir ??= mkdtemp(join(tmpdir(), "ossup-sink-contract-"));
      const path = join(await dir, `target-${files++}.bin`);
      return {
        path,
        sink: () => openPath(path),
        target: () =>
          readFile(path).then((b) => new Uint8Array(b), (err) => {
            if ((err as { code?: string }).code === "ENOENT") return undefined;
            throw err;
          }),
      };
    },
    async removeFiles() {
      if (dir) await rm(await dir, { recursive: true, force: true });
    },
  };
}

/** Reads `length` bytes at `offset` of a sink's partial data. */
async function readBack(sink: FileSink, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const got = await sink.readInto(offset, out);
  return out.subarray(0, got);
}

/**
 * Registers the `FileSink` contract as a `describe` block of `node:test` tests.
 *
 * @param name Names the sink in the test titles.
 * @param setup How to make the sink under test.
 *
 * @example In a test file of your own (it registers `node:test` tests, which a doc test cannot hold)
 * ```ts ignore
 * import { openNodeFileSink } from "@ossup/ossup/node";
 * import { fileSinkContract } from "@ossup/ossup/testing";
 *
 * fileSinkContract("node:fs file sink", { openPath: (path) => openNodeFileSink(path) });
 * ```
 */
export function fileSinkContract(name: string, setup: FileSinkSetup): void {
  const { open, removeFiles } = fixtureMaker(setup);
  const PART = 256 * 1024 + 7;
  const SIZE = 5 * PART - 1000;
  const data = testBytes(SIZE, 11);
  const parts = Array.from({ length: 5 }, (_, i) => i * PART);

  describe(`FileSink contract: ${name}`, () => {
    after(async () => {
      await removeFiles();
      await setup.cleanup?.();
    });

    it("takes ranges written at once, out of order, and shows nothing at the target until commit", async () => {
      const fixture = await open();
      const sink = fixture.sink();
      assert.equal(typeof sink.name, "string");
      assert.equal(await sink.open(false), 0);
      await Promise.all(
        [...parts].reverse().map((at) =>
          sink.write(at, data.subarray(at, Math.min(at + PART, SIZE)))
        ),
      );
      assert.equal(await fixture.target(), undefined, "nothing at the target before commit");
      assert.ok(
        sameBytes(await readBack(sink, PART - 10, 20), data.subarray(PART - 10, PART + 10)),
      );
      await sink.commit(SIZE);
      const target = await fixture.target();
      assert.ok(target !== undefined && sameBytes(target, data), "the target holds the bytes");
      await sink.close(); // safe after commit, and twice
      await sink.close();
    });

    it("keeps partial data across close for the next sink's open(true); open(false) drops it", async () => {
      const fixture = await open();
      const first = fixture.sink();
      await first.open(false);
      await first.write(0, data.subarray(0, PART));
      await first.close();
      assert.equal(await fixture.target(), undefined);
      const second = fixture.sink();
      assert.equal(await second.open(true), PART, "kept, with its size");
      assert.ok(sameBytes(await readBack(second, 0, PART), data.subarray(0, PART)));
      await second.close();
      const third = fixture.sink();
      assert.equal(await third.open(false), 0);
      assert.equal((await readBack(third, 0, PART)).length, 0, "started empty");
      await third.discard();
    });

    it("open(true) with no partial data says so", async () => {
      const fixture = await open();
      const sink = fixture.sink();
      assert.equal(await sink.open(true), undefined);
      await sink.discard();
    });

    it("discard removes the partial data and leaves the target alone", async () => {
      const fixture = await open();
      const done = fixture.sink();
      await done.open(false);
      await done.write(0, data.subarray(0, 100));
      await done.commit(100);
      const sink = fixture.sink();
      await sink.open(false);
      await sink.write(0, data.subarray(100, 300));
      await sink.discard();
      const again = fixture.sink();
      assert.equal(await again.open(true), undefined, "no partial data left");
      await again.close();
      assert.ok(sameBytes((await fixture.target())!, data.subarray(0, 100)), "target untouched");
    });

    it("commit cuts to the size given and replaces what was at the target", async () => {
      const fixture = await open();
      const longer = fixture.sink();
      await longer.open(false);
      await longer.write(0, data);
      await longer.commit(SIZE);
      const sink = fixture.sink();
      await sink.open(false);
      await sink.write(0, data.subarray(0, 2 * PART));
      await sink.commit(PART);
      assert.ok(sameBytes((await fixture.target())!, data.subarray(0, PART)));
    });

    it("commits an empty target", async () => {
      const fixture = await open();
      const sink = fixture.sink();
      await sink.open(false);
      await sink.commit(0);
      assert.equal((await fixture.target())?.length, 0);
    });
  });
}
