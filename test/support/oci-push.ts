/**
 * A minimal registry client for tests that need exact control: push blobs and manifests over
 * HTTP with a Slipway API token as Basic credentials.
 */
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface RegistryTarget {
  url: string;
  token: string;
}

export function basic(token: string): string {
  return `Basic ${Buffer.from(`slipway:${token}`).toString('base64')}`;
}

/** Pushes a blob with a monolithic POST ?digest; returns its digest. */
export async function pushBlob(t: RegistryTarget, repo: string, data: Uint8Array): Promise<string> {
  const digest = sha256(data);
  const res = await fetch(`${t.url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { authorization: basic(t.token), 'content-type': 'application/octet-stream' }, body: data });
  if (res.status !== 201) throw new Error(`blob push answered ${res.status}: ${await res.text()}`);
  return digest;
}

/** Pushes an OCI image manifest naming `config` and `layers` (already pushed); returns its digest. */
export async function pushImage(t: RegistryTarget, repo: string, tag: string, config: Uint8Array, layers: Uint8Array[]): Promise<string> {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
    }),
  );
  const res = await fetch(`${t.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { authorization: basic(t.token), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
  if (res.status !== 201) throw new Error(`manifest push answered ${res.status}: ${await res.text()}`);
  return sha256(manifest);
}

export const randomBlob = (size = 1024) => new Uint8Array(randomBytes(size));

/** Status of a registry request with the token. */
export async function status(t: RegistryTarget, method: string, path: string): Promise<number> {
  const res = await fetch(`${t.url}${path}`, { method, headers: { authorization: basic(t.token) } });
  await res.arrayBuffer();
  return res.status;
}
