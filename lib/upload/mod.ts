/**
 * The resumable multipart upload engine.
 *
 * @module
 */

export { uploadSource } from "./upload_source.ts";
export type { CheckpointLocation, UploadSourceOptions } from "./upload_source.ts";
export { uploadStream } from "./upload_stream.ts";
export type { UploadStreamOptions } from "./upload_stream.ts";
export { uploadFile } from "./upload_file.ts";
export type { UploadFileInput } from "./upload_file.ts";
export {
  DEFAULT_MAX_MEMORY,
  DEFAULT_MAX_ROUTINES,
  DEFAULT_ROUTINES,
  FAR_MAX_ROUTINES,
  FAR_ROUTINES_EXCHANGE_MS,
  MAX_ROUTINES,
} from "./parallelism.ts";
export type { ParallelismOptions, RoutinesSetting, RoutinesUsed } from "./parallelism.ts";
export { AdaptiveRoutines, backoffReason } from "./adaptive_routines.ts";
export type { AdaptiveRoutinesOptions, BackoffReason } from "./adaptive_routines.ts";
export { copyFile } from "./copy_file.ts";
export type { CopySourceObject, CopyTarget } from "./copy_file.ts";
export { DEFAULT_COPY_OBJECT_LIMIT, DEFAULT_COPY_PART_SIZE } from "./copy_options.ts";
export type { CopyFileOptions, CopyResult } from "./copy_options.ts";
export type {
  CheckpointOption,
  CheckpointSetAside,
  ResumeCheck,
  UploadFileOptions,
  UploadProgress,
  UploadResult,
} from "./upload_options.ts";
export {
  assertPartSize,
  AUTO_MAX_PART_SIZE,
  AUTO_MIN_PART_SIZE,
  autoPartSize,
  DEFAULT_PART_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  partAt,
  planParts,
} from "./part_plan.ts";
export type { AutoPartSizeOptions, PartPlan, PlannedPart, PlanPartsOptions } from "./part_plan.ts";
export type {
  CompleteCallOptions,
  DataCallOptions,
  MultipartTarget,
  ObjectWriteOptions as TargetWriteOptions,
  PartBodyFactory,
  PartCallOptions,
  TargetCallOptions,
  TargetUploadSummary,
  WrittenObjectInfo,
} from "./multipart_target.ts";
