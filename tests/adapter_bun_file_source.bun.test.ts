import { openBunFile } from "../lib/adapters/bun/file_source.ts";
import { fileSourceContract } from "../lib/testing/mod.ts";

for (const sendSlices of [false, true]) {
  fileSourceContract(sendSlices ? "Bun.file, sendSlices" : "Bun.file", {
    openPath: (path) => openBunFile(path, { sendSlices }),
    slices: sendSlices,
    readInto: true,
  });
}
