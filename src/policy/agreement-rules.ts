// Distribution agreements as routing rules for one model at one instant: which first-ship windows are open, who
// holds a right of first refusal, and which licenses admit or bar a route. Agreements are data; nothing here names a
// company.
import type { Agreement, ModelEntry, Route } from '../catalog/index.ts';
import { addCatalogDays, endOfCatalogDate, formatInstant, startOfCatalogDate } from './catalog-dates.ts';
import type { RejectionReason } from './plan-types.ts';

/** An open first-ship window: only `primary` serves the model until `endsAt` (exclusive). */
export interface FirstShipWindow {
  agreement: string;
  primary: string;
  /** ms since epoch; the first instant other providers may serve. */
  endsAt: number;
}

/** The agreement rules in force for one model at one instant. */
export interface AgreementRules {
  windows: FirstShipWindow[];
  /** Providers holding a right of first refusal, in agreement order (without duplicates). */
  rofrPrimaries: string[];
  /** Covering agreements that carry a license. */
  licenses: Agreement[];
}

/** Whether `agreement` covers `model`: listed in `models`, or, when `models` is absent, owned by the licensor. */
export function agreementCovers(agreement: Agreement, model: ModelEntry): boolean {
  return agreement.models === undefined ? model.owned_by === agreement.licensor : agreement.models.includes(model.id);
}

/**
 * The rules of every agreement covering `model` at `now` (ms):
 * - a first-ship window is open from before the release until `released + window_days` (or the end of
 *   `first_ship.until`, whichever comes first); a model without a `released` date has no window;
 * - a right of first refusal (`rofr`) holds until the end of `first_ship.until` (forever when absent).
 */
export function findAgreementRules(model: ModelEntry, agreements: readonly Agreement[], now: number): AgreementRules {
  const rules: AgreementRules = { windows: [], rofrPrimaries: [], licenses: [] };
  for (const agreement of agreements) {
    if (!agreementCovers(agreement, model)) continue;
    if (agreement.license !== undefined) rules.licenses.push(agreement);
    const firstShip = agreement.first_ship;
    if (firstShip === undefined) continue;
    const termEnd = firstShip.until === undefined ? Number.POSITIVE_INFINITY : endOfCatalogDate(firstShip.until);
    if (model.released !== undefined) {
      const endsAt = Math.min(addCatalogDays(model.released, firstShip.window_days), termEnd);
      if (now < endsAt) rules.windows.push({ agreement: agreement.id, primary: firstShip.primary, endsAt });
    }
    if (firstShip.rofr && now < termEnd && !rules.rofrPrimaries.includes(firstShip.primary)) {
      rules.rofrPrimaries.push(firstShip.primary);
    }
  }
  return rules;
}

/**
 * License rules, kept simple:
 * - the licensor may always serve its own models (a route whose provider is the licensor's name is never barred);
 * - an exclusive license in force bars every other provider;
 * - the licensee serves the covered models only while one of its licenses is in force (before `from` and after the
 *   end of `until` its routes are rejected), which is how "a license ends" shows in a plan for a future date.
 * A provider that no covering license names (as licensee) is not affected except by exclusivity.
 */
export function checkLicense(route: Route, rules: AgreementRules, now: number): RejectionReason[] {
  const reasons: RejectionReason[] = [];
  let licensedOutsideTerm: Agreement | undefined;
  let licensedInTerm = false;
  for (const agreement of rules.licenses) {
    const license = agreement.license;
    if (license === undefined || route.provider === agreement.licensor) continue;
    const inForce =
      (license.from === undefined || now >= startOfCatalogDate(license.from)) && (license.until === undefined || now < endOfCatalogDate(license.until));
    if (route.provider === license.licensee) {
      if (inForce) licensedInTerm = true;
      else licensedOutsideTerm ??= agreement;
    } else if (license.exclusive && inForce) {
      const until = license.until === undefined ? '' : ` until ${license.until}`;
      reasons.push({ code: 'license', detail: `exclusive license to ${license.licensee}${until} (agreement ${agreement.id})` });
    }
  }
  if (!licensedInTerm && licensedOutsideTerm?.license !== undefined) {
    const { from, until } = licensedOutsideTerm.license;
    reasons.push({
      code: 'license',
      detail: `license of ${route.provider} runs ${from ?? 'open'} to ${until ?? 'open'} (agreement ${licensedOutsideTerm.id})`,
    });
  }
  return reasons;
}

/** The rejection for a non-primary route inside an open first-ship window. */
export function firstShipRejection(window: FirstShipWindow, model: ModelEntry): RejectionReason {
  return {
    code: 'first_ship_window',
    detail: `${window.primary} ships ${model.id} first until ${formatInstant(window.endsAt)} (agreement ${window.agreement})`,
  };
}
