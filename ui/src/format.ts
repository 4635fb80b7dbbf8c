// How numbers, money, durations and times read on the dashboard.

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/** 12,345 (or 12.3K with `short`); an em dash for nothing. */
export function formatCount(value: number | null | undefined, short = false): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return short && Math.abs(value) >= 10_000 ? compact.format(value) : integer.format(value);
}

/** 0 ms, 4.5 ms, 840 ms, 1.24 s. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value < 1000) return `${value < 10 && value !== 0 ? value.toFixed(1) : Math.round(value)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

/** 2.5 %. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const percent = value * 100;
  return `${percent < 10 && percent !== 0 ? percent.toFixed(1) : Math.round(percent)} %`;
}

/** A decimal string amount with its currency: `0.012300 USD` → `$0.0123`. */
export function formatMoney(amount: string | number | null | undefined, currency = 'USD'): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const value = typeof amount === 'number' ? amount : Number(amount);
  if (Number.isNaN(value)) return String(amount);
  const digits = value !== 0 && Math.abs(value) < 1 ? 4 : 2;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  } catch {
    return `${value.toFixed(digits)} ${currency}`;
  }
}

/** A money axis label: as few decimals as the tick needs, at least cents (`$0.05`, `$0.0025`, `$12.50`). */
export function formatMoneyTick(value: number, currency = 'USD'): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(value);
  } catch {
    return `${value} ${currency}`;
  }
}

/** `Dec 7, 20:31:05` in the browser's time zone; the ISO form goes into the title. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}
