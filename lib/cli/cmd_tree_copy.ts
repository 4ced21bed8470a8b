/**
 * `ossup cp -r DIR oss://bucket/prefix/`, `ossup cp -r oss://bucket/prefix/ DIR` and
 * `ossup cp -r oss://bucket/prefix/ oss://bucket2/prefix2/` (a copy inside OSS):
 * a whole tree, several files at once (`--jobs`), one progress display and
 * one journal for the whole transfer (see `tree_journal.ts`), failures of
 * single files retried and then listed, never dropped.
 *
 * @module
 */

import { mkdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { autoPlatform } from "../adapters/auto/platform.ts";
import { parseWhole } from "../command_line/flags.ts";
import type { Bucket } from "../client/bucket.ts";
import { DEFAULT_COPY_OBJECT_LIMIT } from "../upload/copy_options.ts";
import { MAX_ROUTINES } from "../upload/parallelism.ts";
import { checkpointFlags } from "./_transfer_run.ts";
import {
  copyTreeFile,
  downloadTreeFile,
  type TreeFile,
  type TreeFileOptions,
  uploadTreeFile,
} from "./_tree_file.ts";
import type { CliContext } from "./cli_context.ts";
import { CliError, EXIT, UsageError } from "./cli_error.ts";
import { refuseBandwidthLimit } from "./cmd_copy.ts";
import {
  bandwidthLimitFlag,
  bigfileThreshold,
  DEFAULT_BIGFILE_THRESHOLD,
  parallelFlag,
  partSizeFlag,
  setAsideLine,
} from "./cmd_upload.ts";
import { reportError } from "./error_report.ts";
import { nameFilter, nameRulesOf } from "./name_filter.ts";
import { objectWriteSettings, refuseObjectWriteFlags } from "./object_write_flags.ts";
import type { OssUrl } from "./oss_url.ts";
import { createProgress } from "./progress.ts";
import { TreeJournal, type TreeJournalHeader } from "./tree_journal.ts";
import { type TreeEntry, type TreeListing, walkLocalTree, walkRemoteTree } from "./tree_walk.ts";
import { formatBytes, formatDuration } from "./units.ts";

/** Files transferred at once unless `--jobs` says otherwise. */
export const DEFAULT_JOBS = 8;

/** Attempts at one file before it is listed as failed (each request also has the client's retries). */
export const FILE_ATTEMPTS = 3;

/** Exit codes of failures another attempt can get past: the network, a CRC-64 mismatch, OSS errors, a bug. */
const RETRIED_EXITS: ReadonlySet<number> = new Set([
  EXIT.network,
  EXIT.integrity,
  EXIT.oss,
  EXIT.unexpected,
]);

/** Which way a tree goes, and its two ends. */
export interface TreePlan {
  /** Folder to OSS, OSS to folder, or OSS to OSS (a server-side copy). */
  direction: "up" | "down" | "copy";
  /** The local folder, absolute; empty for a copy. */
  root: string;
  /** The bucket: written up, read down, a copy's source. */
  bucket: string;
  /** The key prefix in `bucket`, empty or ending in `/`. */
  prefix: string;
  /** A copy's destination: its bucket and key prefix (empty or ending in `/`). */
  target?: { bucket: string; prefix: string };
}

/** The two ends of a tree transfer, as said in notes, summaries and the journal's header. */
export function treeEnds(plan: TreePlan): { source: string; destination: string } {
  const remote = `oss://${plan.bucket}/${plan.prefix}`;
  if (plan.direction === "up") return { source: plan.root, destination: remote };
  if (plan.direction === "down") return { source: remote, destination: plan.root };
  return { source: remote, destination: `oss://${plan.target!.bucket}/${plan.target!.prefix}` };
}

/** A failed file, for the list at the end. */
export interface TreeFailure {
  rel: string;
  error: unknown;
}

export function asFolderPrefix(key: string): string {
  return key === "" || key.endsWith("/") ? key : key + "/";
}

/** Files up to this many bytes go in one request: a copy's CopyObject limit, else 1 MiB. */
function thresholdFlag(text: string | undefined, direction: TreePlan["direction"]): number {
  return bigfileThreshold(text) ??
    (direction === "copy" ? DEFAULT_COPY_OBJECT_LIMIT : DEFAULT_BIGFILE_THRESHOLD);
}

/** Where the journal goes: `--checkpoint PATH`, `DIR/` of `--checkpoint-dir`, or `./ossup-tree-<hash>.cp`. */
async function journalPath(ctx: CliContext, header: TreeJournalHeader): Promise<string | false> {
  const { path, dir, off } = checkpointFlags(ctx);
  if (off) return false;
  if (path !== undefined) return resolve(path);
  const digest = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(`${header.direction}\n${header.source}\n${header.destination}`),
    ),
  );
  const tag = Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
  return resolve(dir ?? ".", `ossup-tree-${tag}.cp`);
}

