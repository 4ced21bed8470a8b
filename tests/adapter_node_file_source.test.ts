import { openNodeFile } from "../lib/adapters/node_api/file_source.ts";
import { fileSourceContract } from "../lib/testing/mod.ts";

fileSourceContract("node:fs FileHandle", {
  openPath: (path) => openNodeFile(path, { chunkSize: 100_000 }),
  readInto: true,
  maxChunkSize: 100_000,
});
