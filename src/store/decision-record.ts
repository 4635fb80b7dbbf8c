// A routing decision as stored and served at GET /v1/crossway/decisions/{id}: plain JSON data, so that the store
// needs nothing from the planner to keep it.

/** A route the plan kept, in the order it would be tried. */
export interface DecisionKeptRoute {
  route: string;
  provider: string;
  region: string;
  /** 1-based position in the plan. */
  rank: number;
  /** Why it sits where it does (e.g. `right of first refusal: azure`). */
  basis: string;
}

/** A route the plan rejected, with every reason. */
export interface DecisionRejectedRoute {
  route: string;
  provider: string;
  region: string;
  reasons: { code: string; detail: string }[];
}

/** One try of one route while serving the request. */
export interface DecisionAttempt {
  route: string;
  /** HTTP status the route answered with (or the gateway's status for a connection failure or timeout). */
  status: number;
  latency_ms: number;
  /** `code: message` of the failure; null when the attempt succeeded. */
  error: string | null;
  /** The id the route's cloud was asked for (its deployment), which its answers may name; absent on older records. */
  upstream_model?: string;
  /**
   * What the route's adapter changed to fit the request to its wire (e.g. a temperature clamped into the route's
   * range), one sentence each; absent when nothing was changed (and on older records).
   */
  notes?: string[];
}

/** Everything Crossway decided for one request: the plan it made and what happened when it ran it. */
export interface DecisionRecord {
  /** The id sent to the client in `x-crossway-decision`. */
  id: string;
  /** The tenant whose request it was: only that tenant's keys (and the master key) may read it. Absent on older records. */
  tenant?: string | null;
  /** The model the plan was made for. */
  model: string;
  /** The version of the catalog (crossway.yaml) the plan was made with; absent on older records. */
  catalog_version?: string;
  /** ISO timestamp the plan was made for. */
  at: string;
  /** The effective constraints (policy narrowed by the request), as JSON. */
  constraints: Record<string, unknown>;
  kept: DecisionKeptRoute[];
  rejected: DecisionRejectedRoute[];
  attempts: DecisionAttempt[];
  /**
   * What the request lost on the route that answered (a hosted tool dropped, reasoning items another cloud cannot
   * read). Absent when nothing was.
   */
  notes?: string[];
}

/** The part of a decision that its plan decides, shared by every request a cached plan serves: stored once per plan. */
export type DecisionPlan = Pick<DecisionRecord, 'model' | 'catalog_version' | 'constraints' | 'kept' | 'rejected'>;

/** A DecisionPlan as stored (see toStoredDecisionPlan): bounded, as JSON, under a hash of that JSON. */
export interface StoredDecisionPlan {
  /** `plan_` + the first 32 hex digits of the SHA-256 of `json`: equal plans share one row, across cache entries and restarts. */
  id: string;
  json: string;
}

/** A decision as written to the store. */
export interface DecisionRow {
  /** When it was recorded, in `Date.prototype.toISOString()` form; retention is counted from it. */
  created_at: string;
  record: DecisionRecord;
  /**
   * The record's model, constraints, kept and rejected as stored, made once per cached plan by the caller; absent,
   * the store makes it from the record. The store keeps it once and the decision as a reference to it.
   */
  plan?: StoredDecisionPlan;
}
