import { MemoryStorage } from "../lib/server/memory_storage.ts";
import { storageContract } from "./_storage_contract.ts";

storageContract(
  "memory",
  () => Promise.resolve({ storage: new MemoryStorage(), dispose: () => Promise.resolve() }),
);
