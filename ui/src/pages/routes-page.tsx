// Routes: every route's circuit state, latency and error rate, live (GET /admin/routes every 5 s), a route's recent
// failures from the request log, and the plan explorer (POST /admin/plan: the answer `crossway plan --json` gives).
import { useState } from 'preact/hooks';
import { api, query } from '../api.ts';
import type { AdminRoute, Decision, ListPage, RequestRow } from '../admin-types.ts';
import { ErrorNotice, Field, Page, Panel, StateBadge, StatusBadge, Table, Time, Updated } from '../components.tsx';
import { DecisionView } from '../decision-view.tsx';
import { formatMs, formatPercent } from '../format.ts';
import { href } from '../router.ts';
import { usePoll } from '../use-poll.ts';

function RecentFailures(props: { route: string; onClose: () => void }) {
  const failures = usePoll(
    () => api<ListPage<RequestRow>>('GET', `/admin/requests${query({ route: props.route, status: '5xx', limit: 10 })}`),
    props.route,
    5000,
  );
  return (
    <Panel
      title={`Recent failures of ${props.route}`}
      id="failures"
      actions={
        <button type="button" class="button button-quiet" onClick={props.onClose}>
          Close
        </button>
      }
    >
      <ErrorNotice error={failures.error} what="the request log (/admin/requests)" />
      {failures.data === null ? null : (
        <Table caption={`Recent failures of ${props.route}`} empty={failures.data.data.length === 0} emptyText="No failed request on this route.">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Request</th>
              <th scope="col">Status</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {failures.data.data.map((row) => (
              <tr key={row.id}>
                <td>
                  <Time iso={row.created_at} />
                </td>
                <td class="mono">
                  <a href={href('requests', row.id)}>{row.id}</a>
                </td>
                <td>
                  <StatusBadge status={row.status} />
                </td>
                <td>{row.error_code ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Panel>
  );
}

function PlanExplorer(props: { models: string[] }) {
  const [form, setForm] = useState({ model: '', date: '', region: '', compliance: '', provider: '', tenant_id: '' });
  const [plan, setPlan] = useState<Decision | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: keyof typeof form) => (event: Event) => setForm({ ...form, [name]: (event.currentTarget as HTMLInputElement).value });

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = Object.fromEntries(Object.entries({ ...form, model: form.model || props.models[0] || '' }).filter(([, value]) => value.trim() !== ''));
      setPlan(await api<Decision>('POST', '/admin/plan', body));
    } catch (failure) {
      setPlan(null);
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Panel title="Plan explorer" id="plan">
      <p class="panel-lead">
        Which routes would serve a request, and why the others would not: the answer of <code>crossway plan</code>.
      </p>
      <form class="form-grid" onSubmit={submit}>
        <Field label="Model">
          <select name="model" value={form.model || props.models[0]} onChange={set('model')}>
            {props.models.map((model) => (
              <option key={model} value={model}>
                {model}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Date" hint="When the request is made (today if empty)">
          <input type="date" name="date" value={form.date} onInput={set('date')} />
        </Field>
        <Field label="Region" hint="e.g. eu, us">
          <input name="region" value={form.region} maxLength={64} onInput={set('region')} />
        </Field>
        <Field label="Compliance" hint="e.g. gdpr, hipaa">
          <input name="compliance" value={form.compliance} maxLength={64} onInput={set('compliance')} />
        </Field>
        <Field label="Provider">
          <input name="provider" value={form.provider} maxLength={64} onInput={set('provider')} />
        </Field>
        <Field label="Tenant" hint="Its policy narrows the plan">
          <input name="tenant_id" value={form.tenant_id} maxLength={64} onInput={set('tenant_id')} />
        </Field>
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Planning…' : 'Plan'}
          </button>
        </div>
      </form>
      <ErrorNotice error={error} what="the plan explorer (POST /admin/plan)" />
      <div aria-live="polite">{plan === null ? null : <DecisionView decision={plan} />}</div>
    </Panel>
  );
}

export function RoutesPage() {
  const routes = usePoll(() => api<ListPage<AdminRoute>>('GET', '/admin/routes'), 'routes', 5000);
  const [failuresOf, setFailuresOf] = useState<string | null>(null);
  const list = routes.data?.data ?? [];
  const models = [...new Set(list.map((route) => route.model))];

  return (
    <Page title="Routes" lead="Health and circuit state of every route, live." actions={<Updated at={routes.updatedAt} loading={routes.loading} />}>
      <ErrorNotice error={routes.error} what="route health" />
      <Panel title="Routes" id="routes">
        <Table caption="Routes and their circuit state" empty={routes.data !== null && list.length === 0}>
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Model</th>
              <th scope="col">Provider</th>
              <th scope="col">Region</th>
              <th scope="col">Circuit</th>
              <th scope="col" class="numeric">
                Latency
              </th>
              <th scope="col" class="numeric">
                Error rate
              </th>
              <th scope="col" class="numeric" title="Failures in a row">
                Failures
              </th>
              <th scope="col">Ejected until</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((route) => (
              <tr key={route.id} data-route={route.id}>
                <td class="mono">{route.id}</td>
                <td>{route.model}</td>
                <td>{route.provider}</td>
                <td>{route.region}</td>
                <td>
                  <StateBadge state={route.state} />
                </td>
                <td class="numeric">{formatMs(route.latency_ewma_ms)}</td>
                <td class="numeric">{formatPercent(route.error_rate)}</td>
                <td class="numeric">{route.consecutive_failures}</td>
                <td>{route.ejected_until === null ? '—' : <Time iso={route.ejected_until} timeOnly />}</td>
                <td>
                  <button
                    type="button"
                    class="button button-small"
                    onClick={() => setFailuresOf(route.id)}
                    aria-label={`Log of recent failures of ${route.id}`}
                  >
                    Log
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Panel>
      {failuresOf === null ? null : <RecentFailures route={failuresOf} onClose={() => setFailuresOf(null)} />}
      {models.length === 0 ? null : <PlanExplorer models={models} />}
    </Page>
  );
}
