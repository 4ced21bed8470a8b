/**
 * `ossup sync SRC DST [--delete] [--dry-run] [--checksum]`, a folder to an
 * OSS prefix, back, or one prefix to another inside OSS: `cp -r` (its listing, journal, jobs, progress and
 * summary) of only the files the destination lacks or has otherwise (see
 * `sync_plan.ts` for what "otherwise" means), then, with `--delete`, the
 * removal of what the source no longer has.
 *
 * Deletions are printed before anything is done, and happen only once
 * every copy succeeded: a sync that failed midway removes nothing.
 * `--include`/`--exclude` apply to both sides, so an excluded file is
 * neither copied nor deleted. Folders emptied by deletions stay.
 *
 * @module
 */

import { rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PARTIAL_DOWNLOAD_SUFFIX } from "../sink/file_sink.ts";
import type { CliContext } from "./cli_context.ts";
import { UsageError } from "./cli_error.ts";
import {
  asFolderPrefix,
  copyTree,
  journalFiles,
  listTreeSource,
  prepareTree,
  reportTree,
  type TreeCopied,
  treeCopyPlan,
  treeEnds,
  type TreeFailure,
  type TreePlan,
  type TreeRun,
} from "./cmd_tree_copy.ts";
import { isOssUrl, parseOssUrl } from "./oss_url.ts";
import {
  crc64Comparison,
  objectCrc64Comparison,
  planSync,
  type SameContent,
  type SyncDecision,
} from "./sync_plan.ts";
import type { TreeEntry, TreeListing } from "./tree_walk.ts";
import { walkLocalTree, walkRemoteTree } from "./tree_walk.ts";
import { formatBytes } from "./units.ts";

/** Which way, from the two arguments. */
function syncPlanOf(src: string, dst: string): TreePlan {
  if (isOssUrl(src) && isOssUrl(dst)) return treeCopyPlan(parseOssUrl(src), parseOssUrl(dst));
  if (isOssUrl(src)) {
    const from = parseOssUrl(src);
    return {
      direction: "down",
      root: resolve(dst),
      bucket: from.bucket,
      prefix: asFolderPrefix(from.key),
    };
  }
  if (!isOssUrl(dst)) {
    throw new UsageError(`one side of sync must be an oss:// URL, e.g. oss://bucket/${dst}/`);
  }
  const to = parseOssUrl(dst);
  return { direction: "up", root: resolve(src), bucket: to.bucket, prefix: asFolderPrefix(to.key) };
}

/** The destination's listing: the objects under the prefix, or the folder's files (none if it is missing). */
async function listDestination(run: TreeRun): Promise<TreeListing> {
  const { plan, keep } = run;
  if (plan.direction === "up") return await walkRemoteTree(run.bucket, plan.prefix, { keep });
  if (plan.direction === "copy") {
    return await walkRemoteTree(run.target!, plan.target!.prefix, { keep });
  }
  const info = await stat(plan.root).catch(() => undefined);
  if (info === undefined) return { entries: [], skipped: [], folders: [] };
  if (!info.isDirectory()) {
    throw new UsageError(`${plan.root} is a file; sync writes into a folder`);
  }
  const isJournal = journalFiles(run.cpPath);
  // A partial download is the resume data of a large file in flight, not a file to delete.
  const ignore = (path: string) => isJournal(path) || path.endsWith(PARTIAL_DOWNLOAD_SUFFIX);
  return await walkLocalTree(plan.root, { keep, ignore });
}

/** What the destination calls a file: its key or its local path. */
function destinationName(plan: TreePlan, e: TreeEntry): string {
  if (plan.direction === "down") return join(plan.root, ...e.rel.split("/"));
  return treeEnds(plan).destination + e.rel;
}

