/**
 * The tree tests' kill step: a `cp -r` started with one request of its large file held (a
 * latency fault on a held {@linkcode GatedClock}), killed with SIGKILL once the server's
 * counters say enough files went, and the tree journal it left read back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FaultRule, FaultStats } from "../lib/server/faults.ts";
import { runOssup, startOssup } from "./_cli_run.ts";
import type { GatedClock } from "./_gated_clock.ts";
import type { TestServer } from "./_server.ts";

/** The tree journals (`ossup-tree-<hash>.cp`) in `cwd`. */
export async function journals(cwd: string): Promise<string[]> {
  return (await readdir(cwd)).filter((n) => /^ossup-tree-[0-9a-f]+\.cp$/.test(n));
}

/** The finished files a tree journal records (its `d` lines). */
export async function journalDone(path: string): Promise<Set<string>> {
  const done = new Set<string>();
  for (const line of (await readFile(path, "utf8")).split("\n")) {
    if (!line.endsWith("}")) continue;
    const r = JSON.parse(line);
    if (typeof r.d === "string") done.add(r.d);
  }
  return done;
}

/**
 * The pace the kill tests run at: a large file's parts one at a time, so the parts before
 * the held one are journalled before it; four files at once, so each job's journalled
 * files bound how many a count of requests leaves unrecorded.
 */
export const KILL_PACE = ["--parallel", "1", "--jobs", "4"];

/** What {@linkcode killTreeMidway} runs and when it kills. */
export interface TreeKill {
  server: TestServer;
  clock: GatedClock;
  /** The `ossup` arguments. */
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Where the run is held (its action is replaced by a held latency). */
  hold: Omit<FaultRule, "action">;
  /** Killed once the server's counters satisfy this. */
  until: (stats: FaultStats) => boolean;
}

/**
 * Runs `ossup`, holds the request `hold` names, kills the process with SIGKILL once `until`
 * holds, lets the held request go and waits for the server to be idle.
 *
 * @returns The files the kept journal records as done.
 */
export async function killTreeMidway(k: TreeKill): Promise<Set<string>> {
  k.server.control.clear();
  k.clock.hold();
  k.server.control.add({ ...k.hold, action: { type: "latency", ms: 0 } });
  const run = startOssup(k.args, { cwd: k.cwd, env: k.env });
  await k.clock.held(1);
  await k.server.control.when(k.until);
  run.child.kill("SIGKILL");
  const { signal } = await run.exit;
  assert.equal(signal, "SIGKILL");
  k.clock.release();
  await k.server.idle();
  k.server.control.clear();
  const [journal] = await journals(k.cwd);
  assert.ok(journal, "the journal is kept");
  return await journalDone(join(k.cwd, journal));
}

/**
 * Runs the killed command again with `--json` and checks its counts: the journal's files
 * already done, every other of the `total` copied.
 *
 * @returns The run's JSON summary.
 */
export async function resumeTree(
  k: Pick<TreeKill, "args" | "cwd" | "env">,
  done: Set<string>,
  total: number,
): Promise<Record<string, unknown>> {
  const again = await runOssup([...k.args, "--json"], { cwd: k.cwd, env: k.env });
  assert.equal(again.code, 0, again.stderr);
  const out = JSON.parse(again.stdout);
  assert.equal(out.alreadyDone, done.size);
  assert.equal(out.copied, total - done.size);
  return out;
}
