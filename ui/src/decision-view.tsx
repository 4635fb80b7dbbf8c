// A routing decision as two lists: the routes kept (in the order they are tried) and the routes rejected with every
// reason; with the attempts made when the decision was a request's.
import type { Decision } from './admin-types.ts';
import { StatusBadge, Table } from './components.tsx';
import { formatMs } from './format.ts';

export function DecisionView(props: { decision: Decision }) {
  const { decision } = props;
  return (
    <div class="decision">
      {decision.attempts === undefined ? null : (
        <>
          <h3>Attempts</h3>
          <Table caption="Attempts" empty={decision.attempts.length === 0} emptyText="No route was tried.">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Route</th>
                <th scope="col">Status</th>
                <th scope="col" class="numeric">
                  Latency
                </th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {decision.attempts.map((attempt, index) => (
                <tr key={index}>
                  <td>{index + 1}</td>
                  <td class="mono">{attempt.route}</td>
                  <td>
                    <StatusBadge status={attempt.status} />
                  </td>
                  <td class="numeric">{formatMs(attempt.latency_ms)}</td>
                  <td class="wrap">{attempt.error ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      )}
      <h3>Kept routes</h3>
      <Table caption="Kept routes" empty={decision.kept.length === 0} emptyText="No route could serve this request.">
        <thead>
          <tr>
            <th scope="col">Rank</th>
            <th scope="col">Route</th>
            <th scope="col">Provider</th>
            <th scope="col">Region</th>
            <th scope="col">Why here</th>
          </tr>
        </thead>
        <tbody>
          {decision.kept.map((route) => (
            <tr key={route.route}>
              <td>{route.rank}</td>
              <td class="mono">{route.route}</td>
              <td>{route.provider}</td>
              <td>{route.region}</td>
              <td class="wrap">{route.basis}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      <h3>Rejected routes</h3>
      <Table caption="Rejected routes" empty={decision.rejected.length === 0} emptyText="No route was rejected.">
        <thead>
          <tr>
            <th scope="col">Route</th>
            <th scope="col">Provider</th>
            <th scope="col">Region</th>
            <th scope="col">Reasons</th>
          </tr>
        </thead>
        <tbody>
          {decision.rejected.map((route) => (
            <tr key={route.route}>
              <td class="mono">{route.route}</td>
              <td>{route.provider}</td>
              <td>{route.region}</td>
              <td class="wrap">
                <ul class="reasons">
                  {route.reasons.map((reason) => (
                    <li key={reason.code}>
                      <span class="reason-code">{reason.code.replaceAll('_', ' ')}</span> {reason.detail}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      {decision.notes === undefined || decision.notes.length === 0 ? null : (
        <ul class="notes">
          {decision.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
