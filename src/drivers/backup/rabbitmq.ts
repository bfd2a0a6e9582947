/**
 * RabbitMQ backups: the vhost's definitions (queues, exchanges, bindings, policies, parameters)
 * through the management API (`GET /api/definitions/{vhost}`), as JSON. Messages are not part of
 * them. A restore checks the whole document first (JSON, the lists, no item of another vhost),
 * imports it (`POST /api/definitions/{vhost}`), then removes the queues, exchanges, bindings and
 * policies made since, so the vhost is defined exactly as at the backup. RabbitMQ has no
 * transactions: an import the broker refuses midway (e.g. a queue redeclared with other
 * arguments) may leave part of it applied; nothing is removed then. A document of another vhost
 * (a backup whose attachment is gone, loaded into the new attachment) is checked against that
 * vhost and its items moved to the new one before the import.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';
import type { ServiceBackupDriver } from '../../services/backup-driver.js';
import { assertName } from '../failure.js';
import { api } from '../rabbitmq.js';

const enc = encodeURIComponent;

interface Binding {
  source: string;
  destination: string;
  destination_type: string;
  routing_key: string;
  arguments?: Record<string, unknown>;
  properties_key?: string;
}

interface Definitions {
  queues: { name: string }[];
  exchanges: { name: string }[];
  bindings: Binding[];
  policies: { name: string }[];
  parameters: unknown[];
}

function bad(why: string): SlipwayError {
  return new SlipwayError('SLW_BACKUP_INVALID', `the RabbitMQ definitions are not valid (${why}); nothing was changed`);
}

const lists = ['queues', 'exchanges', 'bindings', 'policies', 'parameters'] as const;

/** Parses and checks a definitions document of `vhost`. */
export function parseDefinitions(text: string, vhost: string): Definitions & Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('not an object');
  const d = doc as Record<string, unknown>;
  for (const name of lists) {
    const list = d[name] ?? [];
    if (!Array.isArray(list)) throw bad(`${name} is not a list`);
    for (const item of list) {
      if (typeof item !== 'object' || item === null) throw bad(`an item of ${name} is not an object`);
      const vh = (item as { vhost?: unknown }).vhost;
      if (vh !== undefined && vh !== vhost) throw bad(`an item of ${name} belongs to another vhost`);
      if (name !== 'bindings' && name !== 'parameters' && typeof (item as { name?: unknown }).name !== 'string') throw bad(`an item of ${name} has no name`);
    }
    d[name] = list;
  }
  for (const b of d.bindings as Binding[]) if (typeof b.source !== 'string' || typeof b.destination !== 'string' || (b.destination_type !== 'queue' && b.destination_type !== 'exchange') || typeof b.routing_key !== 'string') throw bad('a binding lacks source, destination or routing key');
  return d as Definitions & Record<string, unknown>;
}

/** The document with every item that names `from` as its vhost naming `to` instead (checked by {@link parseDefinitions} first). */
export function moveDefinitions<T extends Definitions & Record<string, unknown>>(defs: T, from: string, to: string): T {
  if (from === to) return defs;
  const out: Record<string, unknown> = { ...defs };
  for (const name of lists) out[name] = (defs[name] as object[]).map((item) => ((item as { vhost?: unknown }).vhost === from ? { ...item, vhost: to } : item));
  return out as T;
}

const bindingId = (b: Binding) => JSON.stringify([b.source, b.destination_type, b.destination, b.routing_key, b.arguments ?? {}]);

export const rabbitmqBackupDriver: ServiceBackupDriver = {
  kind: 'rabbitmq',

  async backup(admin, resource, out) {
    assertName(resource, 'resource');
    const defs = await api(admin, 'read the vhost definitions', 'GET', `/definitions/${enc(resource)}`);
    const text = JSON.stringify(defs, null, 1);
    await new Promise<void>((resolve, reject) => out.write(text, (err) => (err ? reject(err) : resolve())));
  },

  async restore(admin, resource, input, from) {
    assertName(resource, 'resource');
    const source = from?.resource ?? resource;
    assertName(source, 'resource');
    const chunks: Buffer[] = [];
    for await (const chunk of input as AsyncIterable<Buffer>) chunks.push(chunk);
    const defs = moveDefinitions(parseDefinitions(Buffer.concat(chunks).toString('utf8'), source), source, resource);
    const vh = enc(resource);
    await api(admin, 'import the vhost definitions', 'POST', `/definitions/${vh}`, defs);
    // Then remove what was made since the backup.
    const queues = new Set(defs.queues.map((x) => x.name));
    for (const x of ((await api(admin, 'list the queues', 'GET', `/queues/${vh}`)) ?? []) as { name: string }[]) {
      if (!queues.has(x.name)) await api(admin, 'delete a queue', 'DELETE', `/queues/${vh}/${enc(x.name)}`, undefined, [404]);
    }
    const exchanges = new Set(defs.exchanges.map((x) => x.name));
    for (const x of ((await api(admin, 'list the exchanges', 'GET', `/exchanges/${vh}`)) ?? []) as { name: string }[]) {
      if (x.name !== '' && !x.name.startsWith('amq.') && !exchanges.has(x.name)) await api(admin, 'delete an exchange', 'DELETE', `/exchanges/${vh}/${enc(x.name)}`, undefined, [404]);
    }
    const bindings = new Set(defs.bindings.map(bindingId));
    for (const b of ((await api(admin, 'list the bindings', 'GET', `/bindings/${vh}`)) ?? []) as Binding[]) {
      if (b.source === '' || bindings.has(bindingId(b))) continue; // the default exchange's implicit bindings
      const kind = b.destination_type === 'queue' ? 'q' : 'e';
      await api(admin, 'delete a binding', 'DELETE', `/bindings/${vh}/e/${enc(b.source)}/${kind}/${enc(b.destination)}/${enc(b.properties_key ?? '~')}`, undefined, [404]);
    }
    const policies = new Set(defs.policies.map((x) => x.name));
    for (const p of ((await api(admin, 'list the policies', 'GET', `/policies/${vh}`)) ?? []) as { name: string }[]) {
      if (!policies.has(p.name)) await api(admin, 'delete a policy', 'DELETE', `/policies/${vh}/${enc(p.name)}`, undefined, [404]);
    }
  },
};
