// Loose zod schemas of the Google API error replies Vertex AI sends, listing only the fields Crossway reads.
// Sources: Google AIP-193 "Errors" and https://cloud.google.com/apis/design/errors (`{"error": {"code": <HTTP status>,
// "message", "status": <google.rpc.Code name>, "details": [...]}}`, `google.rpc.RetryInfo` with `retryDelay` as a
// protobuf Duration such as "30s"); the array form `[{"error": {...}}]` is what Vertex's streaming methods answer
// errors with, quoted in google-gemini/gemini-cli#14811 and continuedev/continue#8967 (429 RESOURCE_EXHAUSTED) and
// genkit-ai/genkit#4688 (404 NOT_FOUND).
import { z } from 'zod';

/** A Google API error object; `status` (the canonical code's name) is what tells it from an OpenAI-shaped one. */
export const googleErrorObjectSchema = z.looseObject({
  code: z.number().int().optional(),
  message: z.string().optional(),
  status: z.string(),
  details: z.array(z.unknown()).optional(),
});
export type GoogleErrorObject = z.infer<typeof googleErrorObjectSchema>;

/** `{"error": {...}}`. */
export const googleErrorEnvelopeSchema = z.looseObject({ error: googleErrorObjectSchema });

/** A `google.rpc.RetryInfo` entry of `details`. */
export const googleRetryInfoSchema = z.looseObject({
  '@type': z.literal('type.googleapis.com/google.rpc.RetryInfo'),
  retryDelay: z.string(),
});
