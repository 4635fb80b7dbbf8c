// Builds the body of a native Responses API call (POST /v1/responses). Crossway keeps conversation state itself, so the
// upstream call is stateless: it carries the whole context as `input` items, asks the cloud to store nothing, and
// never names upstream state (an id from one cloud means nothing on another, and a failover must work mid-session).
// Sources: OpenAI API reference "Create a model response" (`store` defaults to true; `previous_response_id` and
// `conversation` "cannot be used in conjunction"; `background` "requires store=true" per the Background mode guide).
/** Fields of a Responses request the upstream must never see. */
const STATEFUL_FIELDS = [
  // Upstream state: the context is sent in full instead.
  'previous_response_id',
  'conversation',
  // Crossway runs background jobs itself and needs the answer on this connection.
  'background',
  // Crossway's own routing fields.
  'crossway',
  'models',
] as const;

/**
 * The upstream body: the caller's Responses body with `model` set to `model` (or removed when undefined), `store: false`
 * and `stream` as asked, and without the fields listed in STATEFUL_FIELDS. The caller's object is not modified.
 */
export function buildOpenAIResponsesBody(body: Record<string, unknown>, model: string | undefined, stream: boolean): Record<string, unknown> {
  const upstream: Record<string, unknown> = { ...body };
  for (const field of STATEFUL_FIELDS) delete upstream[field];
  if (model === undefined) delete upstream.model;
  else upstream.model = model;
  upstream.store = false;
  upstream.stream = stream;
  return upstream;
}
