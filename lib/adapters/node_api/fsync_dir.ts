/**
 * Fsyncing a directory, so that a rename or unlink in it survives a crash.
 *
 * @module
 */

import { type FileHandle, open } from "node:fs/promises";

/**
 * Fsyncs `dir`, best effort: some platforms (Windows) cannot open a
 * directory to fsync it; there only the rename's durability is lost, not
 * its atomicity.
 *
 * @param dir The directory.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // best effort, as above
  } finally {
    await handle?.close().catch(() => {});
  }
}
