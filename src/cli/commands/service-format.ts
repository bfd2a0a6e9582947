/** How `slipway service …` prints services, attachments, backups and upgrades. */
import type { BackupScheduleInfo, BackupScheduleState } from '../../api/backup-schedules.js';
import type { AttachmentChange, AttachmentInfo, BackupInfo, RestoreResult, ServiceBackupList, ServiceInfo, UpgradeInfo, UpgradeResult } from '../../api/services.js';
import { shortTime, table } from '../output.js';
import { SlipwayError } from '../../core/errors.js';

export function serviceTable(services: ServiceInfo[]): string {
  return table(['NAME', 'KIND', 'MODE', 'HEALTH', 'ADDRESS', 'WORKLOADS REACH', 'VERSION', 'ATTACHMENTS'], services.map((s) => [s.name, s.kind, s.mode, s.provisioned?.health ?? '-', s.address, s.workloadAddress, s.serverVersion ?? '-', s.attachments]));
}

export function provisionedLines(s: ServiceInfo): string {
  const p = s.provisioned;
  if (!p) return '';
  const limits = `${p.memoryBytes === null ? 'no memory limit' : `${Math.round(p.memoryBytes / 1024 ** 2)} MiB`}, ${p.cpuMillis === null ? 'no CPU limit' : `${p.cpuMillis / 1000} CPU`}`;
  const volume = p.volume === null ? 'none (the image keeps no data Slipway knows of)' : `${p.volume} (kept when the service is removed, unless --drop-data)`;
  return `\n\nimage    ${p.image}\ndigest   ${p.imageDigest}${p.upgradedAt ? ` (upgraded ${shortTime(p.upgradedAt)})` : ' (never upgraded)'}\ntarget   ${p.placement} (${p.health}${p.message ? `: ${p.message}` : ''})\nvolume   ${volume}\nnetwork  ${p.network}\nlimits   ${limits}`;
}

export function customLines(s: ServiceInfo): string {
  const c = s.custom;
  if (!c) return '';
  const at = s.provisioned ? `\nhealth   ${c.health}${c.volumePath ? `\nmounted  ${c.volumePath}` : ''}\nenv      ${c.env.length === 0 ? 'none' : `${c.env.join(', ')} (values stored encrypted, never shown)`}` : '';
  return `\n\ncustom service: attachments get <PREFIX>_HOST, <PREFIX>_PORT and <PREFIX>_URL (${c.scheme}://…); they have no credentials of their own, so nothing to rotate, and Slipway makes no backups of it${at}`;
}

export function attachmentTable(attachments: AttachmentInfo[], withService: boolean): string {
  return table(
    [...(withService ? ['SERVICE', 'KIND'] : []), 'PROJECT', 'ENV', 'AS', 'RESOURCE', 'CREDENTIALS', 'STATE', 'VARIABLES', 'BACKUP SCHEDULE'],
    attachments.map((a) => [...(withService ? [a.service, a.kind] : []), a.project, a.environment, a.as ?? '-', a.resource || '-', a.kind === 'custom' ? 'none (custom)' : `generation ${a.generation}`, a.state, a.variables.join(' '), a.schedule ? scheduleCell(a.schedule) : '-']),
  );
}

/** `0 3 * * * keep 7, next 2026-03-02 03:00, last ok` in one cell. */
function scheduleCell(s: BackupScheduleInfo): string {
  const last = s.last === null ? 'none yet' : s.last.status;
  return `${s.cron}${s.keep === null ? '' : ` keep ${s.keep}`}, next ${shortTime(s.nextAt)}, last ${last}`;
}

/** --keep of a backup schedule: a number of scheduled backups, or 'all' (null). */
export function parseKeep(text: string): number | null {
  if (text === 'all') return null;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1) throw new SlipwayError('SLW_USAGE', `--keep takes a number of scheduled backups (1 or more) or 'all'; got '${text}'`);
  return Number(text);
}

/** An attachment's backup schedule, line by line (service backup-schedule). */
export function scheduleLines(r: BackupScheduleState): string {
  const where = `${r.service} in ${r.project}/${r.environment}${r.as ? ` as ${r.as}` : ''}`;
  const s = r.schedule;
  if (!s) return `no backup schedule for ${where}: set one with slipway service backup-schedule ${r.service} -p ${r.project} -e ${r.environment}${r.as ? ` --as ${r.as}` : ''} --cron '0 3 * * *' [--keep N]`;
  return scheduleDetail(where, s, 'backups made by hand or for upgrades are not counted');
}