/** `--dry-run`: says what would be copied and deleted, and does nothing. */
function showDryRun(ctx: CliContext, run: TreeRun, d: SyncDecision, deleting: boolean): number {
  const gone = deleting ? d.extra : [];
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        dryRun: true,
        direction: run.plan.direction,
        copy: d.copy.map((c) => ({ path: c.entry.rel, size: c.entry.size, reason: c.reason })),
        unchanged: d.unchanged,
        delete: gone.map((e) => e.rel),
        notDeleted: deleting ? 0 : d.extra.length,
      }) + "\n",
    );
    return 0;
  }
  const verb = { up: "upload", down: "download", copy: "copy" }[run.plan.direction];
  for (const c of d.copy) ctx.out(`would ${verb}: ${c.entry.rel} (${c.reason})\n`);
  for (const e of gone) ctx.out(`would delete: ${destinationName(run.plan, e)}\n`);
  const bytes = d.copy.reduce((n, c) => n + c.entry.size, 0);
  const kept = deleting || d.extra.length === 0
    ? ""
    : `; ${d.extra.length} only at the destination (--delete would delete them)`;
  ctx.out(
    `dry run: ${d.copy.length} to ${verb} (${formatBytes(bytes)}), ${d.unchanged} unchanged, ` +
      `${gone.length} to delete${kept}; nothing was changed\n`,
  );
  return 0;
}

/** Deletes the destination's extra files, `jobs` at once; failures are listed like copies'. */
async function deleteExtra(run: TreeRun, extra: TreeEntry[]): Promise<TreeFailure[]> {
  const { plan } = run;
  const failures: TreeFailure[] = [];
  let next = 0;
  const worker = async () => {
    while (next < extra.length) {
      const e = extra[next++];
      try {
        if (plan.direction === "up") await run.bucket.deleteObject(plan.prefix + e.rel);
        else if (plan.direction === "copy") {
          await run.target!.deleteObject(plan.target!.prefix + e.rel);
        } else await rm(join(plan.root, ...e.rel.split("/")));
      } catch (error) {
        failures.push({ rel: `${e.rel} (deleting)`, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.pool.jobs, extra.length) }, worker));
  return failures;
}

/** `--checksum`'s comparison: a file against an object, or an object against its copy. */
function sameContent(run: TreeRun): SameContent {
  const { plan } = run;
  if (plan.direction !== "copy") return crc64Comparison(run.bucket, plan.root, plan.prefix);
  return objectCrc64Comparison(run.bucket, plan.prefix, run.target!, plan.target!.prefix);
}

/**
 * Runs `ossup sync SRC DST`.
 *
 * @param ctx The command context (`--delete`, `--dry-run`, `--checksum` and `cp -r`'s flags).
 * @param src A folder or `oss://bucket/prefix/`.
 * @param dst The other.
 * @returns The exit code.
 */
export async function syncCommand(ctx: CliContext, src: string, dst: string): Promise<number> {
  const deleting = ctx.args.booleans.get("delete") === true;
  const dryRun = ctx.args.booleans.get("dry-run") === true;
  const checksum = ctx.args.booleans.get("checksum") === true;
  const run = await prepareTree(ctx, syncPlanOf(src, dst));
  const source = await listTreeSource(run);
  const destination = await listDestination(run);
  const decision = await planSync(source, destination, {
    direction: run.plan.direction,
    sameContent: checksum ? sameContent(run) : undefined,
    jobs: run.pool.jobs,
  });
  if (dryRun) return showDryRun(ctx, run, decision, deleting);

  const gone = deleting ? decision.extra : [];
  if (gone.length > 0) {
    run.note(
      `will delete ${gone.length} file(s) the source does not have, once every copy is done:`,
    );
    for (const e of gone) run.note(`  delete ${destinationName(run.plan, e)}`);
  }
  const copied: TreeCopied = await copyTree(
    ctx,
    run,
    source,
    decision.copy.map((c) => c.entry),
  );
  let deleted = 0;
  if (copied.finished && gone.length > 0) {
    const failures = await deleteExtra(run, gone);
    deleted = gone.length - failures.length;
    copied.failures.push(...failures);
  } else if (gone.length > 0) {
    run.note(`nothing deleted: not every copy succeeded`);
  }
  return reportTree(ctx, run, source, copied, { unchanged: decision.unchanged, deleted });
}
