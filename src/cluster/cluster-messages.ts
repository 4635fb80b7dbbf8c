// The messages replicas send one another over the cluster bus, one schema per channel. Another process is still input:
// every message is validated on receipt with these schemas, and identifiers and numbers are bounded.
import { z } from 'zod';

/** Longest route, key, tenant or response id a message may carry. */
const MAX_ID_LENGTH = 256;
const id = z.string().min(1).max(MAX_ID_LENGTH);
/** A duration or count: a whole number, never negative, at most a day of milliseconds (health bounds it further). */
const bounded = z.number().int().min(0).max(86_400_000);

/** Route health (see RouteHealthChange in execute/): an ejection with the time it has left, or a closing. */
export const routeHealthMessageSchema = z.discriminatedUnion('state', [
  z.strictObject({ route: id, state: z.literal('open'), ejectedForMs: bounded, ejections: bounded }),
  z.strictObject({ route: id, state: z.literal('closed'), ejections: bounded }),
]);

/** A key or a tenant changed (see TenancyChange in tenancy/): cached authentications of it are stale. */
export const tenancyMessageSchema = z.strictObject({ kind: z.enum(['key', 'tenant']), id });

/** A stored response deleted, or responses pruned (see ChainCacheChange in runtime/). */
export const responsesMessageSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('deleted'), tenant: id, id }),
  z.strictObject({ kind: z.literal('cleared') }),
]);

/**
 * A replica could not announce its changes for a while (its connection to Redis was down while the others' were up):
 * the others drop what those changes may have made stale, as after their own interruption.
 */
export const resyncMessageSchema = z.strictObject({});

/** Every channel and the schema of its messages. */
export const clusterMessageSchemas = {
  health: routeHealthMessageSchema,
  tenancy: tenancyMessageSchema,
  responses: responsesMessageSchema,
  resync: resyncMessageSchema,
} as const;

/** The channels of the cluster bus, each with the type of its messages. */
export interface ClusterChannels {
  health: z.infer<typeof routeHealthMessageSchema>;
  tenancy: z.infer<typeof tenancyMessageSchema>;
  responses: z.infer<typeof responsesMessageSchema>;
  resync: z.infer<typeof resyncMessageSchema>;
}

export type ClusterChannel = keyof ClusterChannels;

/** Names of the channels, for subscribing to all of them. */
export const CLUSTER_CHANNELS: readonly ClusterChannel[] = ['health', 'tenancy', 'responses', 'resync'];

/** Largest message on the wire, envelope included: messages are a few ids and numbers, far below it. */
export const MAX_CLUSTER_MESSAGE_BYTES = 4_096;
