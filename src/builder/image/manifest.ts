/**
 * The built image's manifest, in the base's family: OCI media types (with base annotations) for
 * an OCI base, Docker schema 2 for a Docker base, never mixed within one manifest.
 *
 * @module
 */
import { mediaTypes, type Descriptor } from '../../core/oci.js';
import type { BaseImage } from '../types.js';

export const baseNameKey = 'org.opencontainers.image.base.name';
export const baseDigestKey = 'org.opencontainers.image.base.digest';

export interface FamilyTypes {
  manifest: string;
  config: string;
  layer: string;
}

export function familyTypes(family: BaseImage['family']): FamilyTypes {
  return family === 'oci'
    ? { manifest: mediaTypes.ociManifest, config: mediaTypes.ociConfig, layer: mediaTypes.ociLayerGzip }
    : { manifest: mediaTypes.dockerManifest, config: mediaTypes.dockerConfig, layer: mediaTypes.dockerLayerGzip };
}

/** A descriptor with only the fields a manifest carries. */
function plain(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = { ...d.annotations };
  return out;
}

export function buildManifest(base: BaseImage, config: { digest: string; size: number }, layers: readonly Descriptor[]): Record<string, unknown> {
  const types = familyTypes(base.family);
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: config.digest, size: config.size },
    layers: [...base.layers, ...layers].map(plain),
  };
  if (base.family === 'oci' && base.manifestDigest !== '') {
    manifest.annotations = { [baseNameKey]: base.reference, [baseDigestKey]: base.manifestDigest };
  }
  return manifest;
}
