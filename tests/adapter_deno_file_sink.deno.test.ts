// The FileSink contract on Deno's file sink: the node:fs sink with its bytes written through
// Deno.FsFiles, one per write at once.

import { openDenoFileSink } from "../lib/adapters/deno/file_sink.ts";
import { fileSinkContract } from "../lib/testing/mod.ts";

fileSinkContract("Deno file sink", { openPath: (path) => openDenoFileSink(path) });
