/**
 * The daemonless image builder: artifact + fetched base image → new layer files, config and
 * manifest, all reproducible (same artifact, base and version ⇒ same manifest digest; another
 * version changes only the config's version label). Uploading the blobs is the caller's job.
 *
 * @example
 * const base = await new OciClient().pullBase('eclipse-temurin:21-jre');
 * const image = await buildImage({ artifactPath: 'app.jar', version: '1.4.0', base, workDir });
 * // upload image.newLayers[*].file, image.config.bytes, then image.manifest.bytes
 *
 * @module
 */
import { stat, mkdir } from 'node:fs/promises';
import { openArchive } from './archive/archive.js';
import { sha256File } from './archive/file-io.js';
import { canonicalJson, sha256Digest } from './image/canonical-json.js';
import { buildConfig } from './image/config.js';
import { baseDigestKey, baseNameKey, buildManifest, familyTypes } from './image/manifest.js';
import { writeLayer } from './layer/layer-writer.js';
import { parseRuntime } from '../core/runtimes.js';
import { resolveLayout } from './runtimes/detect.js';
import { javaPlan } from './runtimes/java.js';
import { nodePlan } from './runtimes/node.js';
import type { RuntimePlan } from './runtimes/plan.js';
import { staticPlan } from './runtimes/static.js';
import type { BaseImage, BuildInput, BuiltImage, BuiltLayer } from './types.js';

export const versionLabel = 'org.opencontainers.image.version';
export const artifactDigestLabel = 'io.slipway.artifact.digest';
export const runtimeLabel = 'io.slipway.runtime';

/** An empty OCI base: no layers, linux/amd64, nothing in its config. */
export function scratchBase(): BaseImage {
  return {
    reference: 'scratch',
    manifestDigest: '',
    family: 'oci',
    config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] },
    layers: [],
  };
}

export async function buildImage(input: BuildInput): Promise<BuiltImage> {
  const steps: BuiltImage['steps'] = [];
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await run();
    steps.push({ name, ms: Math.round(performance.now() - started) });
    return result;
  };
  if (input.runtime !== undefined) parseRuntime(input.runtime);
  await mkdir(input.workDir, { recursive: true });
  const artifactDigest = input.artifactDigest ?? (await step('digest artifact', () => sha256File(input.artifactPath)));
  const { size: artifactSize } = await stat(input.artifactPath);
  const archive = await step('read archive', () => openArchive(input.artifactPath, input.workDir, input.limits));
  try {
    const layout = await step('detect runtime', () => resolveLayout(archive, input.runtime));
    let plan: RuntimePlan;
    if (layout.runtime === 'java') plan = javaPlan(input.base, input.artifactPath, artifactSize);
    else if (layout.runtime === 'static') plan = staticPlan(input.base, archive, layout.entries);
    else plan = await nodePlan(input.base, archive, layout.entries);

    const types = familyTypes(input.base.family);
    const written: { layer: BuiltLayer; createdBy: string }[] = [];
    for (const layer of plan.layers) {
      if (layer.entries.length === 0) continue;
      const out = await step(`layer ${layer.name}`, () => writeLayer(layer.entries, input.workDir, layer.gzipLevel));
      written.push({ layer: { ...out, mediaType: types.layer }, createdBy: layer.createdBy });
    }

    return await step('config and manifest', async () => {
      const labels: Record<string, string> = {
        ...input.labels,
        [versionLabel]: input.version,
        [artifactDigestLabel]: artifactDigest,
        [runtimeLabel]: layout.runtime,
      };
      if (input.base.manifestDigest !== '') {
        labels[baseNameKey] = input.base.reference;
        labels[baseDigestKey] = input.base.manifestDigest;
      }
      const configDoc = buildConfig(
        input.base,
        plan.config,
        labels,
        written.map((w) => ({ diffId: w.layer.diffId, createdBy: w.createdBy })),
      );
      const configBytes = canonicalJson(configDoc);
      const config = { bytes: configBytes, digest: sha256Digest(configBytes), mediaType: types.config };
      const newLayers = written.map((w) => w.layer);
      const manifestDoc = buildManifest(
        input.base,
        { digest: config.digest, size: configBytes.length },
        newLayers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      );
      const manifestBytes = canonicalJson(manifestDoc);
      const manifest = { bytes: manifestBytes, digest: sha256Digest(manifestBytes), mediaType: types.manifest };
      return { runtime: layout.runtime, artifactDigest, config, manifest, newLayers, steps };
    });
  } finally {
    await archive.close();
  }
}
