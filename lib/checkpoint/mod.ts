/**
 * Checkpoints: the `CheckpointStore` interface, the journal format, the memory store.
 *
 * @module
 */

export type { CheckpointLock, CheckpointStore } from "./checkpoint_store.ts";
export { MemoryCheckpointStore } from "./memory_checkpoint_store.ts";
