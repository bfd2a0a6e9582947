/**
 * Adding a service: adopting an existing server (its admin URL is write-only: a password field,
 * cleared as soon as it was sent, whatever the answer; the server checks it before storing it
 * encrypted), or running one (a provisioned PostgreSQL from an image of the workspace's
 * registry, PROJECT:TAG, pinned by digest, with optional memory and CPU limits).
 */
import { useState, type FormEvent } from 'react';
import { path, post } from '../api';
import type { CreateServiceBody, ServiceInfo } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

const kinds: ServiceInfo['kind'][] = ['postgres', 'mysql', 'redis', 'rabbitmq'];
const examples: Record<ServiceInfo['kind'], string> = {
  postgres: 'postgres://USER:PASSWORD@HOST:5432/postgres',
  mysql: 'mysql://root:PASSWORD@HOST:3306',
  redis: 'redis://USER:PASSWORD@HOST:6379',
  rabbitmq: 'amqp://USER:PASSWORD@HOST:5672',
  custom: 'HOST:PORT',
};

type Mode = 'adopt' | 'provision';

export function AdoptService({ ws, onAdopted }: { ws: string; onAdopted(): void }) {
  const [mode, setMode] = useState<Mode>('adopt');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ServiceInfo['kind']>('postgres');
  const [adopt, setAdopt] = useState('');
  const [managementUrl, setManagementUrl] = useState('');
  const [workloadAddress, setWorkloadAddress] = useState('');
  const [image, setImage] = useState('');
  const [memory, setMemory] = useState('');
  const [cpus, setCpus] = useState('');
  const [adopted, setAdopted] = useState<ServiceInfo | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: CreateServiceBody =
      mode === 'adopt'
        ? { name: name.trim(), kind, adopt, ...(kind === 'rabbitmq' && managementUrl.trim() ? { managementUrl: managementUrl.trim() } : {}) }
        : { name: name.trim(), kind: 'postgres', image: image.trim(), ...(memory.trim() ? { memory: memory.trim() } : {}), ...(cpus.trim() ? { cpus: cpus.trim() } : {}) };
    if (mode === 'adopt' && workloadAddress.trim()) body.workloadAddress = workloadAddress.trim();
    setAdopt('');
    setAdopted(null);
    const r = await action.run(() => post<ServiceInfo>(path('workspaces', ws, 'services'), body));
    if (!r) return;
    setName('');
    setManagementUrl('');
    setWorkloadAddress('');
    setImage('');
    setMemory('');
    setCpus('');
    setAdopted(r);
    onAdopted();
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="adopt-title" autoComplete="off">
      <h2 id="adopt-title">Add a service</h2>
      <fieldset className="choice">
        <legend className="sr-only">How</legend>
        <label className="check">
          <input type="radio" name="service-mode" checked={mode === 'adopt'} onChange={() => setMode('adopt')} /> Adopt a server
        </label>
        <label className="check">
          <input type="radio" name="service-mode" checked={mode === 'provision'} onChange={() => setMode('provision')} /> Run one (provisioned PostgreSQL)
        </label>
      </fieldset>
      <div className="fields">
        <div>
          <label htmlFor="service-name">Name</label>
          <input id="service-name" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} placeholder="main-db" />
        </div>
        {mode === 'adopt' ? (
          <>
            <div>
              <label htmlFor="service-kind">Kind</label>
              <select id="service-kind" value={kind} onChange={(e) => setKind(e.target.value as ServiceInfo['kind'])}>
                {kinds.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor="service-adopt">Admin URL (write-only)</label>
              <input id="service-adopt" type="password" autoComplete="new-password" value={adopt} onChange={(e) => setAdopt(e.target.value)} required placeholder={examples[kind]} />
            </div>
            {kind === 'rabbitmq' && (
              <div>
                <label htmlFor="service-management">Management URL (optional)</label>
                <input id="service-management" value={managementUrl} onChange={(e) => setManagementUrl(e.target.value)} spellCheck={false} placeholder="http://HOST:15672" />
              </div>
            )}
            <div>
              <label htmlFor="service-workload">Workload address (optional)</label>
              <input id="service-workload" value={workloadAddress} onChange={(e) => setWorkloadAddress(e.target.value)} spellCheck={false} placeholder="HOST[:PORT] workloads reach it at" />
            </div>
          </>
        ) : (
          <>
            <div>
              <label htmlFor="service-image">Image (PROJECT:TAG of this workspace)</label>
              <input id="service-image" value={image} onChange={(e) => setImage(e.target.value)} required spellCheck={false} placeholder="postgres:16" />
            </div>
            <div>
              <label htmlFor="service-memory">Memory (optional)</label>
              <input id="service-memory" value={memory} onChange={(e) => setMemory(e.target.value)} spellCheck={false} placeholder="512m" />
            </div>
            <div>
              <label htmlFor="service-cpus">CPUs (optional)</label>
              <input id="service-cpus" value={cpus} onChange={(e) => setCpus(e.target.value)} spellCheck={false} placeholder="1" />
            </div>
            <p className="muted small">Kind: postgres. Its data lives in a named volume, kept when the service is removed unless you drop it.</p>
          </>
        )}
      </div>
      <ErrorNote error={action.error} />
      {mode === 'adopt' ? (
        <button type="submit" disabled={action.busy || name.trim() === '' || adopt === ''}>
          {action.busy ? 'Checking the server…' : 'Adopt service'}
        </button>
      ) : (
        <button type="submit" disabled={action.busy || name.trim() === '' || image.trim() === ''}>
          {action.busy ? 'Starting the server…' : 'Run service'}
        </button>
      )}
      {adopted && (
        <p role="status" className="note">
          {adopted.provisioned
            ? `Running ${adopted.kind} service ${adopted.name} from ${adopted.provisioned.image} (${adopted.provisioned.health}); workloads reach it at ${adopted.workloadAddress}.`
            : `Adopted ${adopted.kind} service ${adopted.name} at ${adopted.address} (server ${adopted.serverVersion ?? 'version unknown'}); workloads reach it at ${adopted.workloadAddress}.`}
        </p>
      )}
    </form>
  );
}
