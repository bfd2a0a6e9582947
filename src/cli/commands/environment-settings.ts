/** `slipway env set` and `slipway env show`: an environment's runtime settings. */
import type { Command } from 'commander';
import type { EffectiveGates, EnvironmentCertificate, EnvironmentSettings, EnvironmentSettingsView, SettingsChanged } from '../../api/settings.js';
import { SlipwayError } from '../../core/errors.js';
import { defaultDomain, parseCpusLimit, parseMemoryLimit, UNLIMITED } from '../../core/deploy.js';
import { describeHealthGate, parseGateFlag } from '../../core/gates.js';
import { assertVolumeName, isSpread, parseVolumeFlag } from '../../core/volumes.js';
import { apiPath } from '../client.js';
import { required, wholeNumber, withEnvironment, type Ctx, type Runner } from '../context.js';
import { emit, table } from '../output.js';
import { humanBytes } from './registry.js';


const settingsPath = (ctx: Ctx) => apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', required(ctx, 'env'), 'settings');

const int = (name: string, value: unknown): number => wholeNumber(`--${name}`, value);

/** The word `--domain` takes to go back to the environment's default domain. */
const DEFAULT_DOMAIN = 'default';

const defaultDomainOf = (ctx: Ctx) => defaultDomain(required(ctx, 'workspace'), required(ctx, 'project'), required(ctx, 'env'));

/** The word `--require-approval` takes to go back to the default approval (prod's, or the project manifest's). */
const DEFAULT_APPROVAL = 'default';

/** `--require-approval` (true), `--no-require-approval` (false), `--require-approval default` (null: the default again). */
function approvalOption(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (String(value).trim().toLowerCase() === DEFAULT_APPROVAL) return null;
  throw new SlipwayError('SLW_USAGE', `--require-approval takes no value, or ${DEFAULT_APPROVAL} to go back to the default approval (got '${String(value)}'); --no-require-approval lets them run at once`);
}

/** `--domain`: a domain, or `default` (null: the environment's default domain again). */
function domainOption(ctx: Ctx, value: string): string | null {
  const text = value.trim();
  if (text.toLowerCase() === DEFAULT_DOMAIN) return null;
  if (text === '') throw new SlipwayError('SLW_USAGE', `--domain needs a domain name like shop.example.com, or ${DEFAULT_DOMAIN} to go back to ${defaultDomainOf(ctx)}`);
  return text;
}

/** One certificate as a line: where, what state, from which issuer, until when (or why not). */
export function certificateLine(c: EnvironmentCertificate): string {
  const issued = c.state === 'valid' || c.state === 'expired' ? `, issued by ${c.issuer ?? 'unknown'}, until ${c.notAfter ?? 'unknown'}` : '';
  return `${c.domain} on ${c.server}: ${c.state} (${c.source}${issued})${c.error ? `: ${c.error}` : ''}`;
}

const from = (source: string) => (source === 'manifest' ? ' (from the project manifest)' : '');

function show(s: EnvironmentSettings & { certificates?: EnvironmentCertificate[]; gates?: EffectiveGates }, ownDefault: string): string {
  const g = s.gates ?? { pipeline: s.gatePipeline, health: s.gateHealth, source: { pipeline: 'environment', health: 'environment' } };
  const certificates = s.certificates === undefined ? [] : s.certificates.length === 0 ? [['certificate', s.target === 'local' ? 'none (the local edge serves HTTP only)' : 'none reported yet']] : s.certificates.map((c) => ['certificate', certificateLine(c)]);
  return table(
    ['SETTING', 'VALUE'],
    [
      ['domain', s.domain === ownDefault ? `${s.domain} (default)` : s.domain],
      ['port', s.port],
      ['replicas', `${s.replicas} (max surge ${s.maxSurge})`],
      ['strategy', s.strategy],
      ['health', s.healthType === 'http' ? `http ${s.healthPath} within ${s.healthTimeout}s` : `${s.healthType} within ${s.healthTimeout}s`],
      ['memory', s.memoryBytes === null ? UNLIMITED : humanBytes(s.memoryBytes)],
      ['cpus', s.nanoCpus === null ? UNLIMITED : String(s.nanoCpus / 1e9)],
      ['approval', (s.gates?.requireApproval ?? s.requireApproval) ? `required for promotions, deploys and rollbacks${from(s.gates?.source.approval ?? '')}` : 'not required'],
      ['promotion', s.requirePromotionFrom ? `only images that ran in ${s.requirePromotionFrom}` : 'any image'],
      ['gate pipeline', g.pipeline ? `${g.pipeline} must pass against the candidate image${from(g.source.pipeline)}` : 'none'],
      ['gate health', g.health ? `${describeHealthGate(g.health)}${from(g.source.health)}` : 'none'],
      ['target', s.target],
      ...(s.volumes.length === 0 ? [['volumes', 'none']] : s.volumes.map((v) => ['volume', `${v.name} at ${v.path} (Docker volume ${v.volume})`])),
      ...certificates,
    ],
  );
}

