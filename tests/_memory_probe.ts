/**
 * Memory checks a busy machine cannot fail. The work runs in a child process
 * of its own ({@linkcode measureInChild}), which takes its RSS baseline itself
 * after its warm-up and samples with an {@linkcode RssProbe}: every sample
 * follows a full garbage collection, so what is measured is the memory the
 * code under test holds, not the other tests of the runner's process nor the
 * garbage a collector starved of CPU has not reached yet.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { runtimeCommand } from "./_runtime_command.ts";

/** What a child's {@linkcode RssProbe} measured, in bytes. */
export interface RssReport {
  /** RSS after the warm-up and a full collection, before the work. */
  baseline: number;
  /** The highest RSS sampled during the work, each sample after a full collection. */
  peak: number;
}

const MARK = "rss-report ";

/** Forces a full garbage collection (the child runs with `exposeGc`). */
export function collectGarbage(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (g.Bun) g.Bun.gc(true);
  else if (g.gc) g.gc();
  else throw new Error("no gc(): run the child through measureInChild");
}

/** The child's side: a baseline taken at construction, then samples of the peak. */
export class RssProbe {
  /** RSS at construction, after a full collection. */
  readonly baseline: number;
  #peak: number;

  /** Takes the baseline: construct it once the warm-up is done. */
  constructor() {
    collectGarbage();
    this.baseline = process.memoryUsage().rss;
    this.#peak = this.baseline;
  }

  /** Collects garbage, then records RSS if it is the highest so far. */
  sample(): void {
    collectGarbage();
    this.#peak = Math.max(this.#peak, process.memoryUsage().rss);
  }

  /** Prints the report on stdout, for {@linkcode measureInChild}. */
  report(): void {
    this.sample();
    const report: RssReport = { baseline: this.baseline, peak: this.#peak };
    console.log(MARK + JSON.stringify(report));
  }
}

/**
 * The parent's side: runs `script` with `args` on this runtime, allowed to
 * force collections, and returns its probe's report.
 *
 * @throws {Error} When the child fails (its assertions throw) or prints no report.
 */
export function measureInChild(script: string, args: string[], cwd?: string): Promise<RssReport> {
  const [command, argv] = runtimeCommand(script, args, { exposeGc: true });
  const child = spawn(command, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => out += d);
  child.stderr!.on("data", (d) => err += d);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      const line = out.split("\n").find((l) => l.startsWith(MARK));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${script} exited with ${code ?? signal}:\n${out}\n${err}`));
      } else resolve(JSON.parse(line.slice(MARK.length)));
    });
  });
}
