// Decisions as every backend stores them: each plan once (decision_plans), each decision as a reference to its plan
// plus what is particular to the request (request_decisions). Free of Kysely at run time: the write worker loads it.
import { createHash } from 'node:crypto';
import { boundStoredJson, STORED_DETAIL_MAX_CHARS, truncateStoredNullable, truncateStoredText } from './bound-stored-text.ts';
import type { DecisionAttempt, DecisionPlan, DecisionRecord, DecisionRow, StoredDecisionPlan } from './decision-record.ts';

/** What a decision keeps of its request besides the plan, as JSON in `request_decisions.detail`. */
interface DecisionDetail {
  at: string;
  attempts: DecisionAttempt[];
  /** Present exactly when the record has a tenant (null for the master key), so that the record reads back as it was. */
  tenant?: string | null;
  /** Present exactly when the record has notes. */
  notes?: string[];
}

/** A decision's columns in `request_decisions`, in this order (see toDecisionColumns). */
export const DECISION_COLUMNS = ['id', 'created_at', 'plan_id', 'tenant', 'route', 'detail'] as const;
/** A plan's columns in `decision_plans`, in this order. */
export const DECISION_PLAN_COLUMNS = ['id', 'plan'] as const;

/** A `request_decisions` row. */
export interface DecisionTableRow {
  id: string;
  created_at: string;
  plan_id: string;
  tenant: string | null;
  /** The route that answered (the last attempt, when it succeeded); null when none did. */
  route: string | null;
  detail: string;
}

/**
 * Decisions as stored, flat, ready for the writer: the distinct plans of the batch (`plans`: id, JSON; two strings
 * each) and the decisions (`decisions`: DECISION_COLUMNS, six values each). Rows that carry their plan (the gateway's,
 * made once per cached plan) cost one small JSON each; others have their plan made here.
 */
export interface DecisionColumns {
  plans: string[];
  decisions: (string | null)[];
}

/**
 * A decision's plan part with every string bounded (names 256 characters, the basis and reasons' details 1,024, the
 * constraints, the client's lists, by boundStoredJson), as JSON, under the hash of that JSON.
 */
export function toStoredDecisionPlan(plan: DecisionPlan): StoredDecisionPlan {
  const name = (text: string) => truncateStoredText(text);
  const detail = (text: string) => truncateStoredText(text, STORED_DETAIL_MAX_CHARS);
  const bounded: DecisionPlan = {
    model: name(plan.model),
    ...(plan.catalog_version === undefined ? {} : { catalog_version: name(plan.catalog_version) }),
    constraints: boundStoredJson(plan.constraints) as Record<string, unknown>,
    kept: plan.kept.map((kept) => ({ ...kept, route: name(kept.route), provider: name(kept.provider), region: name(kept.region), basis: detail(kept.basis) })),
    rejected: plan.rejected.map((rejected) => ({
      ...rejected,
      route: name(rejected.route),
      provider: name(rejected.provider),
      region: name(rejected.region),
      reasons: rejected.reasons.map((reason) => ({ code: name(reason.code), detail: detail(reason.detail) })),
    })),
  };
  const json = JSON.stringify(bounded);
  return { id: `plan_${createHash('sha256').update(json).digest('hex').slice(0, 32)}`, json };
}

/** A decision's row as stored (its plan by reference; tenant and attempts bounded as the plan is). */
export function toDecisionTableRow({ created_at, record, plan }: DecisionRow): { row: DecisionTableRow; plan: StoredDecisionPlan } {
  const stored = plan ?? toStoredDecisionPlan(record);
  const attempts = record.attempts.map((attempt) => ({
    ...attempt,
    route: truncateStoredText(attempt.route),
    error: truncateStoredNullable(attempt.error, STORED_DETAIL_MAX_CHARS),
  }));
  const tenant = record.tenant === undefined ? undefined : truncateStoredNullable(record.tenant);
  const detail: DecisionDetail = tenant === undefined ? { at: record.at, attempts } : { at: record.at, attempts, tenant };
  // At most 16 notes of 1,024 characters: a request's losses, said once each.
  if (record.notes !== undefined) detail.notes = record.notes.slice(0, 16).map((note) => truncateStoredText(note, STORED_DETAIL_MAX_CHARS));
  const last = attempts.at(-1);
  return {
    row: {
      id: record.id,
      created_at,
      plan_id: stored.id,
      tenant: tenant ?? null,
      route: last !== undefined && last.error === null ? last.route : null,
      detail: JSON.stringify(detail),
    },
    plan: stored,
  };
}

/** Decisions as their stored columns, flat, each distinct plan once (see DecisionColumns). */
export function toDecisionColumns(rows: readonly DecisionRow[]): DecisionColumns {
  const plans: string[] = [];
  const decisions: (string | null)[] = [];
  const seen = new Set<string>();
  for (const input of rows) {
    const { row, plan } = toDecisionTableRow(input);
    if (!seen.has(plan.id)) {
      seen.add(plan.id);
      plans.push(plan.id, plan.json);
    }
    decisions.push(row.id, row.created_at, row.plan_id, row.tenant, row.route, row.detail);
  }
  return { plans, decisions };
}

/** The record of a stored decision, from its id, its plan's JSON and its detail JSON: as it was recorded, bounded. */
export function toStoredDecisionRecord(id: string, planJson: string, detailJson: string): DecisionRecord {
  const plan = JSON.parse(planJson) as DecisionPlan;
  const detail = JSON.parse(detailJson) as DecisionDetail;
  // The key order of the records the gateway makes (toDecisionRecord, then its tenant), so that the JSON reads the same.
  const record: DecisionRecord = {
    id,
    model: plan.model,
    ...(plan.catalog_version === undefined ? {} : { catalog_version: plan.catalog_version }),
    at: detail.at,
    constraints: plan.constraints,
    kept: plan.kept,
    rejected: plan.rejected,
    attempts: detail.attempts,
  };
  if (detail.notes !== undefined) record.notes = detail.notes;
  if (detail.tenant !== undefined) record.tenant = detail.tenant;
  return record;
}
