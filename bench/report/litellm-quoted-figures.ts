// LiteLLM (Python) cannot be installed on these machines, so its overhead is quoted from its own documentation, never
// measured here. Figures as published on the pages cited below (retrieved for this report; re-check them when updating).
import { renderMarkdownTable } from './render-markdown-table.ts';

/** The quoted figures, clearly marked as such, with their sources. */
export function renderLiteLlmQuotedFigures(): string {
  const table = renderMarkdownTable(
    ['Published setup (LiteLLM docs)', 'RPS', 'overhead p50', 'overhead p95', 'overhead p99', 'overhead mean'],
    [
      ['4 instances, 4 CPU / 8 GB each, PostgreSQL, Locust 1000 users, fake OpenAI endpoint', '1170', '2 ms', '8 ms', '13 ms', '3.32 ms'],
      ['2 instances, same machines', '1035.7', '12 ms', '29 ms', '43 ms', '14.74 ms'],
    ],
    [false, true, true, true, true, true],
  );
  return [
    '### LiteLLM: quoted, not measured',
    'LiteLLM is Python and cannot be installed on this machine, so these figures are **quoted from its documentation, not measured in this run** and ' +
      'are not comparable one-to-one (other hardware, a remote fake endpoint, Locust, and an overhead the proxy reports about itself in its ' +
      '`x-litellm-overhead-duration-ms` header).',
    table,
    'Sources: LiteLLM, "Benchmarks", https://docs.litellm.ai/docs/benchmarks (tables "2 Instance LiteLLM Proxy" and "4 Instances"); LiteLLM, ' +
      '"LiteLLM Proxy Performance", https://docs.litellm.ai/docs/proxy/perf ("LiteLLM proxy adds 0.00325 seconds latency as compared to using the Raw ' +
      'OpenAI API").',
  ].join('\n\n');
}
