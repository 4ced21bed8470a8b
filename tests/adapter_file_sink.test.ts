// The FileSink contract on ossup's file sink (node:fs, which Deno, Bun and Node all run), and on
// a sink over memory, to show the contract holds for a sink with no file under it.

import { openNodeFileSink } from "../lib/adapters/node_api/file_sink.ts";
import type { FileSink } from "../mod.ts";
import { fileSinkContract } from "../lib/testing/mod.ts";

fileSinkContract("node:fs file sink", { openPath: (path) => openNodeFileSink(path) });

/** Partial data and committed targets in two maps, keyed by the target's name. */
function memorySinks() {
  const partials = new Map<string, Uint8Array>();
  const targets = new Map<string, Uint8Array>();
  const sink = (name: string): FileSink => ({
    name,
    open: (keep) => {
      const kept = partials.get(name);
      if (keep) return Promise.resolve(kept?.length);
      partials.set(name, new Uint8Array(0));
      return Promise.resolve(0);
    },
    write: (offset, bytes) => {
      const old = partials.get(name)!;
      const grown = new Uint8Array(Math.max(old.length, offset + bytes.length));
      grown.set(old);
      grown.set(bytes, offset);
      partials.set(name, grown);
      return Promise.resolve();
    },
    readInto: (offset, into) => {
      const got = (partials.get(name) ?? new Uint8Array(0)).subarray(offset, offset + into.length);
      into.set(got);
      return Promise.resolve(got.length);
    },
    commit: (size) => {
      targets.set(name, partials.get(name)!.slice(0, size));
      partials.delete(name);
      return Promise.resolve();
    },
    discard: () => Promise.resolve(void partials.delete(name)),
    close: () => Promise.resolve(),
  });
  let n = 0;
  return {
    open: () => {
      const name = `memory-${n++}`;
      return Promise.resolve({
        sink: () => sink(name),
        target: () => Promise.resolve(targets.get(name)),
      });
    },
  };
}

fileSinkContract("memory sink", memorySinks());
