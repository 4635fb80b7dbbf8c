// The two crossings between the Responses API's types and the store's JSON columns, in one place. The store keeps
// Response objects, items and events as plain JSON records; what it gives back is what this gateway wrote there from
// values it had validated or built itself, so reading it back as those types is sound without validating again.

/** A Response object, item or event as the store keeps it. */
export function toStoredJson(value: object): Record<string, unknown> {
  return value as Record<string, unknown>;
}

/** A record the gateway stored from a `T` (see toStoredJson), as that `T` again. */
export function fromStoredJson<T extends object>(record: Record<string, unknown>): T {
  return record as unknown as T;
}
