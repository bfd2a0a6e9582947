/** The API shapes the panel reads (a subset of /api/v1/openapi.json). */
export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export interface Workspace {
  id: string;
  name: string;
  tier: string;
  role: Role;
}

export interface Whoami {
  user: { id: string; email: string; instanceAdmin: boolean };
  token: { id: string; scope: 'instance' | 'workspace'; role: Role | null };
}

export interface Project {
  id: string;
  name: string;
  environments: string[];
}

export interface Deployment {
  id: string;
  environment: string;
  kind: 'release' | 'scale';
  releaseNumber: number;
  status: 'queued' | 'running' | 'cancelling' | 'succeeded' | 'failed' | 'cancelled';
  phase: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  supersededBy: string | null;
}

/** What a deploy or rollback request answers: its deployment, or the request waiting for approval. */
export interface Started {
  deployment: Deployment | null;
  releaseNumber: number | null;
  approval: Promotion | null;
  superseded: { id: string; releaseNumber: number; status: 'cancelled' | 'cancelling' } | null;
}

export interface EnvironmentSettings {
  domain: string;
  replicas: number;
  requireApproval: boolean;
  requirePromotionFrom: string | null;
  target: string;
}

export interface EnvironmentStatus {
  name: string;
  domain: string;
  target: string;
  release: { number: number; version: string | null; imageDigest: string; configVersion: number; finishedAt: string | null; trigger?: string; actor?: string | null } | null;
  replicas: { running: number; ready: number; desired: number; observedAt: string | null };
  health: 'healthy' | 'degraded' | 'down' | 'not-deployed' | 'unknown';
  deploying: Deployment | null;
}

export interface Promotion {
  id: string;
  /** promotion: from another environment; deploy, rollback: of the environment itself, waiting for approval. */
  kind: 'promotion' | 'deploy' | 'rollback';
  project: string;
  from: string;
  to: string;
  fromRelease: number;
  imageDigest: string;
  version: string | null;
  status: 'pending-approval' | 'rejected' | 'deploying' | 'succeeded' | 'failed' | 'cancelled';
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  deploymentId: string | null;
  createdAt: string;
}

export interface KeyDiff {
  onlyInFrom: string[];
  onlyInTo: string[];
  differ: string[];
}

export interface PromotionPreview {
  from: { environment: string; release: { number: number; version: string | null; imageDigest: string; configVersion: number } | null };
  to: { environment: string; release: { number: number; version: string | null; imageDigest: string; configVersion: number } | null };
  imageChanges: boolean;
  requiresApproval: boolean;
  config: KeyDiff;
  secrets: KeyDiff;
}

export interface Release {
  id: string;
  number: number;
  environment: string;
  imageDigest: string;
  version: string | null;
  configVersion: number;
  secretVersions: Record<string, number>;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'superseded' | string;
  trigger: string;
  actor: { userId: string | null; email: string | null; tokenId: string | null };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  message: string | null;
}

export interface Image {
  digest: string;
  mediaType: string;
  size: number;
  version: string | null;
  tags: string[];
  createdAt: string;
  environments: string[];
}

export interface ConfigEntry {
  key: string;
  value: string;
  layer: 'base' | 'environment';
}

export interface SecretInfo {
  name: string;
  version: number;
  layer: 'base' | 'environment';
  updatedAt: string;
  updatedBy: string | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: { email: string | null; tokenName: string | null };
  action: string;
  targetType: string;
  target: string;
  details: Record<string, unknown>;
}

export interface LogLine {
  seq: number;
  at: string;
  level: string;
  step: string;
  message: string;
}

export interface Change {
  kind: 'deployment' | 'promotion';
  id: string;
  project: string;
  environment: string;
  status: string;
  at: string;
}
