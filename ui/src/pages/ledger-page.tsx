// Ledger: account balances (GET /admin/ledger/balances), usage grouped by tenant, model, route, provider, key or day
// (GET /admin/usage), revenue-share statements with a CSV download, and the ledger's verification.
import { useState } from 'preact/hooks';
import { type User, api, download, query } from '../api.ts';
import type { UsageReport } from '../admin-types.ts';
import { ErrorNotice, Field, Page, Panel, Table } from '../components.tsx';
import { formatCount, formatMoney } from '../format.ts';
import { usePoll } from '../use-poll.ts';

type Cell = string | number | boolean | null;

/** A table of whatever rows an answer holds: the columns of the first row, objects shown as JSON. */
function GenericTable(props: { caption: string; rows: Record<string, unknown>[] }) {
  const columns = Object.keys(props.rows[0] ?? {}).filter((column) => column !== 'object');
  const show = (value: unknown): Cell => (value !== null && typeof value === 'object' ? JSON.stringify(value) : (value as Cell));
  return (
    <Table caption={props.caption} empty={props.rows.length === 0}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column.replaceAll('_', ' ')}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row, index) => (
          <tr key={index}>
            {columns.map((column) => (
              <td key={column} class={typeof row[column] === 'number' ? 'numeric' : undefined}>
                {String(show(row[column]) ?? '—')}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function Balances() {
  const balances = usePoll(() => api<{ data: Record<string, unknown>[] }>('GET', '/admin/ledger/balances'), 'balances', 30_000);
  return (
    <Panel title="Balances" id="balances">
      <ErrorNotice error={balances.error} what="ledger balances (/admin/ledger/balances)" />
      {balances.data === null ? null : <GenericTable caption="Ledger balances" rows={balances.data.data} />}
    </Panel>
  );
}

const GROUPS = ['tenant', 'model', 'route', 'provider', 'key', 'day'] as const;

function Usage(props: { user: User }) {
  const [groupBy, setGroupBy] = useState<(typeof GROUPS)[number]>(props.user.role === 'admin' ? 'tenant' : 'model');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const usage = usePoll(() => api<UsageReport>('GET', `/admin/usage${query({ group_by: groupBy, from, to })}`), `${groupBy}|${from}|${to}`, 30_000);
  const rows = usage.data?.data ?? [];
  return (
    <Panel title="Usage" id="usage">
      <div class="filters">
        <Field label="Group by">
          <select value={groupBy} onChange={(event) => setGroupBy(event.currentTarget.value as (typeof GROUPS)[number])}>
            {GROUPS.filter((group) => group !== 'tenant' || props.user.role === 'admin').map((group) => (
              <option key={group} value={group}>
                {group}
              </option>
            ))}
          </select>
        </Field>
        <Field label="From">
          <input type="date" value={from} onInput={(event) => setFrom(event.currentTarget.value)} />
        </Field>
        <Field label="To (exclusive)">
          <input type="date" value={to} onInput={(event) => setTo(event.currentTarget.value)} />
        </Field>
      </div>
      <ErrorNotice error={usage.error} />
      <Table caption={`Usage by ${groupBy}`} empty={usage.data !== null && rows.length === 0} emptyText="No usage in this period.">
        <thead>
          <tr>
            <th scope="col">{groupBy}</th>
            <th scope="col" class="numeric">
              Requests
            </th>
            <th scope="col" class="numeric">
              Input tokens
            </th>
            <th scope="col" class="numeric">
              Cached
            </th>
            <th scope="col" class="numeric">
              Output tokens
            </th>
            <th scope="col" class="numeric">
              Cost
            </th>
            <th scope="col" class="numeric">
              Charged
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.group}|${row.currency}`}>
              <td class="mono">{row.group ?? 'all'}</td>
              <td class="numeric">{formatCount(row.requests)}</td>
              <td class="numeric">{formatCount(row.input_tokens)}</td>
              <td class="numeric">{formatCount(row.cached_tokens)}</td>
              <td class="numeric">{formatCount(row.output_tokens)}</td>
              <td class="numeric">{formatMoney(row.cost, row.currency)}</td>
              <td class="numeric">{formatMoney(row.charged, row.currency)}</td>
            </tr>
          ))}
        </tbody>
        {usage.data === null || rows.length === 0 ? null : (
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td class="numeric">{formatCount(usage.data.total.requests)}</td>
              <td class="numeric">{formatCount(usage.data.total.input_tokens)}</td>
              <td class="numeric">{formatCount(usage.data.total.cached_tokens)}</td>
              <td class="numeric">{formatCount(usage.data.total.output_tokens)}</td>
              <td class="numeric">{formatMoney(usage.data.total.cost, usage.data.total.currency)}</td>
              <td class="numeric">{formatMoney(usage.data.total.charged, usage.data.total.currency)}</td>
            </tr>
          </tfoot>
        )}
      </Table>
    </Panel>
  );
}

function thisMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

function Statements() {
  const [agreement, setAgreement] = useState('');
  const [period, setPeriod] = useState(thisMonth);
  const [statement, setStatement] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const path = (format: string) => `/admin/ledger/statements${query({ agreement: agreement.trim(), period, format })}`;
  const fail = (failure: unknown) => setError(failure instanceof Error ? failure : new Error(String(failure)));
  const lines = Array.isArray(statement?.lines) ? (statement.lines as Record<string, unknown>[]) : null;
  return (
    <Panel title="Revenue-share statements" id="statements">
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setError(null);
          api<Record<string, unknown>>('GET', path('json')).then(setStatement, fail);
        }}
      >
        <Field label="Agreement">
          <input name="agreement" required maxLength={128} value={agreement} onInput={(event) => setAgreement(event.currentTarget.value)} />
        </Field>
        <Field label="Period" hint="A month (or YYYY-MM-DD for a day)">
          <input
            name="period"
            required
            pattern="\d{4}-\d{2}(-\d{2})?"
            maxLength={10}
            value={period}
            onInput={(event) => setPeriod(event.currentTarget.value)}
          />
        </Field>
        <div class="form-actions">
          <button type="submit" class="button button-primary">
            Show statement
          </button>
          <button
            type="button"
            class="button"
            disabled={agreement.trim() === ''}
            onClick={() => {
              setError(null);
              download(path('csv'), `statement-${agreement.trim()}-${period}.csv`).catch(fail);
            }}
          >
            Download CSV
          </button>
        </div>
      </form>
      <ErrorNotice error={error} />
      {statement === null ? null : lines === null ? (
        <pre class="json">{JSON.stringify(statement, null, 2)}</pre>
      ) : (
        <GenericTable caption="Statement lines" rows={lines} />
      )}
    </Panel>
  );
}

interface Verification {
  ok: boolean;
  violations: unknown[];
}

function Verify() {
  const [result, setResult] = useState<Verification | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Panel
      title="Verification"
      id="verify"
      actions={
        <button
          type="button"
          class="button"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            setError(null);
            api<Verification>('GET', '/admin/ledger/verify')
              .then(setResult, (failure: unknown) => setError(failure instanceof Error ? failure : new Error(String(failure))))
              .finally(() => setBusy(false));
          }}
        >
          {busy ? 'Verifying…' : 'Verify the ledger'}
        </button>
      }
    >
      <p class="panel-lead">
        Checks that every entry balances and every statement adds up, as <code>crossway ledger verify</code> does.
      </p>
      <ErrorNotice error={error} />
      <div aria-live="polite">
        {result === null ? null : result.ok ? (
          <p class="notice notice-good">The ledger verifies: no violation.</p>
        ) : (
          <div class="notice notice-error">
            <p>{result.violations.length} violations:</p>
            <pre class="json">{JSON.stringify(result.violations.slice(0, 50), null, 2)}</pre>
          </div>
        )}
      </div>
    </Panel>
  );
}

export function LedgerPage(props: { user: User }) {
  const master = props.user.role === 'admin';
  return (
    <Page title="Ledger" lead="What was used, what it cost, and what is owed.">
      {master ? <Balances /> : null}
      <Usage user={props.user} />
      {master ? <Statements /> : null}
      {master ? <Verify /> : null}
    </Page>
  );
}
