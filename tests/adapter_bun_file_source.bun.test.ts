import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBunFile } from "../lib/adapters/bun/file_source.ts";
import { fileFixture, fileSourceContract } from "./_file_source_contract.ts";

const dir = await mkdtemp(join(tmpdir(), "ossup-bun-src-"));

fileSourceContract(
  "Bun.file",
  (bytes) => fileFixture(dir, bytes, openBunFile),
  {
    mutable: true,
    slices: true,
    readInto: true,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  },
);