async function requireFolder(root: string): Promise<void> {
  const info = await stat(root).catch((err) => {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  });
  if (info === undefined) throw new UsageError(`no such folder: ${root} (check the path)`);
  if (!info.isDirectory()) {
    throw new UsageError(`${root} is a file; cp -r copies a folder (drop -r to copy one file)`);
  }
}

/** A tree transfer made ready: its ends, its flags read, where its journal goes, its bucket. */
export interface TreeRun {
  /** Direction and ends. */
  plan: TreePlan;
  /** The bucket of `plan.bucket`. */
  bucket: Bucket;
  /** A copy's destination bucket (`plan.target`). */
  target?: Bucket;
  /** Whether a relative path is kept (`--include`/`--exclude`). */
  keep: (rel: string) => boolean;
  /** The journal's path, or `false` with `--no-checkpoint`. */
  cpPath: string | false;
  /** How files move. */
  pool: PoolOptions;
  /** Writes a note on stderr (nothing with `--quiet` or `--json`). */
  note: (line: string) => void;
}

/**
 * Reads a tree transfer's flags, places its journal, checks its local end
 * (an upload's folder must exist) and opens its bucket.
 *
 * @param ctx The command context.
 * @param plan Direction and ends.
 * @returns The transfer, ready to list and copy.
 */
export async function prepareTree(ctx: CliContext, plan: TreePlan): Promise<TreeRun> {
  const flags = ctx.args;
  const jobs = flags.strings.has("jobs")
    ? parseWhole("jobs", flags.strings.get("jobs")!, 1, 1000)
    : DEFAULT_JOBS;
  const routines = parallelFlag(flags.strings.get("parallel"));
  if (plan.direction === "copy") {
    refuseBandwidthLimit(ctx);
    refuseObjectWriteFlags(ctx, "a copy inside OSS");
  }
  const limitRate = bandwidthLimitFlag(flags.strings.get("bandwidth-limit"));
  const threshold = thresholdFlag(flags.strings.get("bigfile-threshold"), plan.direction);
  const partSize = partSizeFlag(flags.strings.get("part-size"));
  const keep = nameFilter(nameRulesOf(flags.sequence));
  if (plan.direction === "down") {
    refuseObjectWriteFlags(ctx, "a download (cp -r oss://… DIR, sync oss://… DIR)");
  }
  // Read and checked before anything is listed or sent: a bad --acl fails at once.
  const settings = plan.direction === "up" ? objectWriteSettings(ctx) : {};
  const cpPath = await journalPath(ctx, journalHeader(plan));
  if (plan.direction === "up") await requireFolder(plan.root);
  const conn = await ctx.connect();
  const bucket = await conn.bucket(plan.bucket, plan.direction === "up");
  const target = plan.target && await conn.bucket(plan.target.bucket, true);
  if (plan.direction !== "copy") {
    // The jobs' connections open while the source is listed (the folder walked, or ListObjects).
    const purpose = plan.direction === "up" ? "upload" : "download";
    bucket.preconnect({ connections: Math.min(jobs, MAX_ROUTINES), for: purpose });
  }
  const quietNotes = ctx.quiet || ctx.json;
  const note = (line: string) => quietNotes ? undefined : ctx.err(`ossup: ${line}\n`);
  return {
    plan,
    bucket,
    target,
    keep,
    cpPath,
    note,
    pool: { jobs, threshold, routines, limitRate, partSize, settings, cpPath, note },
  };
}

