// Fault injection for the emulators: the fault set the control API accepts, and the per-request draw from it.
import { z } from 'zod';

const nonNegativeInt = z.number().int().min(0);

/** Body of `POST /__emulator/faults`; every field is optional and unknown fields are rejected. */
export const faultSetSchema = z.strictObject({
  /** HTTP status answered with the cloud's own error body and headers. */
  status: z.number().int().min(400).max(599).optional(),
  /** Probability that `status` fires on a request, 1 by default. */
  rate: z.number().min(0).max(1).optional(),
  /** Delay before the response headers. */
  latency_ms: nonNegativeInt.optional(),
  /** Streaming: destroy the socket after this many chunks; otherwise destroy it before answering. */
  disconnect_after_chunks: nonNegativeInt.optional(),
  /** `retry-after` seconds sent with the status (always sent for 429, 1 by default). */
  retry_after_s: z.number().min(0).optional(),
  /** Delay between streamed chunks. */
  chunk_delay_ms: nonNegativeInt.optional(),
  /** Apply only to the next `count` requests, then clear. */
  count: z.number().int().min(1).optional(),
  /** The cloud's error type to answer `status` with where one status has several (Bedrock: `ServiceQuotaExceededException` for 400). */
  error_code: z.string().min(1).optional(),
  /**
   * Binary event streams (Bedrock): end the stream with this exception event after `disconnect_after_chunks` frames
   * (2 by default) instead of cutting the socket. Names are the ConverseStreamOutput exception members.
   */
  stream_exception: z
    .enum(['internalServerException', 'modelStreamErrorException', 'validationException', 'throttlingException', 'serviceUnavailableException'])
    .optional(),
});

/** The active fault set; `count` is what remains of it. */
export type FaultSet = z.infer<typeof faultSetSchema>;

/** What one request gets from the fault set. */
export interface AppliedFaults {
  /** Set when the status fault fired for this request. */
  status?: number;
  retryAfterSeconds: number;
  /** True when the fault set named `retry_after_s`, so statuses other than 429 carry `retry-after` too. */
  retryAfterExplicit: boolean;
  latencyMs: number;
  disconnectAfterChunks?: number;
  chunkDelayMs: number;
  /** `error_code`, set when the status fault fired. */
  errorCode?: string;
  /** `stream_exception`, for clouds that stream binary event frames. */
  streamException?: NonNullable<FaultSet['stream_exception']>;
}

/** Parses a control-API body into a fault set, or returns the reason it is invalid. */
export function parseFaultSet(body: unknown): { faults: FaultSet } | { error: string } {
  const result = faultSetSchema.safeParse(body);
  if (result.success) return { faults: result.data };
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
  return { error: `Invalid fault set (${where}): ${issue?.message ?? 'invalid'}.` };
}

/**
 * Draws the faults for one request from `faults` and returns the set that remains afterwards: a set with a `count`
 * loses one per request (whether or not its status fired) and disappears at zero.
 */
export function takeFaults(faults: FaultSet | null, random: () => number = Math.random): { applied: AppliedFaults; remaining: FaultSet | null } {
  const applied: AppliedFaults = {
    retryAfterSeconds: faults?.retry_after_s ?? 1,
    retryAfterExplicit: faults?.retry_after_s !== undefined,
    latencyMs: faults?.latency_ms ?? 0,
    chunkDelayMs: faults?.chunk_delay_ms ?? 0,
  };
  if (faults === null) return { applied, remaining: null };
  const rate = faults.rate ?? 1;
  // `random() < rate` never fires at rate 0 and always fires at rate 1.
  if (faults.status !== undefined && random() < rate) {
    applied.status = faults.status;
    if (faults.error_code !== undefined) applied.errorCode = faults.error_code;
  }
  if (faults.stream_exception !== undefined) applied.streamException = faults.stream_exception;
  if (faults.disconnect_after_chunks !== undefined) applied.disconnectAfterChunks = faults.disconnect_after_chunks;
  if (faults.count === undefined) return { applied, remaining: faults };
  return { applied, remaining: faults.count > 1 ? { ...faults, count: faults.count - 1 } : null };
}
