/**
 * Graph copy between any two storages (memory, OCI layout, registry): `copy` for a reference,
 * `copyGraph` for a descriptor. The session and blob transfer modules are internal.
 */
export { copy, type CopyOptions, type CopyResult } from './copy.js'
export { copyGraph, DEFAULT_COPY_CONCURRENCY, type CopyGraphOptions, type CopyProgress, type CopyStats } from './copy-graph.js'
export { CopyError, type CopyErrorDetails, type CopyOp, type CopyOrigin } from './copy-error.js'
export { platformsOf, selectPlatform } from './platform.js'
export { Limiter } from './limiter.js'
export { DryRunTarget, type DryRunPlan, type PlannedWrite } from './dry-run.js'
