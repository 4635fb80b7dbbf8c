// How measured numbers are written in the report: milliseconds with sensible precision, rates, ratios, memory.

/** `0.142`, `3.41`, `52.3`, `1204`; "n/a" for a missing value. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const magnitude = Math.abs(value);
  if (magnitude < 1) return value.toFixed(3);
  if (magnitude < 10) return value.toFixed(2);
  if (magnitude < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** A difference in ms with its sign: `+0.081`. */
export function formatAddedMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return `${value >= 0 ? '+' : '−'}${formatMs(Math.abs(value))}`;
}

/** Requests per second, rounded: `12 480`. */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return Math.round(value).toLocaleString('en-US').replaceAll(',', ' ');
}

/** `0.87` (and `n/a` when either side is missing or zero). */
export function formatRatio(numerator: number | null | undefined, denominator: number | null | undefined): string {
  const ratio = safeRatio(numerator, denominator);
  return ratio === null ? 'n/a' : ratio.toFixed(2);
}

/** numerator / denominator, or null when it cannot be computed. */
export function safeRatio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined) return null;
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return null;
  return numerator / denominator;
}

/** `71.4 MB`. */
export function formatMb(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return `${value.toFixed(1)} MB`;
}

/** A goal's verdict: met, missed, or not measured. */
export function formatVerdict(met: boolean | null): string {
  return met === null ? 'not measured' : met ? 'met' : 'missed';
}
