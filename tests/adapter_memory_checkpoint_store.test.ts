import { MemoryCheckpointStore } from "../lib/checkpoint/memory_checkpoint_store.ts";
import { checkpointStoreContract } from "../lib/testing/checkpoint_store_contract.ts";

const store = new MemoryCheckpointStore();
let counter = 0;

checkpointStoreContract("memory", { store, peer: store, newId: () => `upload-${counter++}` });
