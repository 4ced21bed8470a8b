import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openNodeFile } from "../lib/adapters/node_api/file_source.ts";
import { fileFixture, fileSourceContract } from "./_file_source_contract.ts";

const dir = await mkdtemp(join(tmpdir(), "ossup-node-src-"));

fileSourceContract(
  "node:fs FileHandle",
  (bytes) => fileFixture(dir, bytes, (path) => openNodeFile(path, { chunkSize: 100_000 })),
  {
    mutable: true,
    readInto: true,
    maxChunkSize: 100_000,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  },
);
