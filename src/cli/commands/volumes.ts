/** `slipway volume …`: backups of an environment's volumes, their download, restore and removal. */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Deleted } from '../../api/common.js';
import type { VolumeBackupInfo, VolumeBackupList, VolumeBackupScheduleBody, VolumeBackupScheduleState, VolumeRestoreInfo } from '../../api/volumes.js';
import { SlipwayError } from '../../core/errors.js';
import { hashingStream } from '../../platform/hashing-stream.js';
import { apiPath } from '../client.js';
import { countReporter, countingStream, progressReporter } from '../progress.js';
import { envOption, required, withEnvironment, type Ctx, type Runner } from '../context.js';
import { emit, table } from '../output.js';
import { bytes, parseKeep, scheduleDetail } from './service-format.js';

const backupsPath = (ctx: Ctx, volume: string, ...rest: string[]) =>
  apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', envOption(ctx) ?? required(ctx, 'env'), 'volumes', volume, 'backups', ...rest);

const schedulePath = (ctx: Ctx, volume: string) =>
  apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', envOption(ctx) ?? required(ctx, 'env'), 'volumes', volume, 'backup-schedule');

/** A volume's backup schedule, line by line (volume backup-schedule). */
function volumeScheduleLines(r: VolumeBackupScheduleState): string {
  const where = `volume ${r.volume} of ${r.project}/${r.environment}`;
  if (!r.schedule) return `no backup schedule for ${where}: set one with slipway volume backup-schedule ${r.volume} -p ${r.project} -e ${r.environment} --cron '0 3 * * *' [--keep N]`;
  return scheduleDetail(where, r.schedule, 'backups made by hand, by an upgrade, a move or an upload are not counted');
}

const line = (b: VolumeBackupInfo) => `${b.id}, ${bytes(b.size)}, sha256 ${b.sha256}${b.release === null ? '' : `, release #${b.release}`}`;

/** A file's bytes so far on stderr (a bar on a terminal, a line per 10 % otherwise); none for --json. */
function uploadFile(ctx: Ctx, path: string, file: string): Promise<VolumeBackupInfo> {
  const report = ctx.json ? () => undefined : progressReporter('upload', (t) => process.stderr.write(t), process.stderr.isTTY === true);
  return ctx.client.upload<VolumeBackupInfo>(path, file, report);
}

/** Standard input as it comes (`tar -c … | slipway volume upload NAME -`), its bytes so far on stderr. */
async function uploadStdin(ctx: Ctx, path: string): Promise<VolumeBackupInfo> {
  if (process.stdin.isTTY) throw new SlipwayError('SLW_USAGE', "'-' reads the tar from standard input: pipe it in, e.g. tar -C DIR -c . | slipway volume upload NAME - …");
  const counter = ctx.json ? null : countReporter('upload', (t) => process.stderr.write(t), process.stderr.isTTY === true);
  let sent = 0;
  try {
    const b = await ctx.client.uploadStream<VolumeBackupInfo>(path, process.stdin, (n) => {
      sent = n;
      counter?.sent(n);
    });
    counter?.done(sent);
    return b;
  } finally {
    // A refusal answered before the end leaves the rest unread: nothing then keeps the process waiting for it.
    process.stdin.destroy();
  }
}

function restoredLine(ctx: Ctx, name: string, r: VolumeRestoreInfo): string {
  const d = r.deployment;
  const next = d ? `; rolling release #${d.releaseNumber} that mounts it (follow: slipway logs ${d.id} -w ${required(ctx, 'workspace')} --follow)` : '; nothing runs, so the next deploy mounts it';
  return `restored backup ${r.backup.id} of volume ${name} into generation ${r.generation} (${r.dockerVolume}; the previous data stays in ${r.previous})${next}`;
}