/** `--volume NAME:/PATH` and `--remove-volume NAME` as the body's `volumes` change (null: none given). */
export function volumeChange(add: string[], remove: string[]): Record<string, string | null> | null {
  if (add.length === 0 && remove.length === 0) return null;
  const change: Record<string, string | null> = {};
  for (const name of remove) change[assertVolumeName(name.trim())] = null;
  for (const text of add) {
    const v = parseVolumeFlag(text.trim());
    if (v.name in change) throw new SlipwayError('SLW_USAGE', `volume ${v.name} is given twice (--volume and --remove-volume, or two --volume): give each name once`);
    change[v.name] = v.path;
  }
  return change;
}

export function registerEnvironmentSettings(env: Command, run: Runner): void {
  withEnvironment(env.command('show').description("an environment's runtime settings, and the certificates of its domain on the servers it runs on")).action(
    run(async (ctx) => {
      const s = await ctx.client.request<EnvironmentSettingsView>('GET', settingsPath(ctx));
      emit(ctx.io, ctx.json, s, () => show(s, defaultDomainOf(ctx)));
    }),
  );
  withEnvironment(
    env
      .command('set')
      .description("change an environment's runtime settings (applied at its next release)")
      .option('--domain <domain>', `domain the edge proxy routes to this environment; ${DEFAULT_DOMAIN}: back to its default domain ENV.PROJECT.WORKSPACE.localhost`)
      .option('--port <n>', 'port the app listens on in its container')
      .option('--replicas <n>', 'number of containers')
      .option('--max-surge <n>', 'extra containers a rolling deploy may start at once')
      .option('--strategy <s>', 'rolling (zero downtime) or recreate (stops the old first: downtime, for apps with volumes)')
      .option('--health <type>', 'readiness check: http, tcp, or image (the image HEALTHCHECK)')
      .option('--health-path <path>', 'HTTP readiness path (default /)')
      .option('--health-timeout <seconds>', 'how long a new container gets to become ready')
      .option('--memory <size>', `memory limit, e.g. 512m or 1g; ${UNLIMITED}: no limit`)
      .option('--cpus <n>', `CPU limit, e.g. 0.5; ${UNLIMITED}: no limit`)
      .option('--require-approval [default]', `promotions, deploys and rollbacks into this environment wait for an admin; ${DEFAULT_APPROVAL}: back to the default (prod: required; else the project manifest's approval) (admins and owners only)`)
      .option('--no-require-approval', 'promotions, deploys and rollbacks into this environment run at once (admins and owners only)')
      .option('--require-promotion <env>', 'accept only images that ran successfully in <env> (admins and owners only)')
      .option('--no-require-promotion', 'accept any image')
      .option('--gate <gate>', 'pipeline=NAME or health=BAKE[,max-error-rate=P%][,path=/x]; an empty value (pipeline=, health=) removes that gate; repeatable (admins and owners only; docs/gates.md)', (v: string, acc: string[] = []) => [...acc, v])
      .option('--target <name>', 'where the environment runs: local (default) or a server')
      .option('--copy-volumes', "with --target: carry the volumes' data along (a backup on the old target, unpacked on the new one before the move's release)")
      .option('--stop-first', "with --copy-volumes: stop the replicas on the old target before the backups, so no write stays behind (it serves nothing until the move's release is live)")
      .option('--servers <a,b>', 'spread its replicas across these servers (each server\'s edge serves the domain)')
      .option('--server-label <key=value>', 'spread its replicas across every joined server with this label')
      .option('--volume <name:/path>', 'mount the named volume at /path in every replica (kept across deploys; a new path for an existing name mounts the same data there); repeatable', (v: string, acc: string[] = []) => [...acc, v])
      .option('--remove-volume <name>', 'stop mounting the named volume (its data stays on the target); repeatable', (v: string, acc: string[] = []) => [...acc, v])
      .addHelpText(
        'after',
        [
          '',
          'Back to a default:',
          `  --domain ${DEFAULT_DOMAIN}                the default domain ENV.PROJECT.WORKSPACE.localhost`,
          `  --memory ${UNLIMITED}              no memory limit`,
          `  --cpus ${UNLIMITED}                no CPU limit`,
          `  --require-approval ${DEFAULT_APPROVAL}      prod: required; else the project manifest's approval, if it sets one`,
          '  --no-require-promotion          any image',
          "  --gate pipeline= / health=      no gate of its own (the project manifest's, if it sets one)",
          "  --target local                  the server's own Docker engine",
          '  --remove-volume NAME            no longer mounted (its data stays; env delete --drop-volumes deletes it)',
          '',
          'Volumes apply at the next release (deploy, config change, rollback). During a rolling deploy old and',
          'new replicas share a volume: use --strategy recreate for apps that lock their data (SQLite, etc.).',
          'A volume lives on the server its environment runs on: a move to another target starts with empty volumes,',
          'unless --copy-volumes carries them (data written on the old target after its backup stays behind,',
          'unless --stop-first stops it there first: then it is down until the move\'s release is live).',
          `Example: slipway env set -e dev --domain ${DEFAULT_DOMAIN} --memory ${UNLIMITED} --cpus ${UNLIMITED}`,
        ].join('\n'),
      ),
  ).action(
    run(async (ctx) => {
      const o = ctx.opts;
      const body: Record<string, unknown> = {};
      if (o.domain !== undefined) body.domain = domainOption(ctx, String(o.domain));
      if (o.port !== undefined) body.port = int('port', o.port);
      if (o.replicas !== undefined) body.replicas = int('replicas', o.replicas);
      if (o.maxSurge !== undefined) body.maxSurge = int('max-surge', o.maxSurge);
      if (o.strategy !== undefined) body.strategy = String(o.strategy);
      if (o.health !== undefined) body.healthType = String(o.health);
      if (o.healthPath !== undefined) body.healthPath = String(o.healthPath);
      if (o.healthTimeout !== undefined) body.healthTimeout = int('health-timeout', o.healthTimeout);
      if (o.memory !== undefined) body.memoryBytes = parseMemoryLimit(String(o.memory));
      if (o.cpus !== undefined) body.nanoCpus = parseCpusLimit(String(o.cpus));
      if (o.requireApproval !== undefined) body.requireApproval = approvalOption(o.requireApproval);
      if (o.requirePromotion !== undefined) body.requirePromotionFrom = o.requirePromotion === false ? null : String(o.requirePromotion);
      for (const g of (o.gate as string[] | undefined) ?? []) {
        const change = parseGateFlag(g);
        if ('pipeline' in change) body.gatePipeline = change.pipeline;
        else body.gateHealth = change.health;
      }
      const placement = [o.target, o.servers, o.serverLabel].filter((v) => v !== undefined);
      if (placement.length > 1) throw new SlipwayError('SLW_USAGE', 'give one of --target, --servers and --server-label');
      if (o.target !== undefined) body.target = String(o.target);
      if (o.servers !== undefined) body.target = String(o.servers).split(',').map((x) => x.trim()).filter(Boolean).join(',');
      if (o.serverLabel !== undefined) body.target = `label:${String(o.serverLabel)}`;
      if (o.copyVolumes === true) {
        if (o.target === undefined) throw new SlipwayError('SLW_USAGE', '--copy-volumes carries the volumes along a move: give --target NAME with it');
        body.copyVolumes = true;
      }
      if (o.stopFirst === true) {
        if (o.copyVolumes !== true) throw new SlipwayError('SLW_USAGE', '--stop-first stops the environment before its volumes are copied: give it with --target NAME --copy-volumes');
        body.stopFirst = true;
      }
      const volumes = volumeChange((o.volume as string[] | undefined) ?? [], (o.removeVolume as string[] | undefined) ?? []);
      if (volumes) body.volumes = volumes;
      if (Object.keys(body).length === 0) throw new SlipwayError('SLW_USAGE', 'nothing to change: pass at least one of --domain, --port, --replicas, --strategy, --health-path, --memory, --cpus, --require-approval, --require-promotion, --gate, --target, --servers, --server-label, --volume, --remove-volume');
      const s = await ctx.client.request<SettingsChanged>('PATCH', settingsPath(ctx), body);
      emit(ctx.io, ctx.json, s, () => show(s, defaultDomainOf(ctx)) + (s.scaling ? `\nscaling the running release to ${s.replicas} replica(s) now (deployment ${s.scaling.id}; slipway logs ${s.scaling.id} --follow)` : '') + (s.moving ? `\nmoving the running release to '${s.target}' now: it leaves the old target once live there (deployment ${s.moving.id}; slipway logs ${s.moving.id} --follow)` : '') + (s.stoppedFirst !== undefined ? `\nstopped ${s.stoppedFirst} workload(s) on the old target first: nothing was written after the copy, and it serves nothing until the move's release is live` : '') + (s.copiedVolumes ? s.copiedVolumes.map((c) => `\ncopied volume ${c.volume} to '${s.target}': backup ${c.backup} (${c.size} bytes) unpacked into ${c.dockerVolume}`).join('') : s.moving && s.volumes.length > 0 && !isSpread(s.target) ? `\nits volumes' data stays on the old target: the new one starts with empty volumes (add --copy-volumes to carry it; docs/deploy.md#volumes)` : '') + (volumes ? '\nthe volumes apply at the next release (slipway deploy, a config change, or slipway rollback)' : ''));
    }),
  );
}