function journalHeader(plan: TreePlan): TreeJournalHeader {
  return { direction: plan.direction, ...treeEnds(plan) };
}

/**
 * Lists what a tree transfer reads: the folder going up, the prefix coming
 * down; says what it skipped.
 *
 * @param run The transfer.
 * @returns The source's listing.
 */
export async function listTreeSource(run: TreeRun): Promise<TreeListing> {
  const listing = await listTree(run.plan, run.bucket, run.keep, run.cpPath);
  for (const s of listing.skipped) run.note(`skipped ${s.rel}: ${s.reason}`);
  return listing;
}

/** A tree copy's outcome, and whether it finished (its journal is then removed). */
export interface TreeCopied extends TreeOutcome {
  /** Every file copied, none failed, not interrupted. */
  finished: boolean;
}

/**
 * Copies `entries` (all of the listing's by default) under one journal and
 * one progress display; on the way down, makes the folder and the folders
 * the listing's markers name first.
 *
 * @param ctx The command context.
 * @param run The transfer.
 * @param listing The source's listing.
 * @param entries The files to copy, of the listing's.
 * @returns The outcome.
 */
export async function copyTree(
  ctx: CliContext,
  run: TreeRun,
  listing: TreeListing,
  entries: TreeEntry[] = listing.entries,
): Promise<TreeCopied> {
  const { plan, cpPath } = run;
  if (plan.direction === "down") {
    await mkdir(plan.root, { recursive: true });
    // Folder markers (`dir/` objects) make their folders, empty ones included.
    for (const f of listing.folders) {
      await mkdir(join(plan.root, ...f.split("/")), { recursive: true });
    }
  } else if (plan.direction === "copy") {
    // And are copied as markers: an empty folder stays one on the other side.
    for (const f of listing.folders) {
      await run.target!.putObject(`${plan.target!.prefix}${f}/`, new Uint8Array());
    }
  }
  let journal: TreeJournal | undefined;
  if (cpPath !== false) {
    await mkdir(dirname(cpPath), { recursive: true });
    const opened = await TreeJournal.open(
      autoPlatform.createCheckpointStore!(),
      cpPath,
      journalHeader(plan),
    );
    journal = opened.journal;
  }
  let finished = false;
  try {
    const written = run.target ?? run.bucket;
    const outcome = await transferAll(ctx, plan, written, entries, journal, run.pool);
    finished = outcome.failures.length === 0 && !outcome.interrupted;
    return { ...outcome, finished };
  } finally {
    await journal?.close(finished);
  }
}

/**
 * Runs `cp -r` either way.
 *
 * @param ctx The command context.
 * @param plan Direction and ends.
 * @returns The exit code.
 */
async function runTree(ctx: CliContext, plan: TreePlan): Promise<number> {
  const run = await prepareTree(ctx, plan);
  const listing = await listTreeSource(run);
  const copied = await copyTree(ctx, run, listing);
  return reportTree(ctx, run, listing, copied);
}

/** The journal, its lock and its temp files, when the journal is inside the folder. */
export function journalFiles(cpPath: string | false): (path: string) => boolean {
  return (path) =>
    cpPath !== false && (path === cpPath || path === `${cpPath}.lock` ||
      (dirname(path) === dirname(cpPath) && basename(path).startsWith(`.${basename(cpPath)}.`)));
}

