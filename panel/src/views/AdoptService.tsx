/**
 * Adding a service: adopting an existing server (its admin URL is write-only: a password field,
 * cleared as soon as it was sent, whatever the answer; the server checks it before storing it
 * encrypted; a custom service is adopted as HOST:PORT), or running one from an image of the
 * workspace's registry, PROJECT:TAG, pinned by digest, with optional memory and CPU limits: a
 * PostgreSQL, or a custom image with its port, health check, volume and variables (the variables
 * are write-only too: cleared once sent, never shown again).
 */
import { useState, type FormEvent } from 'react';
import { path, post } from '../api';
import type { CreateServiceBody, ServiceInfo } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';
import { CustomFields, customBody, emptyCustom, type CustomDraft } from './CustomFields';

const kinds: ServiceInfo['kind'][] = ['postgres', 'mysql', 'redis', 'rabbitmq', 'custom'];
const examples: Record<ServiceInfo['kind'], string> = {
  postgres: 'postgres://USER:PASSWORD@HOST:5432/postgres',
  mysql: 'mysql://root:PASSWORD@HOST:3306',
  redis: 'redis://USER:PASSWORD@HOST:6379',
  rabbitmq: 'amqp://USER:PASSWORD@HOST:5672',
  custom: 'HOST:PORT',
};

type Mode = 'adopt' | 'provision';

function Field({ id, label, value, onChange, placeholder, required = false }: { id: string; label: string; value: string; onChange(v: string): void; placeholder?: string; required?: boolean }) {
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} required={required} spellCheck={false} placeholder={placeholder} />
    </div>
  );
}

