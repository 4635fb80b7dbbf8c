// Requests: the request log with filters (GET /admin/requests, newest first, refreshed every 5 s on the first page),
// and one request's detail: its row, its routing decision with the attempts, and its usage (GET /admin/requests/:id).
import { useState } from 'preact/hooks';
import { type User, api, query } from '../api.ts';
import type { Decision, ListPage, RequestRow } from '../admin-types.ts';
import { ErrorNotice, Field, Page, Pager, Panel, StatusBadge, Table, Time, Updated } from '../components.tsx';
import { DecisionView } from '../decision-view.tsx';
import { formatCount, formatMoney, formatMs } from '../format.ts';
import { href } from '../router.ts';
import { usePoll } from '../use-poll.ts';

interface RequestDetail {
  request: RequestRow;
  decision: Decision | null;
  usage: {
    model: string;
    route: string;
    input_tokens: number;
    cached_tokens: number;
    output_tokens: number;
    reasoning_tokens: number | null;
    estimated: boolean;
    cost: string;
    charge: string;
    currency: string;
  }[];
}

const EMPTY_FILTERS = { model: '', route: '', status: '', endpoint: '', tenant_id: '', key_id: '' };

function RequestDetailView(props: { id: string }) {
  const detail = usePoll(() => api<RequestDetail>('GET', `/admin/requests/${encodeURIComponent(props.id)}`), props.id);
  const row = detail.data?.request;
  return (
    <Page
      title="Request"
      lead={props.id}
      actions={
        <a class="button button-quiet" href={href('requests')}>
          Back to requests
        </a>
      }
    >
      <ErrorNotice error={detail.error} what="request details (/admin/requests/:id)" />
      {row === undefined ? null : (
        <>
          <Panel title="Summary" id="summary">
            <dl class="facts">
              <dt>Time</dt>
              <dd>
                <Time iso={row.created_at} />
              </dd>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={row.status} /> {row.error_code ?? ''}
              </dd>
              <dt>Endpoint</dt>
              <dd class="mono">{row.endpoint}</dd>
              <dt>Model</dt>
              <dd>{row.model}</dd>
              <dt>Route</dt>
              <dd class="mono">{row.route ?? '—'}</dd>
              <dt>Provider</dt>
              <dd>{row.provider ?? '—'}</dd>
              <dt>Attempts</dt>
              <dd>{row.attempts}</dd>
              <dt>Stream</dt>
              <dd>{row.stream ? 'yes' : 'no'}</dd>
              <dt>Duration</dt>
              <dd>
                {formatMs(row.duration_ms)} (first byte {formatMs(row.ttfb_ms)}, upstream {formatMs(row.upstream_ms)})
              </dd>
              <dt>Tokens</dt>
              <dd>
                {formatCount(row.prompt_tokens)} in ({formatCount(row.cached_tokens)} cached), {formatCount(row.completion_tokens)} out
              </dd>
              <dt>Tenant / key</dt>
              <dd class="mono">
                {row.tenant_id ?? '—'} / {row.key_id ?? '—'}
              </dd>
            </dl>
          </Panel>
          <Panel title="Routing decision" id="decision">
            {detail.data?.decision == null ? <p class="empty">No decision was recorded for this request.</p> : <DecisionView decision={detail.data.decision} />}
          </Panel>
          <Panel title="Usage" id="usage">
            <Table caption="Usage of this request" empty={(detail.data?.usage.length ?? 0) === 0} emptyText="No usage was metered.">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Route</th>
                  <th scope="col" class="numeric">
                    Input
                  </th>
                  <th scope="col" class="numeric">
                    Cached
                  </th>
                  <th scope="col" class="numeric">
                    Output
                  </th>
                  <th scope="col" class="numeric">
                    Reasoning
                  </th>
                  <th scope="col" class="numeric">
                    Cost
                  </th>
                  <th scope="col" class="numeric">
                    Charge
                  </th>
                </tr>
              </thead>
              <tbody>
                {detail.data?.usage.map((event, index) => (
                  <tr key={index}>
                    <td>{event.model}</td>
                    <td class="mono">{event.route}</td>
                    <td class="numeric">{formatCount(event.input_tokens)}</td>
                    <td class="numeric">{formatCount(event.cached_tokens)}</td>
                    <td class="numeric" title={event.estimated ? 'Counted by the gateway: the cloud did not report it' : undefined}>
                      {formatCount(event.output_tokens)}
                      {event.estimated ? ' (estimated)' : ''}
                    </td>
                    <td class="numeric">{formatCount(event.reasoning_tokens)}</td>
                    <td class="numeric">{formatMoney(event.cost, event.currency)}</td>
                    <td class="numeric">{formatMoney(event.charge, event.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </Panel>
        </>
      )}
    </Page>
  );
}

export function RequestsPage(props: { user: User; requestId: string | null }) {
  const [draft, setDraft] = useState(EMPTY_FILTERS);
  const [filters, setFilters] = useState(EMPTY_FILTERS);
  const [cursor, setCursor] = useState<string | null>(null);
  const key = JSON.stringify([filters, cursor]);
  // Live on the first page only: a later page would shift under the reader.
  const page = usePoll(
    () => api<ListPage<RequestRow>>('GET', `/admin/requests${query({ ...filters, limit: 50, after: cursor })}`),
    key,
    cursor === null ? 5000 : 0,
  );
  if (props.requestId !== null) return <RequestDetailView id={props.requestId} />;
  const set = (name: keyof typeof EMPTY_FILTERS) => (event: Event) => setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });
  const rows = page.data?.data ?? [];

  return (
    <Page title="Requests" lead="The request log, newest first." actions={<Updated at={page.updatedAt} loading={page.loading} />}>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setCursor(null);
          setFilters(draft);
        }}
      >
        <Field label="Model">
          <input name="model" value={draft.model} maxLength={128} onInput={set('model')} />
        </Field>
        <Field label="Route">
          <input name="route" value={draft.route} maxLength={128} onInput={set('route')} />
        </Field>
        <Field label="Status">
          <select name="status" value={draft.status} onChange={set('status')}>
            <option value="">Any</option>
            <option value="200">200</option>
            <option value="4xx">4xx</option>
            <option value="5xx">5xx</option>
          </select>
        </Field>
        <Field label="Endpoint">
          <input name="endpoint" value={draft.endpoint} maxLength={128} placeholder="chat.completions" onInput={set('endpoint')} />
        </Field>
        {props.user.role === 'admin' ? (
          <Field label="Tenant">
            <input name="tenant_id" value={draft.tenant_id} maxLength={64} onInput={set('tenant_id')} />
          </Field>
        ) : null}
        <Field label="Key id">
          <input name="key_id" value={draft.key_id} maxLength={64} onInput={set('key_id')} />
        </Field>
        <div class="form-actions">
          <button type="submit" class="button button-primary">
            Apply
          </button>
          <button
            type="button"
            class="button button-quiet"
            onClick={() => {
              setDraft(EMPTY_FILTERS);
              setFilters(EMPTY_FILTERS);
              setCursor(null);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorNotice error={page.error} what="the request log (/admin/requests)" />
      <Panel title="Log" id="log">
        <Table caption="Requests" empty={page.data !== null && rows.length === 0} emptyText="No request matches.">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Request</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Model</th>
              <th scope="col">Route</th>
              <th scope="col">Status</th>
              <th scope="col" class="numeric">
                Duration
              </th>
              <th scope="col" class="numeric">
                Tokens
              </th>
              {props.user.role === 'admin' ? <th scope="col">Tenant</th> : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-request={row.id}>
                <td>
                  <Time iso={row.created_at} />
                </td>
                <td class="mono">
                  <a href={href('requests', row.id)}>{row.id}</a>
                </td>
                <td class="mono">{row.endpoint}</td>
                <td>{row.model}</td>
                <td class="mono">{row.route ?? '—'}</td>
                <td>
                  <StatusBadge status={row.status} />
                </td>
                <td class="numeric">{formatMs(row.duration_ms)}</td>
                <td class="numeric">{formatCount((row.prompt_tokens ?? 0) + (row.completion_tokens ?? 0), true)}</td>
                {props.user.role === 'admin' ? <td>{row.tenant_id ?? '—'}</td> : null}
              </tr>
            ))}
          </tbody>
        </Table>
        <Pager cursor={cursor} page={page.data} onCursor={setCursor} />
      </Panel>
    </Page>
  );
}
