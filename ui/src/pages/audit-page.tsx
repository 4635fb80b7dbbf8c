// Audit log: who did what to tenants, keys, configuration and sessions (GET /admin/audit), newest first.
import { useState } from 'preact/hooks';
import { type User, api, query } from '../api.ts';
import type { ListPage } from '../admin-types.ts';
import { ErrorNotice, Field, Page, Pager, Panel, Table, Time, Updated } from '../components.tsx';
import { usePoll } from '../use-poll.ts';

interface AuditEntry {
  id: string;
  created_at: string;
  actor: { kind: string; id: string | null; name: string | null };
  tenant_id: string | null;
  action: string;
  target: { type: string; id: string | null } | null;
  outcome: 'ok' | 'denied' | 'error';
  ip: string | null;
}

export function AuditPage(props: { user: User }) {
  const [draft, setDraft] = useState({ action: '', tenant_id: '' });
  const [filters, setFilters] = useState(draft);
  const [cursor, setCursor] = useState<string | null>(null);
  const page = usePoll(
    () => api<ListPage<AuditEntry>>('GET', `/admin/audit${query({ ...filters, limit: 50, after: cursor })}`),
    JSON.stringify([filters, cursor]),
    cursor === null ? 10_000 : 0,
  );
  const rows = page.data?.data ?? [];
  return (
    <Page title="Audit log" lead="Every admin action and sign-in, newest first." actions={<Updated at={page.updatedAt} loading={page.loading} />}>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setCursor(null);
          setFilters(draft);
        }}
      >
        <Field label="Action" hint="e.g. key.create, login">
          <input name="action" maxLength={64} value={draft.action} onInput={(event) => setDraft({ ...draft, action: event.currentTarget.value })} />
        </Field>
        {props.user.role === 'admin' ? (
          <Field label="Tenant">
            <input name="tenant_id" maxLength={64} value={draft.tenant_id} onInput={(event) => setDraft({ ...draft, tenant_id: event.currentTarget.value })} />
          </Field>
        ) : null}
        <div class="form-actions">
          <button type="submit" class="button button-primary">
            Apply
          </button>
        </div>
      </form>
      <ErrorNotice error={page.error} what="the audit log (/admin/audit)" />
      <Panel title="Entries" id="audit">
        <Table caption="Audit log" empty={page.data !== null && rows.length === 0} emptyText="No entry matches.">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">Tenant</th>
              <th scope="col">Address</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <Time iso={entry.created_at} />
                </td>
                <td class="mono">{entry.action}</td>
                <td>
                  <span class={`badge badge-${entry.outcome === 'ok' ? 'good' : entry.outcome === 'denied' ? 'warn' : 'bad'}`}>{entry.outcome}</span>
                </td>
                <td>
                  {entry.actor.name ?? entry.actor.id ?? '—'} <span class="muted">({entry.actor.kind})</span>
                </td>
                <td class="mono">{entry.target === null ? '—' : `${entry.target.type} ${entry.target.id ?? ''}`}</td>
                <td class="mono">{entry.tenant_id ?? '—'}</td>
                <td class="mono">{entry.ip ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </Table>
        <Pager cursor={cursor} page={page.data} onCursor={setCursor} />
      </Panel>
    </Page>
  );
}