async function listTree(
  plan: TreePlan,
  bucket: Bucket,
  keep: (rel: string) => boolean,
  cpPath: string | false,
): Promise<TreeListing> {
  if (plan.direction !== "up") return await walkRemoteTree(bucket, plan.prefix, { keep });
  return await walkLocalTree(plan.root, { keep, ignore: journalFiles(cpPath) });
}

/** How a tree's files move: the flags, read. */
interface PoolOptions {
  /** Files at once (`--jobs`). */
  jobs: number;
  threshold: number;
  routines: TreeFileOptions["routines"];
  limitRate: TreeFileOptions["limitRate"];
  partSize: TreeFileOptions["partSize"];
  settings: TreeFileOptions["settings"];
  cpPath: string | false;
  note: (line: string) => void;
}

/** What a tree copy did. */
export interface TreeOutcome {
  copied: number;
  alreadyDone: number;
  bytesCopied: number;
  failures: TreeFailure[];
  interrupted: boolean;
  seconds: number;
}

/** The files to move, and those an earlier run's journal already has. */
function pending(entries: TreeEntry[], journal: TreeJournal | undefined): TreeEntry[] {
  return entries.filter((e) => journal?.doneVersion(e.rel) !== e.version);
}

/** How one file moves, by direction. */
const MOVES = { up: uploadTreeFile, down: downloadTreeFile, copy: copyTreeFile };

/** What the first note calls a direction's work. */
const VERBS = { up: "uploading", down: "downloading", copy: "copying" };

/** Moves every pending file, `jobs` at once, under one progress display. */
async function transferAll(
  ctx: CliContext,
  plan: TreePlan,
  /** The bucket written to (up, copy) or read from (down). */
  bucket: Bucket,
  entries: TreeEntry[],
  journal: TreeJournal | undefined,
  o: PoolOptions,
): Promise<TreeOutcome> {
  const todo = pending(entries, journal);
  const alreadyDone = entries.length - todo.length;
  const bytesTotal = entries.reduce((n, e) => n + e.size, 0);
  let bytesDone = bytesTotal - todo.reduce((n, e) => n + e.size, 0);
  const inFlight = new Map<string, number>();
  let filesDone = alreadyDone;
  const { source, destination } = treeEnds(plan);
  o.note(
    `${VERBS[plan.direction]} ${entries.length} files (${formatBytes(bytesTotal)}) ` +
      `from ${source} to ${destination}, ` +
      `${o.jobs} at once, ${o.cpPath === false ? "no journal" : `journal ${o.cpPath}`}`,
  );
  if (alreadyDone > 0) o.note(`resuming: ${alreadyDone} files already done by an earlier run`);

  const controller = new AbortController();
  const removeInterrupt = ctx.onInterrupt(() => controller.abort());
  const progress = createProgress({
    write: ctx.err,
    tty: ctx.tty,
    columns: ctx.columns,
    quiet: ctx.quiet || ctx.json,
    countLabel: "files",
  });
  const sample = () => {
    let moving = 0;
    for (const b of inFlight.values()) moving += b;
    progress.update({
      bytesDone: bytesDone + moving,
      bytesTotal,
      partsDone: filesDone,
      partsTotal: entries.length,
    });
  };
  const fileOptions: TreeFileOptions = {
    bucket,
    threshold: o.threshold,
    partSize: o.partSize,
    routines: o.routines,
    limitRate: o.limitRate,
    settings: o.settings,
    sourceBucket: plan.bucket,
    checkpoints: journal?.store,
    signal: controller.signal,
    onSetAside: (s) => o.note(setAsideLine(s)),
  };
  const move = MOVES[plan.direction];
  const failures: TreeFailure[] = [];
  let copied = 0;
  let bytesCopied = 0;
  let next = 0;
  const started = performance.now();

  const one = async (e: TreeEntry) => {
    const file: TreeFile = {
      rel: e.rel,
      path: plan.direction === "copy" ? "" : join(plan.root, ...e.rel.split("/")),
      key: (plan.target?.prefix ?? plan.prefix) + e.rel,
      sourceKey: plan.prefix + e.rel,
      size: e.size,
      mtimeMs: e.mtimeMs,
    };
    for (let attempt = 1;; attempt++) {
      try {
        await move(file, fileOptions, (b) => {
          inFlight.set(e.rel, b);
          sample();
        });
        await journal?.markDone(e.rel, e.version);
        copied++;
        bytesCopied += e.size;
        return;
      } catch (err) {
        if (controller.signal.aborted) return;
        const { exitCode, message } = reportError(err, { verbose: ctx.verbose });
        if (attempt < FILE_ATTEMPTS && RETRIED_EXITS.has(exitCode)) {
          if (ctx.verbose) o.note(`retrying ${e.rel} (attempt ${attempt + 1}): ${message}`);
          continue;
        }
        failures.push({ rel: e.rel, error: err });
        o.note(`failed: ${e.rel}: ${message}`);
        return;
      } finally {
        inFlight.delete(e.rel);
      }
    }
  };
  const worker = async () => {
    while (!controller.signal.aborted && next < todo.length) {
      const e = todo[next++];
      await one(e);
      filesDone++;
      bytesDone += e.size;
      sample();
    }
  };
  sample();
  try {
    await Promise.all(Array.from({ length: Math.min(o.jobs, todo.length) }, worker));
  } finally {
    progress.stop();
    removeInterrupt();
  }
  return {
    copied,
    alreadyDone,
    bytesCopied,
    failures,
    interrupted: controller.signal.aborted,
    seconds: (performance.now() - started) / 1000,
  };
}

