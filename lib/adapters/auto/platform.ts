/**
 * The runtime pieces for `mod.ts`, which JSR serves to Deno, Bun and Node
 * alike: each file is opened with the adapter of the runtime it runs on.
 * Choosing here, in a composition root, keeps the core free of sniffing.
 *
 * @module
 */

import type { OssPlatform } from "../../client/platform.ts";
import { openBunFile } from "../bun/file_source.ts";
import { openDenoFile } from "../deno/file_source.ts";
import { openDenoFileSink } from "../deno/file_sink.ts";
import { FileCheckpointStore } from "../node_api/file_checkpoint_store.ts";
import { openNodeFile } from "../node_api/file_source.ts";
import { openNodeFileSink } from "../node_api/file_sink.ts";
import { nodeSha1 } from "../node_api/node_sha1.ts";
import { nodeSha256 } from "../node_api/node_sha256.ts";

/**
 * Opens files with Deno's, Bun's or Node's adapter, whichever runtime this is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { autoPlatform } from "@ossup/ossup";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "a.txt"), "hello");
 * const source = await autoPlatform.openFile!(join(dir, "a.txt")); // Deno's, Bun's or Node's adapter
 * assert.equal(source.size, 5);
 * await source.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export const autoPlatform: OssPlatform = {
  openFile: (path) => {
    const g = globalThis as { Deno?: unknown; Bun?: unknown };
    if (g.Deno !== undefined) return openDenoFile(path);
    if (g.Bun !== undefined) return openBunFile(path);
    return openNodeFile(path);
  },
  createFileSink: (path) => {
    const g = globalThis as { Deno?: unknown };
    return g.Deno !== undefined ? openDenoFileSink(path) : openNodeFileSink(path);
  },
  createCheckpointStore: () => new FileCheckpointStore(),
  sha256: nodeSha256,
  sha1: nodeSha1,
};
