/** How the panel writes a manifest's job in one line: its name, image, timeout and the volumes it mounts. Pure. */
import type { ManifestJobInfo } from './types';

/** `migrate ($build, 600s, volumes data, uploads)`; a job that mounts none says nothing of volumes. */
export function jobLine(j: Pick<ManifestJobInfo, 'name' | 'image' | 'timeoutSeconds' | 'volumes'>): string {
  const volumes = j.volumes.length > 0 ? `, volumes ${j.volumes.join(', ')}` : '';
  return `${j.name} (${j.image}, ${j.timeoutSeconds}s${volumes})`;
}
