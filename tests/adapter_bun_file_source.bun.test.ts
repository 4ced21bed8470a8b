import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBunFile } from "../lib/adapters/bun/file_source.ts";
import { fileFixture, fileSourceContract } from "./_file_source_contract.ts";

const dir = await mkdtemp(join(tmpdir(), "ossup-bun-src-"));

for (const sendSlices of [false, true]) {
  fileSourceContract(
    sendSlices ? "Bun.file, sendSlices" : "Bun.file",
    (bytes) => fileFixture(dir, bytes, (path) => openBunFile(path, { sendSlices })),
    {
      mutable: true,
      slices: sendSlices,
      readInto: true,
      cleanup: sendSlices ? () => rm(dir, { recursive: true, force: true }) : undefined,
    },
  );
}
