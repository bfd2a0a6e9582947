/**
 * Who may answer on a domain, pure. Every environment has a default domain
 * `<env>.<project>.<workspace>.localhost`; the whole `*.localhost` space is laid out by those
 * names, so it is reserved: the label just before `localhost` names the workspace that owns
 * everything under it, and a name shaped exactly like a default domain belongs to that one
 * environment. Custom domains outside `.localhost` are free for any workspace, first come first
 * served (the store keeps them unique across the instance).
 *
 * @module
 */
import { SlipwayError } from './errors.js';

/** Names of an environment, as in its default domain. */
export interface EnvironmentNames {
  workspace: string;
  project: string;
  environment: string;
}

/** Who a domain is reserved to: a workspace's space, one environment's default, or nobody. */
export type DomainReservation = { kind: 'workspace'; workspace: string } | { kind: 'environment'; workspace: string; project: string; environment: string } | null;

/** The reservation of a (lowercase, valid) domain name. */
export function domainReservation(domain: string): DomainReservation {
  const labels = domain.split('.');
  if (labels[labels.length - 1] !== 'localhost' || labels.length < 2) return null;
  const workspace = labels[labels.length - 2] ?? '';
  if (labels.length === 4) return { kind: 'environment', workspace, project: labels[1] ?? '', environment: labels[0] ?? '' };
  return { kind: 'workspace', workspace };
}

/**
 * Returns `domain` when the environment `names` may set it as its custom domain, else throws
 * `SLW_DOMAIN_RESERVED` saying why. Only the reservation is checked here; uniqueness among
 * custom domains is the store's (a unique index).
 */
export function assertCustomDomainAllowed(domain: string, names: EnvironmentNames): string {
  const r = domainReservation(domain);
  if (!r) return domain;
  if (r.workspace !== names.workspace) {
    throw new SlipwayError('SLW_DOMAIN_RESERVED', `domain ${domain} is reserved: names under .${r.workspace}.localhost belong to workspace '${r.workspace}' (its default domains); use a domain of your own, or one under .${names.workspace}.localhost`);
  }
  if (r.kind === 'environment' && (r.project !== names.project || r.environment !== names.environment)) {
    throw new SlipwayError(
      'SLW_DOMAIN_RESERVED',
      `domain ${domain} is reserved: it is the default domain of environment '${r.environment}' of project '${r.project}'; pick a name with another number of labels (e.g. www.${names.environment}.${names.project}.${names.workspace}.localhost) or a domain of your own`,
    );
  }
  return domain;
}
