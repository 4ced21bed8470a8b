/**
 * The `ossup` command line: resumable multipart upload to Alibaba Cloud OSS
 * and the local OSS-compatible server. Run it with
 *
 *     npx ossup --help                      # from a checkout, after npm ci
 *     deno run -A jsr:@ossup/ossup/cli --help
 *     deno run -A lib/cli/main.ts --help
 *     bun build --compile lib/cli/main.ts   # one self-contained binary
 *
 * Importing this module runs the command line on the process arguments.
 *
 * @module
 */

import process from "node:process";
import { processIo, runCli } from "./run_cli.ts";

const code = await runCli(process.argv.slice(2), processIo());
// Let piped output drain before exiting (a direct exit can cut it short on Node).
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
await new Promise<void>((resolve) => process.stderr.write("", () => resolve()));
process.exit(code);