/** A schedule's lines (cron, keep, next, last) under `backup schedule of WHERE`. */
export function scheduleDetail(where: string, s: BackupScheduleInfo, notCounted: string): string {
  const l = s.last;
  const last = l === null ? 'none yet' : l.status === 'ok' ? `ok, slot ${shortTime(l.slot)} UTC: backup ${l.backup ?? '?'}` : l.status === 'running' ? `running since ${shortTime(l.startedAt)} UTC (slot ${shortTime(l.slot)})` : `failed, slot ${shortTime(l.slot)} UTC: ${l.error ?? 'no reason recorded'}`;
  return [
    `backup schedule of ${where}`,
    `cron     ${s.cron} (UTC)`,
    `keep     ${s.keep === null ? 'every scheduled backup' : `the newest ${s.keep} scheduled backups (${notCounted})`}`,
    `next     ${s.nextAt === null ? 'never (the expression matches no minute any more)' : `${shortTime(s.nextAt)} UTC`}`,
    `last     ${last}`,
  ].join('\n');
}

export function changed(verb: string, c: AttachmentChange): string {
  const a = c.attachment;
  const where = `${a.project}/${a.environment}${a.as ? ` as ${a.as}` : ''}`;
  const rolled = c.deployment ? `; release #${c.deployment.releaseNumber} rolls with it (slipway logs ${c.deployment.id} --follow)` : '; the next release gets it (nothing runs there, or a deploy is in flight)';
  const what = a.kind === 'custom' ? 'no credentials of its own (custom service)' : `${a.resource}, credentials generation ${a.generation}`;
  return `${verb} ${a.service} (${a.kind}) ${verb === 'detached' ? 'from' : 'to'} ${where}: ${what}, variables ${a.variables.join(', ')}${rolled}`;
}

/** 1234567 → "1.2 MB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function backupTable(backups: BackupInfo[]): string {
  return table(['ID', 'CREATED', 'SIZE', 'RELEASE', 'SHA256', 'MADE BY', 'BY'], backups.map((b) => [b.id, b.createdAt, bytes(b.size), b.release === null ? '-' : `#${b.release}`, b.sha256.slice(0, 16), b.trigger, b.createdBy ?? '-']));
}

/** Every backup of a service: where each was taken (as recorded then) and whether its attachment is still there. */
export function serviceBackupTable(r: ServiceBackupList): string {
  const where = (b: ServiceBackupList['backups'][number]) => `${b.project ?? '?'}/${b.environment ?? '?'}${b.as ? ` as ${b.as}` : ''}`;
  const rows = r.backups.map((b) => [b.id, where(b), b.attachment, shortTime(b.createdAt), bytes(b.size), b.release === null ? '-' : `#${b.release}`, b.neededBy === null ? '-' : 'in use', b.trigger, b.createdBy ?? '-']);
  const detached = r.backups.filter((b) => b.attachment === 'detached');
  const hint = detached.length === 0 ? '' : `\n${detached.length} backup(s) of attachments that are gone (${bytes(detached.reduce((n, b) => n + b.size, 0))}); remove one with slipway service backup-rm ${r.backups[0]!.service} --backup ID`;
  return `${table(['ID', 'TAKEN IN', 'ATTACHMENT', 'CREATED', 'SIZE', 'RELEASE', 'KEPT', 'MADE BY', 'BY'], rows)}\n${r.backups.length} backup(s), ${bytes(r.totalBytes)}${hint}`;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

export function upgradeTable(upgrades: UpgradeInfo[]): string {
  return table(['STARTED', 'STATUS', 'FROM', 'TO', 'BACKUPS', 'TOOK', 'BY'], upgrades.map((u) => [shortTime(u.startedAt), u.status, short(u.fromDigest), short(u.toDigest), u.backups.length, u.durationMs === null ? '-' : `${(u.durationMs / 1000).toFixed(1)} s`, u.by ?? '-']));
}

export function upgraded(r: UpgradeResult): string {
  const u = r.upgrade;
  const backups = r.backups.length === 0 ? 'no backup (custom service, --without-backup)' : `backups ${r.backups.map((b) => `${b.id} (${b.project}/${b.environment}${b.as ? ` as ${b.as}` : ''}, ${bytes(b.size)})`).join(', ')}`;
  return `upgraded ${r.service.name} from ${u.fromDigest} to ${u.toDigest} in ${((u.durationMs ?? 0) / 1000).toFixed(1)} s (not ready for ${(r.downMs / 1000).toFixed(1)} s); ${backups}; server ${r.service.serverVersion ?? 'version unknown'}`;
}

/** One line for a restore: into which attachment, from which backup (and, for one whose attachment is gone, where it was taken). */
export function restored(r: RestoreResult): string {
  const b = r.backup;
  const into = `${b.service} (${b.kind}) of ${b.project}/${b.environment}${b.as ? ` as ${b.as}` : ''}`;
  const f = r.from;
  const origin = f ? `, taken in ${f.project ?? '?'}/${f.environment ?? '?'}${f.as ? ` as ${f.as}` : ''} (${f.resource}, attachment ${f.state}), its data moved into this attachment` : '';
  return `restored ${into} from ${b.id} (${b.createdAt}, ${bytes(b.size)}${origin}) in ${(r.durationMs / 1000).toFixed(1)} s`;
}
