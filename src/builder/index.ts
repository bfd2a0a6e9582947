/**
 * The daemonless image builder's public surface. See `build.ts` for the flow.
 *
 * @module
 */
export { buildImage, scratchBase, versionLabel, artifactDigestLabel, runtimeLabel } from './build.js';
export { openArchive, type Archive, type ArchiveFormat } from './archive/archive.js';
export { TarScanner } from './archive/tar-scan.js';
export { Budget } from './archive/entries.js';
export { ancestorsOf } from './archive/paths.js';
export type { ArchiveEntry } from './archive/entries.js';
export { gzipLevel, writeLayer, type LayerEntry, type WrittenLayer } from './layer/layer-writer.js';
export { parseRuntime } from '../core/runtimes.js';
export { webRootLabel, defaultWebRoot } from './runtimes/static.js';
export { defaultLimits, runtimes, type ArchiveLimits, type BaseImage, type BuildInput, type BuiltImage, type BuiltLayer, type Runtime } from './types.js';
