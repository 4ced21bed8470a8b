import { openDenoFile } from "../lib/adapters/deno/file_source.ts";
import { fileSourceContract } from "../lib/testing/mod.ts";

fileSourceContract("Deno.FsFile", {
  openPath: (path) => openDenoFile(path, { chunkSize: 100_000 }),
  readInto: true,
  maxChunkSize: 100_000,
});