/** Writes the download to `file` (via `file.partial`), checking its SHA-256 against the server's, reporting its bytes; returns the bytes written. */
async function saveChecked(res: AsyncIterable<Buffer> & { headers: Record<string, string | string[] | undefined> }, file: string, report: ((sent: number, total: number) => void) | null): Promise<number> {
  const expected = String(res.headers['x-slipway-sha256'] ?? '');
  const total = Number(res.headers['content-length'] ?? 0);
  const counted = hashingStream();
  const count = counted.stream;
  const progress = countingStream(total, report && total > 0 ? report : () => undefined);
  if (file === '-') {
    await pipeline(res, count, progress, process.stdout, { end: false });
  } else {
    const partial = `${file}.partial`;
    try {
      await pipeline(res, count, progress, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      await rm(partial, { force: true });
      const why = (error as NodeJS.ErrnoException).code === 'EEXIST' ? `${partial} exists (an earlier download?); remove it first` : error instanceof Error ? error.message : String(error);
      throw new SlipwayError('SLW_USAGE', `could not write ${file}: ${why}`);
    }
    if (expected && counted.sha256() !== expected) {
      await rm(partial, { force: true });
      throw new SlipwayError('SLW_BACKUP_INVALID', 'the download does not match the backup (checksum mismatch); nothing was saved, try again');
    }
    await rename(partial, file);
  }
  return counted.size();
}

export function registerVolumes(program: Command, run: Runner): void {
  const volume = program.command('volume').description("backups of an environment's volumes: take, schedule, list, download, upload, restore (into a new generation, rolled out with no downtime), remove");

  withEnvironment(volume.command('backup <name>').description("back up a volume: its files as a tar, read through the running release's image (nothing runs), kept in the server's data directory")).action(
    run(async (ctx, [name = '']) => {
      const b = await ctx.client.request<VolumeBackupInfo>('POST', backupsPath(ctx, name));
      emit(ctx.io, ctx.json, b, () => `backed up volume ${b.volume} of ${b.project}/${b.environment}: ${line(b)}`);
    }),
  );
  withEnvironment(volume.command('backups <name>').description("a volume's backups, newest first")).action(
    run(async (ctx, [name = '']) => {
      const r = await ctx.client.request<VolumeBackupList>('GET', backupsPath(ctx, name));
      emit(ctx.io, ctx.json, r, () => table(['ID', 'SIZE', 'GENERATION', 'RELEASE', 'CREATED', 'MADE BY', 'BY'], r.backups.map((b) => [b.id, bytes(b.size), b.generation, b.release === null ? '-' : `#${b.release}`, b.createdAt, b.trigger, b.createdBy ?? '-'])));
    }),
  );
  withEnvironment(volume.command('download <name> <backup>').description('download a backup as a tar archive (checked against its SHA-256)').option('-o, --output <file>', "where to write it ('-': standard output); default PROJECT-ENV-NAME-BACKUP.tar here")).action(
    run(async (ctx, [name = '', backup = '']) => {
      const res = await ctx.client.stream(backupsPath(ctx, name, backup, 'download'));
      const output = typeof ctx.opts.output === 'string' ? ctx.opts.output : `${required(ctx, 'project')}-${envOption(ctx) ?? required(ctx, 'env')}-${name}-${backup}.tar`;
      // Bytes so far on stderr (a bar on a terminal, a line per 10 % otherwise); none for --json.
      const report = ctx.json ? null : progressReporter('download', (t) => process.stderr.write(t), process.stderr.isTTY === true);
      const size = await saveChecked(res as AsyncIterable<Buffer> & { headers: Record<string, string | string[] | undefined> }, output, report);
      const result = { backup, volume: name, file: output === '-' ? null : output, size, sha256: String(res.headers['x-slipway-sha256'] ?? '') };
      if (output === '-') return;
      emit(ctx.io, ctx.json, result, () => `saved backup ${backup} of volume ${name} to ${output} (${bytes(size)}, sha256 ${result.sha256})`);
    }),
  );
  withEnvironment(
    volume
      .command('upload <name> <file>')
      .description("keep a tar or tar.gz of a volume's files (a downloaded backup, or tar -C DIR -cf FILE . of data from elsewhere; '-': standard input) as a backup of the volume, checked by the server; --restore then restores it")
      .option('--restore', 'restore it at once (as slipway volume restore NAME BACKUP does)'),
  ).action(
    run(async (ctx, [name = '', file = '']) => {
      const b = file === '-' ? await uploadStdin(ctx, backupsPath(ctx, name, 'upload')) : await uploadFile(ctx, backupsPath(ctx, name, 'upload'), file);
      if (ctx.opts.restore !== true) {
        emit(ctx.io, ctx.json, b, () => `uploaded ${file === '-' ? 'standard input' : file} as backup ${line(b)} of volume ${name}; restore it with: slipway volume restore ${name} ${b.id}`);
        return;
      }
      const r = await ctx.client.request<VolumeRestoreInfo>('POST', backupsPath(ctx, name, b.id, 'restore'));
      emit(ctx.io, ctx.json, { uploaded: b, restored: r }, () => `uploaded ${file === '-' ? 'standard input' : file} as backup ${line(b)} of volume ${name}\n${restoredLine(ctx, name, r)}`);
    }),
  );
  withEnvironment(volume.command('restore <name> <backup>').description('restore a volume from a backup: unpacked into a new generation (the live volume is not written) and rolled out as a new release; the previous generation is kept')).action(
    run(async (ctx, [name = '', backup = '']) => {
      const r = await ctx.client.request<VolumeRestoreInfo>('POST', backupsPath(ctx, name, backup, 'restore'));
      emit(ctx.io, ctx.json, r, () => restoredLine(ctx, name, r));
    }),
  );
  withEnvironment(
    volume
      .command('backup-schedule <name>')
      .description("a volume's backup schedule: without options show it (next slot, last outcome); --cron sets it (developers; a --keep that may remove backups needs admin), --off removes it")
      .option('--cron <expr>', "five cron fields in UTC, e.g. '0 3 * * *' (every day at 03:00)")
      .option('--keep <n>', "keep the volume's newest N scheduled backups (older scheduled ones are removed; those made by hand, by an upgrade, a move or an upload are not counted), or 'all'; left out: as it was")
      .option('--off', 'remove the schedule (its backups stay)'),
  ).action(
    run(async (ctx, [name = '']) => {
      const path = schedulePath(ctx, name);
      let r: VolumeBackupScheduleState;
      if (ctx.opts.off === true) {
        if (ctx.opts.cron !== undefined || ctx.opts.keep !== undefined) throw new SlipwayError('SLW_USAGE', '--off removes the schedule: leave out --cron and --keep');
        r = await ctx.client.request<VolumeBackupScheduleState>('DELETE', path);
      } else if (ctx.opts.cron !== undefined) {
        const body: VolumeBackupScheduleBody = { cron: String(ctx.opts.cron) };
        if (ctx.opts.keep !== undefined) body.keep = parseKeep(String(ctx.opts.keep));
        r = await ctx.client.request<VolumeBackupScheduleState>('PUT', path, body);
      } else {
        if (ctx.opts.keep !== undefined) throw new SlipwayError('SLW_USAGE', "--keep goes with --cron (give the schedule's expression again)");
        r = await ctx.client.request<VolumeBackupScheduleState>('GET', path);
      }
      emit(ctx.io, ctx.json, r, () => volumeScheduleLines(r));
    }),
  );
  withEnvironment(volume.command('backup-rm <name> <backup>').description('remove a backup (its record and its file)')).action(
    run(async (ctx, [name = '', backup = '']) => {
      const r = await ctx.client.request<Deleted>('DELETE', backupsPath(ctx, name, backup));
      emit(ctx.io, ctx.json, r, () => `removed backup ${r.deleted} of volume ${name}`);
    }),
  );
}
