/**
 * The flags that say what an upload stores beside the bytes: `--content-type`, `--meta k=v`
 * (repeatable), `--acl`, `--storage-class`, `--tagging`, `--cache-control`,
 * `--content-disposition`, read into the library's `ObjectWriteSettings` and checked by it
 * before anything is sent.
 *
 * @module
 */

import type { FlagSpec } from "../command_line/flags.ts";
import { checkWriteSettings, type ObjectWriteSettings } from "../client/object_write_options.ts";
import type { CliContext } from "./cli_context.ts";
import { UsageError } from "./cli_error.ts";

/** The flags of {@linkcode objectWriteSettings}. */
export const OBJECT_WRITE_FLAGS: Record<string, FlagSpec> = {
  "content-type": { type: "string" },
  meta: { type: "string", multiple: true },
  acl: { type: "string" },
  "storage-class": { type: "string" },
  tagging: { type: "string" },
  "cache-control": { type: "string" },
  "content-disposition": { type: "string" },
};

/** The library option each string flag sets. */
const FLAG_OPTION: Record<string, keyof ObjectWriteSettings> = {
  "content-type": "contentType",
  acl: "acl",
  "storage-class": "storageClass",
  tagging: "tagging",
  "cache-control": "cacheControl",
  "content-disposition": "contentDisposition",
};

/** `--meta name=value` pairs as a record; a usage error for one without `=` or a name. */
function metaFlags(values: string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const meta: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf("=");
    const name = eq < 0 ? "" : item.slice(0, eq);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new UsageError(
        `--meta takes name=value, the name of letters, digits, - and _ (stored as ` +
          `x-oss-meta-<name>); got "${item}"`,
      );
    }
    meta[name.toLowerCase()] = item.slice(eq + 1);
  }
  return meta;
}

/**
 * The settings the command line gives, checked as the library checks them.
 *
 * @param ctx The command context.
 * @returns The settings (empty without any of the flags).
 * @throws {UsageError} A value OSS does not take, the message naming the flag and what is allowed.
 */
export function objectWriteSettings(ctx: CliContext): ObjectWriteSettings {
  const settings: Record<string, unknown> = {};
  for (const [flag, option] of Object.entries(FLAG_OPTION)) {
    const value = ctx.args.strings.get(flag);
    if (value !== undefined) settings[option] = value;
  }
  const meta = metaFlags(ctx.args.lists.get("meta") ?? []);
  if (meta !== undefined) settings.meta = meta;
  const typed = settings as ObjectWriteSettings;
  try {
    checkWriteSettings(typed);
  } catch (err) {
    // The library names its options (storageClass); the user typed flags (--storage-class).
    const message = (err as Error).message.replace(
      /^(\w+)/,
      (name) => `--${name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`,
    );
    throw new UsageError(message);
  }
  return typed;
}

/**
 * Refuses the flags of {@linkcode objectWriteSettings} where nothing is written from this
 * machine's bytes (a download, a server-side copy), rather than silently doing nothing.
 *
 * @param ctx The command context.
 * @param what What the command does, for the message.
 * @throws {UsageError} When one of them is given.
 */
export function refuseObjectWriteFlags(ctx: CliContext, what: string): void {
  const given = Object.keys(OBJECT_WRITE_FLAGS).filter((flag) =>
    ctx.args.strings.has(flag) || (ctx.args.lists.get(flag)?.length ?? 0) > 0
  );
  if (given.length > 0) {
    throw new UsageError(
      `--${given[0]} applies to uploads (cp <file> oss://…, cp - oss://…, cp -r <dir> oss://…, ` +
        `sync <dir> oss://…), not to ${what}`,
    );
  }
}
