// Tenants and keys: tenants with their limits and budgets (spent, reserved by calls in flight and left in the budget's
// period), keys with create (the secret shown once), rotate and revoke. Changes go through /admin/tenants and /admin/keys.
import { useState } from 'preact/hooks';
import { type User, api, query } from '../api.ts';
import type { ApiKey, ListPage, Tenant } from '../admin-types.ts';
import { BudgetCell, type BudgetOwner, budgetKey, useBudgets } from '../budget-status.tsx';
import { ErrorNotice, Field, Page, Panel, Table, Time, Updated } from '../components.tsx';
import { formatCount } from '../format.ts';
import { usePoll } from '../use-poll.ts';

function limits(item: { rpm: number | null; tpm: number | null }): string {
  const parts = [item.rpm === null ? null : `${formatCount(item.rpm)} rpm`, item.tpm === null ? null : `${formatCount(item.tpm, true)} tpm`].filter(Boolean);
  return parts.length === 0 ? 'unlimited' : parts.join(', ');
}

const EMPTY_KEY = { tenant: '', name: '', models: '', rpm: '', tpm: '', budget: '', currency: 'USD', period: 'month', expires_at: '', admin: false };

/** The body of POST /admin/keys from the form: empty fields are left out, numbers parsed. */
function keyBody(form: typeof EMPTY_KEY, fallbackTenant: string): Record<string, unknown> {
  const body: Record<string, unknown> = { tenant: form.tenant || fallbackTenant };
  if (form.name.trim() !== '') body.name = form.name.trim();
  const models = form.models
    .split(',')
    .map((model) => model.trim())
    .filter(Boolean);
  if (models.length > 0) body.models = models;
  if (form.rpm !== '') body.rpm = Number(form.rpm);
  if (form.tpm !== '') body.tpm = Number(form.tpm);
  if (form.budget !== '') body.budget = { limit: form.budget, currency: form.currency, period: form.period };
  if (form.expires_at !== '') body.expires_at = new Date(form.expires_at).toISOString();
  if (form.admin) body.admin = true;
  return body;
}

