/** Herd upgrades as the panel shows them: the steps in order, a wave's progress as bar segments, the form's body. Pure. */
import type { HerdUpgrade, HerdUpgradeBody } from './types';

export type SiteStep = HerdUpgrade['sites'][number]['step'];
export type HerdState = HerdUpgrade['state'];

/** Every step a site can be at, in the order a site passes them (docs/herds.md). */
export const stepOrder: readonly SiteStep[] = ['pending', 'backup', 'clone', 'awaiting-approval', 'migrate', 'deploy', 'bake', 'done', 'reverting', 'reverted', 'revert-failed', 'rejecting', 'rejected', 'skipped'];

const ended: ReadonlySet<string> = new Set(['done', 'reverted', 'revert-failed', 'rejected', 'skipped']);

/** A site at this step is finished with (the upgrade will not move it again unless resumed after a halt). */
export const stepEnded = (step: string): boolean => ended.has(step);

/** How a wave's bar colours a step: done, failed, left as it was (rejected or skipped), worked on, waiting for approval, not started. */
export type StepGroup = 'done' | 'failed' | 'left' | 'active' | 'waiting' | 'pending';

export function stepGroup(step: string): StepGroup {
  if (step === 'done') return 'done';
  if (step === 'reverting' || step === 'reverted' || step === 'revert-failed') return 'failed';
  if (step === 'rejected' || step === 'skipped') return 'left';
  if (step === 'awaiting-approval') return 'waiting';
  if (step === 'pending') return 'pending';
  return 'active';
}

const groupOrder: StepGroup[] = ['done', 'failed', 'left', 'active', 'waiting', 'pending'];

export interface Segment {
  group: StepGroup;
  count: number;
  /** Where it starts and how wide it is, in percent of the bar. */
  x: number;
  width: number;
}

/** A wave's bar: one segment per group present, in the order above, widths in percent of the wave's sites. */
export function waveSegments(steps: Record<string, number>): Segment[] {
  const counts = new Map<StepGroup, number>();
  let total = 0;
  for (const [step, n] of Object.entries(steps)) {
    if (n <= 0) continue;
    counts.set(stepGroup(step), (counts.get(stepGroup(step)) ?? 0) + n);
    total += n;
  }
  const out: Segment[] = [];
  let x = 0;
  for (const group of groupOrder) {
    const count = counts.get(group);
    if (!count) continue;
    const width = (count / total) * 100;
    out.push({ group, count, x, width });
    x += width;
  }
  return out;
}

/** `1 done, 2 deploy` in the order sites pass the steps. */
export function stepSummary(steps: Record<string, number>): string {
  const known = stepOrder.filter((s) => (steps[s] ?? 0) > 0).map((s) => `${steps[s]} ${s}`);
  const other = Object.keys(steps)
    .filter((s) => !(stepOrder as readonly string[]).includes(s) && (steps[s] ?? 0) > 0)
    .map((s) => `${steps[s]} ${s}`);
  return [...known, ...other].join(', ');
}

/** How many sites are at each step, in step order (for the sites filter). */
export function stepCounts(sites: readonly { step: string }[]): { step: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const s of sites) counts.set(s.step, (counts.get(s.step) ?? 0) + 1);
  const order = (step: string) => {
    const i = (stepOrder as readonly string[]).indexOf(step);
    return i < 0 ? stepOrder.length : i;
  };
  return [...counts].sort((a, b) => order(a[0]) - order(b[0]) || (a[0] < b[0] ? -1 : 1)).map(([step, count]) => ({ step, count }));
}

/** The new-upgrade form as typed: every field text (empty: the server's default), and the downgrade box. */
export interface UpgradeForm {
  to: string;
  sites: string;
  canary: string;
  batch: string;
  parallel: string;
  bake: string;
  failureBudget: string;
  window: string;
  allowDowngrade: boolean;
}

export const emptyUpgradeForm: UpgradeForm = { to: '', sites: '', canary: '', batch: '', parallel: '', bake: '', failureBudget: '', window: '', allowDowngrade: false };

/** The body of a plan or a start: empty fields left out (the server's defaults apply); whatever is typed is sent for the server to judge. */
export function upgradeBody(form: UpgradeForm): HerdUpgradeBody {
  const body: HerdUpgradeBody = { to: form.to.trim() };
  const text = (v: string) => (v.trim() === '' ? undefined : v.trim());
  // A number field's text as a number; not one (1.5, e) is sent as typed, and the API refuses it with its code.
  const int = (v: string) => (v.trim() === '' ? undefined : Number.isFinite(Number(v)) ? Number(v) : (v.trim() as unknown as number));
  const sites = text(form.sites);
  if (sites !== undefined) body.sites = sites;
  const canary = int(form.canary);
  if (canary !== undefined) body.canary = canary;
  const batch = text(form.batch);
  if (batch !== undefined) body.batch = batch;
  const parallel = int(form.parallel);
  if (parallel !== undefined) body.parallel = parallel;
  const bake = text(form.bake);
  if (bake !== undefined) body.bake = bake;
  const budget = text(form.failureBudget);
  if (budget !== undefined) body.failureBudget = budget;
  const window = text(form.window);
  if (window !== undefined) body.window = window;
  if (form.allowDowngrade) body.allowDowngrade = true;
  return body;
}

/** The first `cap` of `names` and how many more there are (of `total`, when the list itself was capped). */
export function capNames(names: readonly string[], cap: number, total = names.length): { shown: string[]; more: number } {
  const shown = names.slice(0, cap);
  return { shown, more: Math.max(0, total - shown.length) };
}

/** An upgrade still moving (not finished): the panel keeps reading its status. */
export const unfinished = (u: { finishedAt: string | null }): boolean => u.finishedAt === null;
