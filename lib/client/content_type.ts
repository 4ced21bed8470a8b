/**
 * The `Content-Type` an object gets from its name when the caller gives none: the `mime`
 * package's table (mime-db's types, kept up to date by its maintainers), so an `.html` is
 * served as a page and a `.png` as an image rather than every object as
 * `application/octet-stream`, as the Go SDK's `TypeByExtension` and ossutil do.
 *
 * @module
 */

import mime from "mime";

/**
 * The content type of the first name with a known extension, e.g. a file's path and then
 * the object's key.
 *
 * @param names File names, paths or object keys, tried in order.
 * @returns The type, e.g. `"text/html"`, or `undefined` when no extension is known.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentTypeByName } from "@ossup/ossup";
 *
 * assert.equal(contentTypeByName("site/index.html"), "text/html");
 * assert.equal(contentTypeByName("./upload.tmp", "photos/cat.PNG"), "image/png");
 * assert.equal(contentTypeByName("README"), undefined);
 * ```
 */
export function contentTypeByName(...names: (string | undefined)[]): string | undefined {
  for (const name of names) {
    // The last segment only: a dot in a folder name is not an extension.
    const last = name?.split(/[/\\]/).pop();
    if (!last || !last.includes(".")) continue;
    const type = mime.getType(last);
    if (type !== null) return type;
  }
  return undefined;
}