export function AdoptService({ ws, onAdopted }: { ws: string; onAdopted(): void }) {
  const [mode, setMode] = useState<Mode>('adopt');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ServiceInfo['kind']>('postgres');
  const [runKind, setRunKind] = useState<'postgres' | 'custom'>('postgres');
  const [adopt, setAdopt] = useState('');
  const [managementUrl, setManagementUrl] = useState('');
  const [workloadAddress, setWorkloadAddress] = useState('');
  const [image, setImage] = useState('');
  const [memory, setMemory] = useState('');
  const [cpus, setCpus] = useState('');
  const [custom, setCustom] = useState<CustomDraft>(emptyCustom);
  const [adopted, setAdopted] = useState<ServiceInfo | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const opt = (key: 'memory' | 'cpus', v: string) => (v.trim() ? { [key]: v.trim() } : {});
    const body: CreateServiceBody =
      mode === 'adopt'
        ? { name: name.trim(), kind, adopt: kind === 'custom' ? adopt.trim() : adopt, ...(kind === 'rabbitmq' && managementUrl.trim() ? { managementUrl: managementUrl.trim() } : {}), ...(kind === 'custom' && custom.scheme.trim() ? { scheme: custom.scheme.trim() } : {}) }
        : { name: name.trim(), kind: runKind, image: image.trim(), ...opt('memory', memory), ...opt('cpus', cpus), ...(runKind === 'custom' ? customBody(custom) : {}) };
    if (mode === 'adopt' && workloadAddress.trim()) body.workloadAddress = workloadAddress.trim();
    // Write-only: the admin URL and the custom variables are gone from the form once sent, whatever the answer.
    setAdopt('');
    setCustom((c) => ({ ...c, env: '' }));
    setAdopted(null);
    const r = await action.run(() => post<ServiceInfo>(path('workspaces', ws, 'services'), body));
    if (!r) return;
    setName('');
    setManagementUrl('');
    setWorkloadAddress('');
    setImage('');
    setMemory('');
    setCpus('');
    setCustom(emptyCustom);
    setAdopted(r);
    onAdopted();
  };
  const adoptingCustom = mode === 'adopt' && kind === 'custom';
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="adopt-title" autoComplete="off">
      <h2 id="adopt-title">Add a service</h2>
      <fieldset className="choice">
        <legend className="sr-only">How</legend>
        <label className="check">
          <input type="radio" name="service-mode" checked={mode === 'adopt'} onChange={() => setMode('adopt')} /> Adopt a server
        </label>
        <label className="check">
          <input type="radio" name="service-mode" checked={mode === 'provision'} onChange={() => setMode('provision')} /> Run one (provisioned PostgreSQL or a custom image)
        </label>
      </fieldset>
      <div className="fields">
        <Field id="service-name" label="Name" value={name} onChange={setName} placeholder="main-db" required />
        <div>
          <label htmlFor="service-kind">Kind</label>
          {mode === 'adopt' ? (
            <select id="service-kind" value={kind} onChange={(e) => setKind(e.target.value as ServiceInfo['kind'])}>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          ) : (
            <select id="service-kind" value={runKind} onChange={(e) => setRunKind(e.target.value as 'postgres' | 'custom')}>
              <option value="postgres">postgres</option>
              <option value="custom">custom</option>
            </select>
          )}
        </div>
        {mode === 'adopt' ? (
          <>
            {adoptingCustom ? (
              <Field id="service-adopt" label="Address (HOST:PORT)" value={adopt} onChange={setAdopt} placeholder={examples.custom} required />
            ) : (
              <div>
                <label htmlFor="service-adopt">Admin URL (write-only)</label>
                <input id="service-adopt" type="password" autoComplete="new-password" value={adopt} onChange={(e) => setAdopt(e.target.value)} required placeholder={examples[kind]} />
              </div>
            )}
            {kind === 'rabbitmq' && <Field id="service-management" label="Management URL (optional)" value={managementUrl} onChange={setManagementUrl} placeholder="http://HOST:15672" />}
            {adoptingCustom && <Field id="service-scheme" label="URL scheme (optional)" value={custom.scheme} onChange={(scheme) => setCustom((c) => ({ ...c, scheme }))} placeholder="tcp" />}
            <Field id="service-workload" label="Workload address (optional)" value={workloadAddress} onChange={setWorkloadAddress} placeholder="HOST[:PORT] workloads reach it at" />
          </>
        ) : (
          <>
            <Field id="service-image" label="Image (PROJECT:TAG of this workspace)" value={image} onChange={setImage} placeholder={runKind === 'postgres' ? 'postgres:16' : 'meilisearch:1.8'} required />
            <Field id="service-memory" label="Memory (optional)" value={memory} onChange={setMemory} placeholder="512m" />
            <Field id="service-cpus" label="CPUs (optional)" value={cpus} onChange={setCpus} placeholder="1" />
            {runKind === 'custom' && <CustomFields draft={custom} onChange={setCustom} />}
            <p className="muted small">{runKind === 'postgres' ? 'Its data lives in a named volume, kept when the service is removed unless you drop it.' : 'Attached environments get NAME_HOST, NAME_PORT and NAME_URL; there are no per-attachment credentials and Slipway makes no backups of a custom service.'}</p>
          </>
        )}
      </div>
      <ErrorNote error={action.error} />
      {mode === 'adopt' ? (
        <button type="submit" disabled={action.busy || name.trim() === '' || adopt === ''}>
          {action.busy ? 'Checking the server…' : 'Adopt service'}
        </button>
      ) : (
        <button type="submit" disabled={action.busy || name.trim() === '' || image.trim() === '' || (runKind === 'custom' && custom.port.trim() === '')}>
          {action.busy ? 'Starting the server…' : 'Run service'}
        </button>
      )}
      {adopted && (
        <p role="status" className="note">
          {adopted.provisioned
            ? `Running ${adopted.kind} service ${adopted.name} from ${adopted.provisioned.image} (${adopted.provisioned.health}); workloads reach it at ${adopted.workloadAddress}.`
            : `Adopted ${adopted.kind} service ${adopted.name} at ${adopted.address}${adopted.serverVersion ? ` (server ${adopted.serverVersion})` : ''}; workloads reach it at ${adopted.workloadAddress}.`}
        </p>
      )}
    </form>
  );
}
