/** API shapes: who am I, workspaces. */
import { z } from 'zod';
import { roles } from '../core/roles.js';
import { nameSchema, tierSchema, timestamp } from './common.js';

export const workspaceSchema = z
  .object({ id: z.string(), name: z.string(), tier: z.string(), role: z.enum(roles), createdAt: timestamp, updatedAt: timestamp })
  .meta({ id: 'Workspace' });
export type Workspace = z.output<typeof workspaceSchema>;

export const whoamiSchema = z.object({
  user: z.object({ id: z.string(), email: z.string(), instanceAdmin: z.boolean() }),
  token: z.object({ id: z.string(), scope: z.enum(['instance', 'workspace']), role: z.enum(roles).nullable() }),
});
export type Whoami = z.output<typeof whoamiSchema>;

export const workspaceListSchema = z.object({ workspaces: z.array(workspaceSchema) });
export type WorkspaceList = z.output<typeof workspaceListSchema>;

export const createWorkspaceBody = z.strictObject({ name: nameSchema('workspace'), tier: tierSchema });
export type CreateWorkspaceBody = z.input<typeof createWorkspaceBody>;

export const updateWorkspaceBody = z.strictObject({ tier: tierSchema });
export type UpdateWorkspaceBody = z.input<typeof updateWorkspaceBody>;

export const workspaceUpdatedSchema = z.object({ workspace: workspaceSchema, environmentsAdded: z.array(z.string()) });
export type WorkspaceUpdated = z.output<typeof workspaceUpdatedSchema>;
