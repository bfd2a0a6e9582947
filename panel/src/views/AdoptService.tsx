/**
 * Adopting an existing server: its admin URL is write-only (a password field, cleared as soon as
 * it was sent, whatever the answer); the server checks it before storing it encrypted.
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
};

export function AdoptService({ ws, onAdopted }: { ws: string; onAdopted(): void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ServiceInfo['kind']>('postgres');
  const [adopt, setAdopt] = useState('');
  const [managementUrl, setManagementUrl] = useState('');
  const [workloadAddress, setWorkloadAddress] = useState('');
  const [adopted, setAdopted] = useState<ServiceInfo | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: CreateServiceBody = { name: name.trim(), kind, adopt };
    if (kind === 'rabbitmq' && managementUrl.trim()) body.managementUrl = managementUrl.trim();
    if (workloadAddress.trim()) body.workloadAddress = workloadAddress.trim();
    setAdopt('');
    setAdopted(null);
    const r = await action.run(() => post<ServiceInfo>(path('workspaces', ws, 'services'), body));
    if (!r) return;
    setName('');
    setManagementUrl('');
    setWorkloadAddress('');
    setAdopted(r);
    onAdopted();
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="adopt-title" autoComplete="off">
      <h2 id="adopt-title">Adopt a service</h2>
      <div className="fields">
        <div>
          <label htmlFor="service-name">Name</label>
          <input id="service-name" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} placeholder="main-db" />
        </div>
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
      </div>
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy || name.trim() === '' || adopt === ''}>
        {action.busy ? 'Checking the server…' : 'Adopt service'}
      </button>
      {adopted && (
        <p role="status" className="note">
          Adopted {adopted.kind} service {adopted.name} at {adopted.address} (server {adopted.serverVersion ?? 'version unknown'}); workloads reach it at {adopted.workloadAddress}.
        </p>
      )}
    </form>
  );
}