/** What `sync` adds to a tree copy's summary. */
export interface SyncCounts {
  /** Files the destination already had the same. */
  unchanged: number;
  /** Files or objects deleted at the destination (`--delete`). */
  deleted: number;
}

/**
 * Says how a tree copy went: the summary line (or JSON), the failures, and
 * the exit code; an interrupted copy throws, saying where its journal is.
 *
 * @param ctx The command context.
 * @param run The transfer.
 * @param listing The source's listing.
 * @param r The copy's outcome.
 * @param sync `sync`'s counts, for its summary.
 * @returns The exit code.
 */
export function reportTree(
  ctx: CliContext,
  run: TreeRun,
  listing: TreeListing,
  r: TreeCopied,
  sync?: SyncCounts,
): number {
  const { plan, cpPath } = run;
  const { source, destination } = treeEnds(plan);
  const kept = cpPath === false
    ? "with --no-checkpoint nothing is kept"
    : `the journal is kept in ${cpPath}: run the same command again to resume`;
  const toCopy = listing.entries.length - (sync?.unchanged ?? 0);
  if (r.interrupted) {
    throw new CliError(
      EXIT.interrupted,
      `paused after ${r.copied + r.alreadyDone}/${toCopy} files; ${kept}`,
    );
  }
  const reports = r.failures.map((f) => ({
    rel: f.rel,
    ...reportError(f.error, { verbose: ctx.verbose }),
  }));
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        direction: plan.direction,
        source,
        destination,
        files: listing.entries.length,
        copied: r.copied,
        alreadyDone: r.alreadyDone,
        ...sync,
        skipped: listing.skipped,
        failed: reports.map((f) => ({ path: f.rel, error: f.message, exitCode: f.exitCode })),
        bytesCopied: r.bytesCopied,
        seconds: Math.round(r.seconds * 1000) / 1000,
        ...(r.finished || cpPath === false ? {} : { journal: cpPath }),
      }) + "\n",
    );
  } else if (!ctx.quiet) {
    const rate = r.seconds > 0 ? r.bytesCopied / r.seconds : 0;
    const perSecond = r.seconds > 0 ? r.copied / r.seconds : 0;
    const verb = sync ? "synced" : { up: "uploaded", down: "downloaded", copy: "copied" }[
      plan.direction
    ];
    const syncCounts = sync ? `${sync.unchanged} unchanged, ${sync.deleted} deleted, ` : "";
    ctx.out(
      `${verb} ${source} to ${destination}: ${r.copied} copied (${
        formatBytes(r.bytesCopied)
      }), ${r.alreadyDone} already done, ` +
        `${syncCounts}${listing.skipped.length} skipped, ${r.failures.length} failed; ${
          formatDuration(r.seconds)
        } ` +
        `(${formatBytes(rate)}/s, ${Math.round(perSecond)} files/s)\n`,
    );
  }
  if (reports.length === 0) return EXIT.ok;
  ctx.err(`ossup: ${reports.length} file(s) failed after ${FILE_ATTEMPTS} attempts; ${kept}:\n`);
  for (const f of reports) ctx.err(`  ${f.rel}: ${f.message}\n`);
  return reports[0].exitCode;
}