function CreateKeyForm(props: { tenants: Tenant[]; onCreated: (key: ApiKey) => void }) {
  const [form, setForm] = useState(EMPTY_KEY);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: keyof typeof EMPTY_KEY) => (event: Event) => {
    const target = event.currentTarget as HTMLInputElement;
    setForm({ ...form, [name]: target.type === 'checkbox' ? target.checked : target.value });
  };
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onCreated(await api<ApiKey>('POST', '/admin/keys', keyBody(form, props.tenants[0]?.id ?? 'default')));
      setForm({ ...EMPTY_KEY, tenant: form.tenant });
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="form-grid" onSubmit={submit} aria-label="Create a key">
      <Field label="Tenant">
        <select name="tenant" value={form.tenant || props.tenants[0]?.id} onChange={set('tenant')}>
          {props.tenants.map((tenant) => (
            <option key={tenant.id} value={tenant.id}>
              {tenant.id}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Name">
        <input name="name" value={form.name} maxLength={128} onInput={set('name')} />
      </Field>
      <Field label="Models" hint="Comma-separated; all if empty">
        <input name="models" value={form.models} maxLength={512} onInput={set('models')} />
      </Field>
      <Field label="Requests per minute">
        <input name="rpm" type="number" min={1} step={1} value={form.rpm} onInput={set('rpm')} />
      </Field>
      <Field label="Tokens per minute">
        <input name="tpm" type="number" min={1} step={1} value={form.tpm} onInput={set('tpm')} />
      </Field>
      <Field label="Budget">
        <input name="budget" inputMode="decimal" pattern="[0-9]+(\.[0-9]{1,6})?" placeholder="25.00" value={form.budget} onInput={set('budget')} />
      </Field>
      <Field label="Currency">
        <input name="currency" value={form.currency} maxLength={3} onInput={set('currency')} />
      </Field>
      <Field label="Budget period">
        <select name="period" value={form.period} onChange={set('period')}>
          <option value="month">Month</option>
          <option value="day">Day</option>
          <option value="total">In total</option>
        </select>
      </Field>
      <Field label="Expires">
        <input name="expires_at" type="datetime-local" value={form.expires_at} onInput={set('expires_at')} />
      </Field>
      <label class="check">
        <input name="admin" type="checkbox" checked={form.admin} onChange={set('admin')} />
        <span>Admin key (may manage its tenant's keys)</span>
      </label>
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
      </div>
      <ErrorNotice error={error} />
    </form>
  );
}

/** The secret of a key just created or rotated: shown once, never again. */
function NewSecret(props: { apiKey: ApiKey; verb: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret" role="status">
      <p>
        <strong>
          Key {props.apiKey.name ?? props.apiKey.id} {props.verb}.
        </strong>{' '}
        Copy it now: it will not be shown again.
      </p>
      <code class="secret-value" data-secret>
        {props.apiKey.key}
      </code>
      <div class="secret-actions">
        <button
          type="button"
          class="button"
          onClick={() => {
            void navigator.clipboard?.writeText(props.apiKey.key ?? '').then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" class="button button-quiet" onClick={props.onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function KeyActions(props: { apiKey: ApiKey; onChanged: (secret: ApiKey | null, verb: string) => void; onError: (error: Error) => void }) {
  const [confirming, setConfirming] = useState(false);
  const label = props.apiKey.name ?? props.apiKey.prefix;
  if (props.apiKey.revoked_at !== null) return <span class="muted">revoked</span>;
  const run = (action: Promise<ApiKey>, verb: string, keepSecret: boolean) =>
    action.then(
      (answer) => props.onChanged(keepSecret ? answer : null, verb),
      (error: unknown) => props.onError(error instanceof Error ? error : new Error(String(error))),
    );
  return (
    <div class="row-actions">
      <button
        type="button"
        class="button button-small"
        aria-label={`Rotate ${label}`}
        onClick={() => run(api<ApiKey>('POST', `/admin/keys/${encodeURIComponent(props.apiKey.id)}/rotate`), 'rotated', true)}
      >
        Rotate
      </button>
      {confirming ? (
        <>
          <button
            type="button"
            class="button button-small button-danger"
            aria-label={`Confirm revoking ${label}`}
            onClick={() => run(api<ApiKey>('DELETE', `/admin/keys/${encodeURIComponent(props.apiKey.id)}`), 'revoked', false)}
          >
            Confirm revoke
          </button>
          <button type="button" class="button button-small button-quiet" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" class="button button-small button-danger-quiet" aria-label={`Revoke ${label}`} onClick={() => setConfirming(true)}>
          Revoke
        </button>
      )}
    </div>
  );
}

function CreateTenantForm(props: { onCreated: () => void }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<Error | null>(null);
  return (
    <form
      class="form-inline"
      aria-label="Create a tenant"
      onSubmit={(event) => {
        event.preventDefault();
        setError(null);
        api('POST', '/admin/tenants', name.trim() === '' ? { id } : { id, name: name.trim() }).then(
          () => {
            setId('');
            setName('');
            props.onCreated();
          },
          (failure: unknown) => setError(failure instanceof Error ? failure : new Error(String(failure))),
        );
      }}
    >
      <Field label="Tenant id">
        <input name="tenant-id" required maxLength={64} pattern="[A-Za-z0-9._\-]+" value={id} onInput={(event) => setId(event.currentTarget.value)} />
      </Field>
      <Field label="Name">
        <input name="tenant-name" maxLength={128} value={name} onInput={(event) => setName(event.currentTarget.value)} />
      </Field>
      <button type="submit" class="button">
        Add tenant
      </button>
      <ErrorNotice error={error} />
    </form>
  );
}

export function TenantsPage(props: { user: User; canWrite: boolean }) {
  const [tenantFilter, setTenantFilter] = useState('');
  const [secret, setSecret] = useState<{ apiKey: ApiKey; verb: string } | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const tenants = usePoll(() => api<ListPage<Tenant>>('GET', '/admin/tenants'), 'tenants');
  const keys = usePoll(() => api<ListPage<ApiKey>>('GET', `/admin/keys${query({ tenant: tenantFilter })}`), tenantFilter, 15_000);
  const tenantList = tenants.data?.data ?? [];
  // The live keys' budgets (a revoked key spends nothing more) and the tenants': spent, reserved and left.
  const owners: BudgetOwner[] = [
    ...tenantList.flatMap((tenant) => (tenant.budget === null ? [] : [{ kind: 'tenant' as const, id: tenant.id }])),
    ...(keys.data?.data ?? []).flatMap((apiKey) => (apiKey.budget === null || apiKey.revoked_at !== null ? [] : [{ kind: 'key' as const, id: apiKey.id }])),
  ];
  const budgets = useBudgets(owners);
  const changed = (answer: ApiKey | null, verb: string) => {
    setActionError(null);
    if (answer?.key !== undefined) setSecret({ apiKey: answer, verb });
    setAnnouncement(`Key ${verb}.`);
    keys.refresh();
  };

  return (
    <Page
      title="Tenants & keys"
      lead="Who may call the gateway, within which limits."
      actions={<Updated at={budgets.updatedAt ?? keys.updatedAt} loading={keys.loading || budgets.loading} />}
    >
      <p class="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      <Panel title="Tenants" id="tenants">
        <ErrorNotice error={tenants.error} />
        <Table caption="Tenants" empty={tenants.data !== null && tenantList.length === 0}>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Name</th>
              <th scope="col">Rate limits</th>
              <th scope="col">Budget</th>
              <th scope="col">Margin</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {tenantList.map((tenant) => (
              <tr key={tenant.id} data-tenant={tenant.id}>
                <td class="mono">{tenant.id}</td>
                <td>{tenant.name}</td>
                <td>{limits(tenant)}</td>
                <td>
                  <BudgetCell budget={tenant.budget} status={budgets.data?.get(budgetKey({ kind: 'tenant', id: tenant.id }))} />
                </td>
                <td>{tenant.margin ?? '—'}</td>
                <td>
                  <Time iso={tenant.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
        {props.user.role === 'admin' && props.canWrite ? <CreateTenantForm onCreated={tenants.refresh} /> : null}
      </Panel>
      {props.canWrite ? (
        <Panel title="Create a key" id="create-key">
          {secret === null ? null : <NewSecret apiKey={secret.apiKey} verb={secret.verb} onDone={() => setSecret(null)} />}
          <CreateKeyForm tenants={tenantList} onCreated={(created) => changed(created, 'created')} />
        </Panel>
      ) : null}
      <Panel
        title="Keys"
        id="keys"
        actions={
          tenantList.length > 1 ? (
            <label class="inline-field">
              <span>Tenant</span>
              <select value={tenantFilter} onChange={(event) => setTenantFilter(event.currentTarget.value)}>
                <option value="">All</option>
                {tenantList.map((tenant) => (
                  <option key={tenant.id} value={tenant.id}>
                    {tenant.id}
                  </option>
                ))}
              </select>
            </label>
          ) : undefined
        }
      >
        <ErrorNotice error={keys.error ?? actionError} />
        <Table caption="Keys" empty={keys.data !== null && (keys.data.data.length ?? 0) === 0} emptyText="No key yet.">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Tenant</th>
              <th scope="col">Models</th>
              <th scope="col">Rate limits</th>
              <th scope="col">Budget</th>
              <th scope="col">Expires</th>
              <th scope="col">Created</th>
              {props.canWrite ? (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {keys.data?.data.map((apiKey) => (
              <tr key={apiKey.id} data-key={apiKey.id} class={apiKey.revoked_at === null ? undefined : 'revoked'}>
                <td>
                  {apiKey.name ?? <span class="muted">unnamed</span>}
                  {apiKey.admin ? <span class="badge badge-neutral">admin</span> : null}
                </td>
                <td class="mono">{apiKey.prefix}…</td>
                <td class="mono">{apiKey.tenant}</td>
                <td>{apiKey.models?.join(', ') ?? 'all'}</td>
                <td>{limits(apiKey)}</td>
                <td>
                  <BudgetCell budget={apiKey.budget} status={budgets.data?.get(budgetKey({ kind: 'key', id: apiKey.id }))} />
                </td>
                <td>{apiKey.expires_at === null ? 'never' : <Time iso={apiKey.expires_at} />}</td>
                <td>
                  <Time iso={apiKey.created_at} />
                </td>
                {props.canWrite ? (
                  <td>
                    <KeyActions apiKey={apiKey} onChanged={changed} onError={setActionError} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </Table>
      </Panel>
    </Page>
  );
}
