/**
 * The client a test's child process makes from the JSON its parent passed: the parent's
 * server address and keys, plus the child's own options.
 *
 * @module
 */

import { OssClient, type OssClientOptions } from "../mod.ts";

/** What a parent passes for the client (see `tests/_upload_fixtures.ts`). */
export interface ChildServerArgs {
  endpoint: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
}

/** A client of the parent's server. */
export function childClient(o: ChildServerArgs, extra: Partial<OssClientOptions> = {}): OssClient {
  return new OssClient({
    endpoint: o.endpoint,
    region: o.region,
    accessKeyId: o.accessKeyId,
    accessKeySecret: o.accessKeySecret,
    ...extra,
  });
}
