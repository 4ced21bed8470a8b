#!/usr/bin/env node
// Runs the ossup command line from a checkout (`npx ossup` after `npm ci`):
// tsx's loader lets Node run lib/cli/main.ts in this process, so Ctrl-C
// reaches the command directly. The npm package ships compiled JS instead.
import { register } from "tsx/esm/api";

register();
await import("../lib/cli/main.ts");
