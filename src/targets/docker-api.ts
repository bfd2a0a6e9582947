/**
 * The slice of the Docker Engine API (v1.41) the deploy target uses, over the unix socket.
 * Credentials travel only in the `X-Registry-Auth` header, environment variables only in the
 * create body: no request URL ever carries a secret.
 *
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { SlipwayError } from '../core/errors.js';

const api = '/v1.41';

export class DockerError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ContainerInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: { running: boolean; exitCode: number | null; health: 'starting' | 'healthy' | 'unhealthy' | null };
  hostPort: number | null;
}

export interface CreateSpec {
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  containerPort: number;
  memoryBytes?: number;
  nanoCpus?: number;
}

interface InspectBody {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> | null };
  State: { Running: boolean; ExitCode: number; Health?: { Status: string } };
  NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
}

export class DockerApi {
  constructor(readonly socketPath = '/var/run/docker.sock') {}

  private call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
      const req = httpRequest({ socketPath: this.socketPath, method, path: `${api}${path}`, headers: { ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}), ...options.headers }, signal: options.signal }, resolve);
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') reject(new SlipwayError('SLW_DOCKER_UNAVAILABLE', `no Docker engine answers at ${this.socketPath}: start dockerd`));
        else reject(error);
      });
      req.end(body);
    });
  }

  private async json<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; ok?: number[] } = {}): Promise<{ status: number; value: T | undefined }> {
    const res = await this.call(method, path, options);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status >= 400 && !(options.ok ?? []).includes(status)) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        /* plain text */
      }
      throw new DockerError(status, `docker ${method} ${path.split('?')[0]}: ${message.trim()}`);
    }
    return { status, value: text.length > 0 && status < 400 ? (JSON.parse(text) as T) : undefined };
  }

  async imageExists(ref: string): Promise<boolean> {
    const r = await this.json('GET', `/images/${encodeURIComponent(ref)}/json`, { ok: [404] });
    return r.status === 200;
  }

  async imageHasHealthcheck(ref: string): Promise<boolean> {
    const r = await this.json<{ Config?: { Healthcheck?: { Test?: string[] } } }>('GET', `/images/${encodeURIComponent(ref)}/json`);
    const test = r.value?.Config?.Healthcheck?.Test;
    return Array.isArray(test) && test.length > 0 && test[0] !== 'NONE';
  }

  /** Pulls `repo@digest` or `repo:tag`; the stream's error lines become one error. */
  async pull(ref: string, auth: { username: string; password: string; serveraddress: string }, onLine?: (line: string) => void): Promise<void> {
    const at = ref.indexOf('@');
    const [fromImage, tag] = at >= 0 ? [ref.slice(0, at), ref.slice(at + 1)] : [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
    // URL-safe base64 *with* padding: the engine decodes it with Go's base64.URLEncoding and
    // silently pulls anonymously when that fails (Node's 'base64url' drops the padding).
    const header = Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    const res = await this.call('POST', `/images/create?fromImage=${encodeURIComponent(fromImage)}&tag=${encodeURIComponent(tag)}`, { headers: { 'x-registry-auth': header } });
    let buffer = '';
    let failure: string | undefined;
    for await (const chunk of res) {
      buffer += (chunk as Buffer).toString('utf8');
      let cut: number;
      while ((cut = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, cut).trim();
        buffer = buffer.slice(cut + 1);
        if (!line) continue;
        const doc = JSON.parse(line) as { status?: string; error?: string; progress?: string };
        if (doc.error) failure = doc.error;
        else if (doc.status) onLine?.(`${doc.status}${doc.progress ? ` ${doc.progress}` : ''}`);
      }
    }
    if ((res.statusCode ?? 0) >= 400 || failure) throw new DockerError(res.statusCode ?? 500, `docker pull ${ref}: ${failure ?? buffer.trim()}`);
  }

  async create(name: string, spec: CreateSpec): Promise<string> {
    const port = `${spec.containerPort}/tcp`;
    const r = await this.json<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
      body: {
        Image: spec.image,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        ExposedPorts: { [port]: {} },
        HostConfig: {
          PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
          RestartPolicy: { Name: 'unless-stopped' },
          ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
          ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
        },
      },
    });
    return r.value!.Id;
  }

  async start(name: string): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(name)}/start`, { ok: [304] });
  }

  async stop(name: string, graceSeconds: number): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(name)}/stop?t=${graceSeconds}`, { ok: [304, 404] });
  }

  async remove(name: string): Promise<void> {
    await this.json('DELETE', `/containers/${encodeURIComponent(name)}?force=true`, { ok: [404] });
  }

  async inspect(name: string): Promise<ContainerInfo | null> {
    const r = await this.json<InspectBody>('GET', `/containers/${encodeURIComponent(name)}/json`, { ok: [404] });
    if (r.status === 404 || !r.value) return null;
    const c = r.value;
    const binding = Object.values(c.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []).find((b) => b.HostIp === '127.0.0.1' || b.HostIp === '');
    const health = c.State.Health?.Status;
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      labels: c.Config.Labels ?? {},
      state: { running: c.State.Running, exitCode: c.State.Running ? null : c.State.ExitCode, health: health === 'starting' || health === 'healthy' || health === 'unhealthy' ? health : null },
      hostPort: binding ? Number(binding.HostPort) : null,
    };
  }

  async list(labels: Record<string, string>): Promise<string[]> {
    const filters = JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });
    const r = await this.json<Array<{ Names: string[] }>>('GET', `/containers/json?all=true&filters=${encodeURIComponent(filters)}`);
    return (r.value ?? []).map((c) => (c.Names[0] ?? '').replace(/^\//, ''));
  }

  /** Output lines (stdout and stderr, demultiplexed); follows until the container stops or `signal` aborts. */
  async *logs(name: string, options: { follow: boolean; tail: number }, signal?: AbortSignal): AsyncGenerator<{ stream: 'stdout' | 'stderr'; line: string }> {
    const res = await this.call('GET', `/containers/${encodeURIComponent(name)}/logs?stdout=true&stderr=true&follow=${options.follow}&tail=${options.tail}`, { signal });
    if ((res.statusCode ?? 0) >= 400) return;
    let pending = Buffer.alloc(0);
    const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
    try {
      for await (const chunk of res) {
        pending = Buffer.concat([pending, chunk as Buffer]);
        while (pending.length >= 8) {
          const size = pending.readUInt32BE(4);
          if (pending.length < 8 + size) break;
          const stream = pending[0] === 2 ? 'stderr' : 'stdout';
          partial[stream] += pending.subarray(8, 8 + size).toString('utf8');
          pending = pending.subarray(8 + size);
          const lines = partial[stream].split('\n');
          partial[stream] = lines.pop() ?? '';
          for (const line of lines) yield { stream, line };
        }
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
    for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) yield { stream, line: partial[stream] };
  }
}