/**
 * `cp -r DIR oss://bucket/prefix/`: the folder's files under the prefix
 * (`oss://b/p` is the same as `oss://b/p/`), keys `/`-separated.
 *
 * @param ctx The command context.
 * @param dir The local folder.
 * @param dst The destination prefix.
 * @returns The exit code.
 */
export function treeUploadCommand(ctx: CliContext, dir: string, dst: OssUrl): Promise<number> {
  return runTree(ctx, {
    direction: "up",
    root: resolve(dir),
    bucket: dst.bucket,
    prefix: asFolderPrefix(dst.key),
  });
}

/**
 * `cp -r oss://bucket/prefix/ DIR`: the objects under the prefix into the
 * folder (made when missing), their paths below the prefix kept.
 *
 * @param ctx The command context.
 * @param src The source prefix.
 * @param dir The local folder.
 * @returns The exit code.
 */
export function treeDownloadCommand(ctx: CliContext, src: OssUrl, dir: string): Promise<number> {
  return runTree(ctx, {
    direction: "down",
    root: resolve(dir),
    bucket: src.bucket,
    prefix: asFolderPrefix(src.key),
  });
}

/**
 * `cp -r oss://bucket/prefix/ oss://bucket2/prefix2/`: every object under the prefix copied
 * inside OSS with `copyFile` (CopyObject up to `--bigfile-threshold`, 1 GiB by default;
 * UploadPartCopy parts above), its path below the prefix kept under the other. Within one
 * bucket the two prefixes must not contain each other: the copies would be listed as sources
 * on the next run.
 *
 * @param ctx The command context.
 * @param src The source prefix.
 * @param dst The destination prefix.
 * @returns The exit code.
 */
export function treeCopyCommand(ctx: CliContext, src: OssUrl, dst: OssUrl): Promise<number> {
  return runTree(ctx, treeCopyPlan(src, dst));
}

/**
 * The plan of a tree copy inside OSS (`cp -r`, `sync`).
 *
 * @param src The source prefix.
 * @param dst The destination prefix.
 * @returns The plan.
 * @throws {UsageError} When, within one bucket, one prefix contains the other.
 */
export function treeCopyPlan(src: OssUrl, dst: OssUrl): TreePlan {
  const prefix = asFolderPrefix(src.key);
  const target = { bucket: dst.bucket, prefix: asFolderPrefix(dst.key) };
  if (
    src.bucket === dst.bucket &&
    (prefix.startsWith(target.prefix) || target.prefix.startsWith(prefix))
  ) {
    throw new UsageError(
      `oss://${src.bucket}/${prefix} and oss://${dst.bucket}/${target.prefix}: one prefix ` +
        "contains the other, so the copies would be copied again; copy to a prefix outside " +
        "the source",
    );
  }
  return { direction: "copy", root: "", bucket: src.bucket, prefix, target };
}
