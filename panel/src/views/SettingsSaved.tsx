/** What a save of an environment's settings did: what changed, the scaling or move it started (with its live log), and when the rest applies. */
import type { SettingsBody } from '../env-settings';
import { href } from '../router';
import type { SettingsChanged } from '../types';
import { Link } from '../ui/bits';

export interface Saved {
  changes: string[];
  body: SettingsBody;
  answer: SettingsChanged;
}

const runtimeKeys = ['domain', 'port', 'maxSurge', 'strategy', 'healthType', 'healthPath', 'healthTimeout', 'memoryBytes', 'nanoCpus', 'volumes'] as const;
const protectionKeys = ['requireApproval', 'requirePromotionFrom', 'gatePipeline', 'gateHealth'] as const;

export function SettingsSaved({ ws, env, saved }: { ws: string; env: string; saved: Saved | null }) {
  if (!saved) return null;
  const { body, answer } = saved;
  const log = (id: string) => <Link to={href('w', ws, 'deployments', id)}>watch the live log</Link>;
  const runtime = runtimeKeys.some((k) => body[k] !== undefined);
  return (
    <div role="status" className="note" data-settings-saved="">
      <p>Saved: {saved.changes.join('; ')}.</p>
      {answer.moving && (
        <p data-moving={answer.moving.id}>
          Moving the running release to {answer.target} now (release #{answer.moving.releaseNumber}; it leaves the old place once live there): {log(answer.moving.id)}.
        </p>
      )}
      {answer.stoppedFirst !== undefined && <p data-stopped-first={answer.stoppedFirst}>Stopped {answer.stoppedFirst} workload{answer.stoppedFirst === 1 ? '' : 's'} on the old target before the copy: it serves nothing until the move's release is live.</p>}
      {answer.copiedVolumes?.map((c) => (
        <p key={c.volume} data-copied-volume={c.volume}>
          Copied volume {c.volume} to {answer.target}: backup {c.backup} unpacked into {c.dockerVolume}.
        </p>
      ))}
      {answer.scaling && (
        <p data-scaling={answer.scaling.id}>
          Scaling the running release to {answer.replicas} replica{answer.replicas === 1 ? '' : 's'} now: {log(answer.scaling.id)}.
        </p>
      )}
      {body.replicas !== undefined && !answer.scaling && !answer.moving && <p>The new replica count applies at the next release of {env} (nothing runs yet, or a deploy is under way).</p>}
      {runtime && !answer.moving && (
        <p>
          {answer.scaling ? 'The other settings apply' : `${runtimeKeys.filter((k) => body[k] !== undefined).length === 1 ? 'It applies' : 'They apply'}`} at the next release of {env}: a deploy, promotion, config change or rollback.
        </p>
      )}
      {body.volumes !== undefined && !answer.moving && <p data-volumes-saved="">The volumes are mounted (or no longer mounted) from the next release on; a removed volume keeps its data on its target.</p>}
      {protectionKeys.some((k) => body[k] !== undefined) && <p>Approval, promotion and gates apply to the next promotion, deploy or rollback into {env}.</p>}
    </div>
  );
}
