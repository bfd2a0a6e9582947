/** API shapes: members and API tokens of a workspace. */
import { z } from 'zod';
import { roles } from '../core/roles.js';
import { roleSchema, timestamp } from './common.js';

export const memberSchema = z.object({ userId: z.string(), email: z.string(), name: z.string().meta({ description: "the display name this workspace gave the member" }), role: z.enum(roles), since: timestamp }).meta({ id: 'Member' });
export type Member = z.output<typeof memberSchema>;

export const addedMemberSchema = memberSchema.omit({ userId: true }).meta({ id: 'AddedMember', description: 'what was sent plus the membership: the same whether or not the person already had an account' });
export type AddedMember = z.output<typeof addedMemberSchema>;

export const memberListSchema = z.object({ members: z.array(memberSchema) });
export type MemberList = z.output<typeof memberListSchema>;

export const memberParam = z.object({ member: z.string().min(1).max(320).meta({ description: 'user id or e-mail' }) });

export const addMemberBody = z.strictObject({ email: z.email().max(320), role: roleSchema, name: z.string().min(1).max(200).optional().meta({ description: "display name in this workspace (default: the e-mail's local part)" }) });
export type AddMemberBody = z.input<typeof addMemberBody>;

export const setMemberRoleBody = z.strictObject({ role: roleSchema });
export type SetMemberRoleBody = z.input<typeof setMemberRoleBody>;

export const memberRemovedSchema = z.object({ email: z.string(), tokensRevoked: z.number().int() });
export type MemberRemoved = z.output<typeof memberRemovedSchema>;

export const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    hint: z.string().meta({ description: 'the first characters of the token, to recognise it' }),
    role: z.enum(roles),
    user: z.object({ id: z.string(), email: z.string() }),
    createdAt: timestamp,
    expiresAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
  })
  .meta({ id: 'Token' });
export type Token = z.output<typeof tokenSchema>;

export const tokenListSchema = z.object({ tokens: z.array(tokenSchema) });
export type TokenList = z.output<typeof tokenListSchema>;

export const createTokenBody = z.strictObject({
  role: roleSchema,
  name: z.string().min(1).max(100).default('api token'),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  member: z.string().min(1).max(320).optional().meta({ description: 'user id or e-mail of the member the token acts as (default: you; another member: only an instance admin with an instance token, and only an owner for an owner)' }),
});
export type CreateTokenBody = z.input<typeof createTokenBody>;

export const createdTokenSchema = tokenSchema.extend({ token: z.string().meta({ description: 'the token; shown once, store it now' }) });
export type CreatedToken = z.output<typeof createdTokenSchema>;

export const tokenParam = z.object({ token: z.string().min(1).max(100) });
