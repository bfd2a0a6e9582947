/** `slipway service …`: services (adopted or provisioned, custom images too), their attachments, backups and image upgrades. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { BackupScheduleBody, BackupScheduleState } from '../../api/backup-schedules.js';
import type { AttachmentChange, AttachmentList, BackupInfo, BackupList, RemovedService, RestoreResult, ServiceBackupList, ServiceDetail, ServiceInfo, ServiceList, UpgradeResult } from '../../api/services.js';
import { parseEnvPair } from '../../core/custom-services.js';
import { SlipwayError } from '../../core/errors.js';
import { parseDuration } from '../../core/manifest.js';
import { apiPath } from '../client.js';
import { envOption, required, withEnvironment, withWorkspace, type Ctx, type Runner } from '../context.js';
import { emit } from '../output.js';
import { readHidden } from '../stdin.js';
import { healths, waitHealth } from './service-wait.js';
import { attachmentTable, backupTable, bytes, changed, customLines, parseKeep, provisionedLines, restored, scheduleLines, serviceBackupTable, serviceTable, upgraded, upgradeTable } from './service-format.js';

const servicesPath = (ctx: Ctx, ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'services', ...rest);
const attachmentsPath = (ctx: Ctx, ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', envOption(ctx) ?? required(ctx, 'env'), 'attachments', ...rest);

const asOption = (cmd: Command) => cmd.option('--as <PREFIX>', 'variable prefix of a second attachment of one kind (e.g. ANALYTICS → ANALYTICS_DATABASE_URL)');
const asBody = (ctx: Ctx) => (ctx.opts.as === undefined ? {} : { as: String(ctx.opts.as) });

/** The variables of a custom image from --env KEY=VALUE and --env-file (KEY=VALUE lines; blank lines and # comments skipped). */
function customEnv(pairs: string[], file: string | undefined): Record<string, string> | undefined {
  let text = '';
  try {
    text = file === undefined ? '' : readFileSync(file, 'utf8');
  } catch (error) {
    throw new SlipwayError('SLW_USAGE', `cannot read --env-file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const lines = [...text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')), ...pairs];
  if (lines.length === 0) return undefined;
  return Object.fromEntries(lines.map((pair) => parseEnvPair(pair)));
}

/** `--keep N` (1 or more) or `all` (every scheduled backup stays). */
export function registerServices(program: Command, run: Runner): void {
  const service = program.command('service').description('services (PostgreSQL, MySQL/MariaDB, Redis, RabbitMQ, custom images) attached to environments, the data kinds with credentials of their own');
  withWorkspace(service.command('list').description("the workspace's services")).action(
    run(async (ctx) => {
      const r = await ctx.client.request<ServiceList>('GET', servicesPath(ctx));
      emit(ctx.io, ctx.json, r, () => (r.services.length === 0 ? 'no services yet: slipway service create NAME --kind postgres --adopt -' : serviceTable(r.services)));
    }),
  );
  withWorkspace(
    service
      .command('create <name>')
      .description('adopt a server (--adopt: its admin URL, read from stdin with --adopt -, so the password stays out of shell history, is checked, then stored encrypted; custom: HOST:PORT), or provision one (--image: Slipway runs it on the local target with a data volume, a private network and limits)')
      .requiredOption('--kind <kind>', 'postgres, mysql (MySQL or MariaDB), redis, rabbitmq, or custom (any image with a port, env and a volume; provisioned: postgres or custom)')
      .option('--adopt <url>', "the admin URL (postgres://USER:PASSWORD@HOST:5432/postgres, mysql://root:PASSWORD@HOST:3306, redis://USER:PASSWORD@HOST:6379, amqp://USER:PASSWORD@HOST:5672; custom: HOST:PORT), or - to read it from stdin")
      .option('--image <ref>', "provision: the image to run, in Slipway's registry (PROJECT:TAG or PROJECT@sha256:…), pinned by digest")
      .option('--memory <size>', 'provision: memory limit (default 512m)')
      .option('--cpus <n>', 'provision: CPU limit (default 1)')
      .option('--port <n>', 'custom, provisioned: the port the image listens on (required)')
      .option('--env <KEY=VALUE>', "custom, provisioned: a variable of the image (repeatable); stored encrypted, never shown", (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--env-file <path>', 'custom, provisioned: KEY=VALUE lines (keeps secret values out of shell history)')
      .option('--volume <path>', 'custom, provisioned: mount a data volume there (e.g. /data)')
      .option('--health <check>', 'custom, provisioned: tcp (default) or http:/PATH')
      .option('--scheme <scheme>', 'custom: the scheme of <PREFIX>_URL (default http with --health http:…, else tcp)')
      .option('--management-url <url>', 'rabbitmq: the management API (default http://HOST:15672)')
      .option('--workload-address <host:port>', 'where workloads reach the server, if not at the admin URL host (e.g. a private address)'),
  ).action(
    run(async (ctx, [name = '']) => {
      if ((ctx.opts.adopt === undefined) === (ctx.opts.image === undefined)) throw new SlipwayError('SLW_USAGE', 'give exactly one of --adopt URL (a running server) or --image REF (Slipway runs it)');
      const opt = (key: string) => (ctx.opts[key] === undefined ? {} : { [key]: String(ctx.opts[key]) });
      if (ctx.opts.image !== undefined) {
        const env = customEnv(ctx.opts.env as string[], ctx.opts.envFile as string | undefined);
        const port = ctx.opts.port === undefined ? {} : { port: Number(ctx.opts.port) };
        const body = { name, kind: String(ctx.opts.kind), image: String(ctx.opts.image), ...opt('memory'), ...opt('cpus'), ...port, ...(env ? { env } : {}), ...opt('volume'), ...opt('health'), ...opt('scheme') };
        const p = await ctx.client.request<ServiceInfo>('POST', servicesPath(ctx), body);
        emit(ctx.io, ctx.json, p, () => `provisioned ${p.kind} service ${p.name}${p.serverVersion ? ` (server ${p.serverVersion})` : ''} from ${p.provisioned?.image ?? '?'}; workloads of attached environments reach it at ${p.workloadAddress} on network ${p.provisioned?.network ?? '?'}`);
        return;
      }
      const given = String(ctx.opts.adopt);
      const adopt = given === '-' ? await readHidden('admin URL (input hidden): ', 'the admin URL is empty: pipe it on stdin, e.g. printf %s "$URL" | slipway service create NAME --kind KIND --adopt -') : given;
      const body = { name, kind: String(ctx.opts.kind), adopt, ...opt('managementUrl'), ...opt('workloadAddress'), ...opt('scheme') };
      const s = await ctx.client.request<ServiceInfo>('POST', servicesPath(ctx), body);
      emit(ctx.io, ctx.json, s, () => `adopted ${s.kind} service ${s.name} at ${s.address}${s.serverVersion ? ` (server ${s.serverVersion})` : ''}; workloads reach it at ${s.workloadAddress}`);
    }),
  );
  withWorkspace(
    service
      .command('show <name>')
      .description('a service and its attachments')
      .option('--wait-health <health>', `provisioned: first wait until its health is this one (${healths.join(', ')}), following the change stream`)
      .option('--timeout <duration>', 'with --wait-health: how long to wait (e.g. 90s, 5m; default 2m)'),
  ).action(
    run(async (ctx, [name = '']) => {
      const timeoutS = ctx.opts.timeout === undefined ? 120 : parseDuration(String(ctx.opts.timeout));
      if (ctx.opts.timeout !== undefined && ctx.opts.waitHealth === undefined) throw new SlipwayError('SLW_USAGE', '--timeout goes with --wait-health HEALTH');
      const r = ctx.opts.waitHealth === undefined ? await ctx.client.request<ServiceDetail>('GET', servicesPath(ctx, name)) : await waitHealth(ctx, name, String(ctx.opts.waitHealth), timeoutS * 1000);
      const upgrades = r.upgrades.length === 0 ? '' : `\n\nupgrades\n${upgradeTable(r.upgrades)}`;
      emit(ctx.io, ctx.json, r, () => `${serviceTable([r.service])}${provisionedLines(r.service)}${customLines(r.service)}\n\n${r.attachments.length === 0 ? 'no attachments' : attachmentTable(r.attachments, false)}${upgrades}`);
    }),
  );
  withWorkspace(
    service
      .command('upgrade <name>')
      .description("upgrade a provisioned service's image: every attachment is backed up first, the server is replaced on the same volume by the new digest, and if it does not become healthy the previous image is put back")
      .requiredOption('--image <ref>', "the new image, in Slipway's registry (PROJECT:TAG or PROJECT@sha256:…), pinned by digest")
      .option('--without-backup', 'custom services only (Slipway cannot back them up): upgrade without a backup, after saving the volume yourself'),
  ).action(
    run(async (ctx, [name = '']) => {
      const r = await ctx.client.request<UpgradeResult>('POST', servicesPath(ctx, name, 'upgrade'), { image: String(ctx.opts.image), ...(ctx.opts.withoutBackup === true ? { withoutBackup: true } : {}) });
      emit(ctx.io, ctx.json, r, () => upgraded(r));
    }),
  );
  withWorkspace(
    service
      .command('remove <name>')
      .description('remove a service that has no attachments: an adopted server is left as it is; a provisioned one stops and its data volume is kept unless --drop-data')
      .option('--drop-data', "provisioned: also delete the service's data volume, for good")
      .option('--confirm <name>', 'the service name again, required with --drop-data')
      .option('--drop-backups', 'also remove its backups (without it, a service that has backups is refused: nothing could reach them once it is gone)'),
  ).action(
    run(async (ctx, [name = '']) => {
      const dropData = ctx.opts.dropData === true;
      if (dropData && ctx.opts.confirm !== name) throw new SlipwayError('SLW_CONFIRM_REQUIRED', `--drop-data deletes the service's data for good; to go ahead, repeat the service name: --confirm ${name}`);
      const q = new URLSearchParams(dropData ? { dropData: 'true', confirm: String(ctx.opts.confirm) } : {});
      if (ctx.opts.dropBackups === true) q.set('dropBackups', 'true');
      const query = q.size > 0 ? `?${q.toString()}` : '';
      const r = await ctx.client.request<RemovedService>('DELETE', `${servicesPath(ctx, name)}${query}`);
      emit(ctx.io, ctx.json, r, () => `removed service ${r.deleted}${r.backupsRemoved > 0 ? ` and its ${r.backupsRemoved} backup(s)` : ''}${r.volumeKept ? `; its data stays in volume ${r.volumeKept} on the target` : ''}`);
    }),
  );
  withEnvironment(service.command('attachments').description("an environment's attached services and the variables they inject (names only)")).action(
    run(async (ctx) => {
      const r = await ctx.client.request<AttachmentList>('GET', attachmentsPath(ctx));
      emit(ctx.io, ctx.json, r, () => (r.attachments.length === 0 ? 'no services attached' : attachmentTable(r.attachments, true)));
    }),
  );
  asOption(withEnvironment(service.command('attach <name>').description('attach a service to an environment: its own database / vhost / key prefix and credentials, injected as variables; rolls the running release'))).action(
    run(async (ctx, [name = '']) => {
      const r = await ctx.client.request<AttachmentChange>('POST', attachmentsPath(ctx), { service: name, ...asBody(ctx) });
      emit(ctx.io, ctx.json, r, () => changed('attached', r));
    }),
  );
  asOption(withEnvironment(service.command('rotate <name>').description("new credentials for an environment's attachment; the old ones are revoked once the old replicas have drained"))).action(
    run(async (ctx, [name = '']) => {
      const r = await ctx.client.request<AttachmentChange>('POST', attachmentsPath(ctx, name, 'rotate'), asBody(ctx));
      emit(ctx.io, ctx.json, r, () => changed('rotated', r));
    }),
  );
  asOption(
    withEnvironment(
      service
        .command('detach <name>')
        .description("detach a service: a release rolls without its variables, then its credentials are revoked; the data is kept unless --drop-data")
        .option('--drop-data', "also drop the attachment's database / vhost / keys, for good")
        .option('--confirm <name>', 'the service name again, required with --drop-data'),
    ),
  ).action(
    run(async (ctx, [name = '']) => {
      const dropData = ctx.opts.dropData === true;
      if (dropData && ctx.opts.confirm !== name) throw new SlipwayError('SLW_CONFIRM_REQUIRED', `--drop-data deletes the attachment's data for good; to go ahead, repeat the service name: --confirm ${name}`);
      const r = await ctx.client.request<AttachmentChange>('POST', attachmentsPath(ctx, name, 'detach'), { ...asBody(ctx), ...(dropData ? { dropData, confirm: String(ctx.opts.confirm) } : {}) });
      emit(ctx.io, ctx.json, r, () => `${changed('detached', r)}; ${dropData ? `its data (${r.attachment.resource}) is dropped` : `its data stays in ${r.attachment.resource} on the server`} once no running release uses it`);
    }),
  );
  asOption(withEnvironment(service.command('backup <name>').description("back up an attachment's data (database dump, keys under its prefix, or vhost definitions) into the server's data directory"))).action(
    run(async (ctx, [name = '']) => {
      const b = await ctx.client.request<BackupInfo>('POST', attachmentsPath(ctx, name, 'backups'), asBody(ctx));
      emit(ctx.io, ctx.json, b, () => `backed up ${b.service} (${b.kind}) of ${b.project}/${b.environment}${b.as ? ` as ${b.as}` : ''}: ${b.id}, ${bytes(b.size)}, sha256 ${b.sha256}${b.release === null ? '' : `, release #${b.release}`}`);
    }),
  );
  asOption(
    withEnvironment(
      service
        .command('backup-schedule <name>')
        .description("an attachment's backup schedule: without options show it (next slot, last outcome); --cron sets it (developers; a --keep that may remove backups needs admin), --off removes it")
        .option('--cron <expr>', "five cron fields in UTC, e.g. '0 3 * * *' (every day at 03:00)")
        .option('--keep <n>', "keep the attachment's newest N scheduled backups (older scheduled ones are removed; those made by hand or for upgrades are not counted), or 'all'; left out: as it was")
        .option('--off', 'remove the schedule (its backups stay)'),
    ),
  ).action(
    run(async (ctx, [name = '']) => {
      const query = ctx.opts.as === undefined ? '' : `?as=${encodeURIComponent(String(ctx.opts.as))}`;
      const path = attachmentsPath(ctx, name, 'backup-schedule');
      let r: BackupScheduleState;
      if (ctx.opts.off === true) {
        if (ctx.opts.cron !== undefined || ctx.opts.keep !== undefined) throw new SlipwayError('SLW_USAGE', '--off removes the schedule: leave out --cron and --keep');
        r = await ctx.client.request<BackupScheduleState>('DELETE', `${path}${query}`);
      } else if (ctx.opts.cron !== undefined) {
        const body: BackupScheduleBody = { ...asBody(ctx), cron: String(ctx.opts.cron) };
        if (ctx.opts.keep !== undefined) body.keep = parseKeep(String(ctx.opts.keep));
        r = await ctx.client.request<BackupScheduleState>('PUT', path, body);
      } else {
        if (ctx.opts.keep !== undefined) throw new SlipwayError('SLW_USAGE', "--keep goes with --cron (give the schedule's expression again)");
        r = await ctx.client.request<BackupScheduleState>('GET', `${path}${query}`);
      }
      emit(ctx.io, ctx.json, r, () => scheduleLines(r));
    }),
  );
  asOption(
    withEnvironment(
      service
        .command('backups <name>')
        .description("the service's backups, newest first: without -e every one in the workspace, also those whose attachment is gone (detached, or its environment deleted); with -p/-e one attachment's")
        .option('--detached', 'without -e: only the backups whose attachment is gone'),
    ),
  ).action(
    run(async (ctx, [name = '']) => {
      if (envOption(ctx) === undefined) {
        if (ctx.opts.as !== undefined) throw new SlipwayError('SLW_USAGE', '--as picks an attachment: give -p PROJECT -e ENV with it, or leave both out to list every backup of the service');
        const r = await ctx.client.request<ServiceBackupList>('GET', `${servicesPath(ctx, name, 'backups')}${ctx.opts.detached === true ? '?detached=true' : ''}`);
        emit(ctx.io, ctx.json, r, () => (r.backups.length === 0 ? (ctx.opts.detached === true ? `no backups of ${name} whose attachment is gone` : `no backups of ${name} yet: slipway service backup ${name} -p PROJECT -e ENV`) : serviceBackupTable(r)));
        return;
      }
      if (ctx.opts.detached === true) throw new SlipwayError('SLW_USAGE', "--detached lists the service's backups whose attachment is gone: leave out -e");
      const query = ctx.opts.as === undefined ? '' : `?as=${encodeURIComponent(String(ctx.opts.as))}`;
      const r = await ctx.client.request<BackupList>('GET', `${attachmentsPath(ctx, name, 'backups')}${query}`);
      emit(ctx.io, ctx.json, r, () => (r.backups.length === 0 ? `no backups yet: slipway service backup ${name}` : backupTable(r.backups)));
    }),
  );
  asOption(
    withEnvironment(
      service
        .command('restore <name>')
        .description("replace an attachment's data by one of its backups, or (--from-detached) by a backup of the same service whose attachment is gone (checked first: a corrupt or foreign backup is refused and changes nothing)")
        .requiredOption('--from <backup>', 'the backup id (slipway service backups NAME)')
        .option('--from-detached', "the backup may be one whose attachment is gone (detached, or its environment deleted; slipway service backups NAME --detached): its data is loaded into this attachment, replacing all of it"),
    ),
  ).action(
    run(async (ctx, [name = '']) => {
      const body = { ...asBody(ctx), ...(ctx.opts.fromDetached === true ? { fromDetached: true } : {}) };
      const r = await ctx.client.request<RestoreResult>('POST', attachmentsPath(ctx, name, 'backups', String(ctx.opts.from), 'restore'), body);
      emit(ctx.io, ctx.json, r, () => restored(r));
    }),
  );
  asOption(
    withEnvironment(
      service
        .command('backup-rm <name>')
        .description('remove one backup of the service, its file too (refused while an unfinished herd or service upgrade may still restore it); without -e any backup of the service by id, also one whose attachment is gone')
        .requiredOption('--backup <id>', 'the backup id (slipway service backups NAME)'),
    ),
  ).action(
    run(async (ctx, [name = '']) => {
      if (envOption(ctx) === undefined) {
        if (ctx.opts.as !== undefined) throw new SlipwayError('SLW_USAGE', '--as picks an attachment: give -p PROJECT -e ENV with it, or leave both out to remove any backup of the service by id');
        const r = await ctx.client.request<{ deleted: string }>('DELETE', servicesPath(ctx, name, 'backups', String(ctx.opts.backup)));
        emit(ctx.io, ctx.json, r, () => `removed backup ${r.deleted} of ${name}`);
        return;
      }
      const query = ctx.opts.as === undefined ? '' : `?as=${encodeURIComponent(String(ctx.opts.as))}`;
      const r = await ctx.client.request<{ deleted: string }>('DELETE', `${attachmentsPath(ctx, name, 'backups', String(ctx.opts.backup))}${query}`);
      emit(ctx.io, ctx.json, r, () => `removed backup ${r.deleted} of ${name}`);
    }),
  );
}
