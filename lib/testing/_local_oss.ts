/**
 * The local OSS server, as the package publishes it (`./server`), started for the contract
 * suites' upload cases: memory storage, one key pair, fault injection in-process, `node:http`
 * (which can cut a connection mid-body), on 127.0.0.1 and a free port.
 *
 * @module
 */

import {
  createAuthenticator,
  createOssApp,
  FaultInjector,
  listen,
  MemoryStorage,
} from "../server/mod.ts";

/** A running local OSS server. */
export interface LocalOss {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Its fault injector: rules added here apply to the next requests. */
  faults: FaultInjector;
  close(): Promise<void>;
}

/** Starts a local OSS server in memory on 127.0.0.1, on a free port. */
export async function startLocalOss(): Promise<LocalOss> {
  const keys = { accessKeyId: "contract-ak", accessKeySecret: "contract-secret" };
  const region = "cn-hangzhou";
  const storage = new MemoryStorage();
  const faults = new FaultInjector();
  const { app } = createOssApp({
    storage,
    region,
    authenticate: createAuthenticator({ credentials: [keys] }),
    faults,
  });
  const server = await listen(app.fetch, { host: "127.0.0.1", port: 0, engine: "node" });
  return {
    url: server.url,
    region,
    ...keys,
    faults,
    close: async () => {
      await server.close();
      await storage.close();
    },
  };
}
