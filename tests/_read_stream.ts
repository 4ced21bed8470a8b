// Reading a byte stream to its end: shared with the published contract suites.
export { readAll, readChunks } from "../lib/testing/_read_stream.ts";
