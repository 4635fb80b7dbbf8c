// Durations as OpenAI writes them in `x-ratelimit-reset-*` and its rate-limit messages: Go's time.Duration format.

/**
 * Milliseconds as a Go duration string, rounded up to the millisecond: `0s`, `20ms`, `1.2s`, `6m0s`, `1h0m0s`
 * (https://pkg.go.dev/time#Duration.String; OpenAI's headers look like `1s`, `6m0s`, `20ms`).
 */
export function formatRateLimitDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  // Seconds keep up to three decimals, without trailing zeros (Go prints 1.5s, not 1.500s).
  const seconds = `${Math.floor(millis / 1000)}${
    millis % 1000 === 0
      ? ''
      : `.${String(millis % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`
  }s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}
