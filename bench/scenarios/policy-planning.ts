// The routing policy's cost per request, in-process: reading the request's constraints, deriving its needs (the
// o200k_base tokenizer), and planning its routes cold and from the plan cache, on the demo catalog (four gpt-5.5 routes,
// the Microsoft–OpenAI agreement), against JSON.parse of the same request body (a cost every request already pays)
// measured in the same run. The gateway's throughput with the policy on is measured by `proxy-overhead`, whose
// Crossway target plans every request once the server uses the planner.
import { join } from 'node:path';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { skippedResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatRate, formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const TITLE = 'Policy planning, per request';
/** Operations timed together per sample, so that timer resolution does not dominate microsecond operations. */
const BATCH = 200;
const WARM_UP_SAMPLES = 10;

export const policyPlanningScenario: Scenario = {
  name: 'policy-planning',
  description: 'Per-request cost of the planner (constraints, needs, plan cold and cached) against JSON.parse of the body',
  enabledByDefault: true,
  run: runPolicyPlanning,
};

type Policy = typeof import('../../src/policy/index.ts');
type CatalogModule = typeof import('../../src/catalog/index.ts');
type Wire = typeof import('../../src/wire/index.ts');

async function runPolicyPlanning(context: BenchContext): Promise<ScenarioResult> {
  let policy: Policy;
  let catalogModule: CatalogModule;
  let wire: Wire;
  try {
    policy = await import('../../src/policy/index.ts');
    catalogModule = await import('../../src/catalog/index.ts');
    wire = await import('../../src/wire/index.ts');
  } catch (error) {
    return skippedResult(TITLE, `the policy module does not load (${firstLine(error)}).`);
  }
  const catalog = catalogModule.loadCatalogFile(join(context.repoRoot, 'examples', 'crossway.demo.yaml'), { placeholders: true, env: {} });
  const found = catalog.findModel('gpt-5.5');
  if (found === undefined) return skippedResult(TITLE, 'the demo catalog has no gpt-5.5.');

  const bodyText = JSON.stringify(typicalBody());
  const body = JSON.parse(bodyText) as Record<string, unknown>;
  const headers = { 'x-crossway-compliance': 'soc2' };
  const request = wire.chatCompletionRequestSchema.parse(body);
  const longRequest = wire.chatCompletionRequestSchema.parse({ ...body, messages: [{ role: 'user', content: longText(100_000) }] });
  const health = { epoch: 0, state: () => 'closed' as const, latencyMs: () => null };
  const now = new Date('2026-12-15T12:00:00Z');
  const needs = policy.deriveRequestNeeds(request);
  const constraints = policy.mergeConstraints(catalog.config.policy, policy.readRequestConstraints(body, headers));
  const input = { model: found.model, routes: found.routes, needs, constraints, agreements: catalog.agreements, health, now };
  // A cache of one entry fed two different requests in turn misses every time: the cost of a cold plan, key included.
  const coldCache = new policy.PlanCache(1);
  const otherInput = { ...input, needs: { ...needs, capabilities: [...needs.capabilities, 'vision' as const] } };
  const warmCache = new policy.PlanCache();
  let flip = false;

  const operations: { label: string; batch: number; run: () => unknown }[] = [
    { label: 'JSON.parse of the request body (baseline)', batch: BATCH, run: () => JSON.parse(bodyText) },
    {
      label: 'readRequestConstraints + mergeConstraints',
      batch: BATCH,
      run: () => policy.mergeConstraints(catalog.config.policy, policy.readRequestConstraints(body, headers)),
    },
    { label: `deriveRequestNeeds (${needs.inputTokens} tokens, tools, stream)`, batch: BATCH, run: () => policy.deriveRequestNeeds(request) },
    {
      label: 'plan, cold (cache miss: key + planRoutes)',
      batch: BATCH,
      run: () => {
        flip = !flip;
        return coldCache.planCached(flip ? input : otherInput, catalog.version);
      },
    },
    { label: 'plan, cached (cache hit)', batch: BATCH, run: () => warmCache.planCached(input, catalog.version) },
    {
      label: 'whole policy step, cached plan (constraints + needs + plan)',
      batch: BATCH,
      run: () => {
        const requestConstraints = policy.mergeConstraints(catalog.config.policy, policy.readRequestConstraints(body, headers));
        return warmCache.planCached({ ...input, needs: policy.deriveRequestNeeds(request), constraints: requestConstraints }, catalog.version);
      },
    },
  ];
  const longNeeds = policy.deriveRequestNeeds(longRequest);
  const longOperation = {
    label: `deriveRequestNeeds, long prompt (${longNeeds.inputTokens} tokens)`,
    batch: 1,
    run: () => policy.deriveRequestNeeds(longRequest),
  };

  const check = policy.planRoutes(input);
  const problems: string[] = [];
  if (check.kept.length === 0) problems.push(`the bench request keeps no route (${String(policy.describeEmptyPlan(check).message)})`);

  const samples = context.settings.translationIterations;
  context.log(`policy-planning: ${samples} samples of ${BATCH} operations, ${operations.length} operations`);
  const recorders = operations.map(() => new LatencyRecorder());
  for (let sample = 0; sample < WARM_UP_SAMPLES + samples; sample++) {
    // Interleaved, so that drift (GC, frequency) hits every operation alike.
    operations.forEach((operation, index) => {
      const started = performance.now();
      for (let k = 0; k < operation.batch; k++) operation.run();
      if (sample >= WARM_UP_SAMPLES) recorders[index]!.record((performance.now() - started) / operation.batch);
    });
  }
  const longRecorder = new LatencyRecorder();
  for (let sample = 0; sample < Math.min(samples, 20); sample++) {
    const started = performance.now();
    longOperation.run();
    longRecorder.record(performance.now() - started);
  }

  const baseline = recorders[0]!.summary().p50;
  const micro = (ms: number | null) => (ms === null ? 'n/a' : (ms * 1000).toFixed(2));
  const rows = [
    ...operations.map((operation, index) => [operation.label, recorders[index]!.summary()] as const),
    [longOperation.label, longRecorder.summary()] as const,
  ].map(([label, summary]) => [
    label,
    micro(summary.p50),
    micro(summary.p90),
    formatRate(summary.p50 === null ? null : 1000 / summary.p50),
    formatRatio(summary.p50, baseline),
  ]);
  const cold = recorders[3]!.summary().p50;
  const cached = recorders[4]!.summary().p50;
  const step = recorders[5]!.summary().p50;
  const markdown = [
    `In-process, one core: ${samples} samples of ${BATCH} operations each after ${WARM_UP_SAMPLES} warm-up samples, operations interleaved. The ` +
      `request is a ${bodyText.length}-byte chat (system + user message, one tool, \`stream: true\`, a \`crossway\` object with \`regions: [us]\` and ` +
      `\`sort: price\`, plus an \`x-crossway-compliance\` header) for \`gpt-5.5\` on the demo catalog at 2026-12-15 (${check.kept.length} routes kept, ` +
      `${check.rejected.length} rejected). Microseconds per operation; the ratio is against JSON.parse of the same body.`,
    renderMarkdownTable(['Operation', 'µs p50', 'µs p90', 'ops/s (one core)', '× JSON.parse'], rows, [false, true, true, true, true]),
    `A cached plan costs **${formatRatio(cached, cold)}×** a cold one. The tokenizer dominates the per-request cost of large prompts; the cache key ` +
      'depends on which route limits the request exceeds, so similar requests share a plan whatever their size.',
    ...(problems.length > 0 ? [`Check: ${problems.join('; ')}.`] : []),
  ].join('\n\n');
  return {
    title: TITLE,
    markdown,
    headline: [
      `Policy planning: **${micro(cold)} µs cold, ${micro(cached)} µs cached** per request (p50); the whole policy step with a cached plan is ` +
        `${formatRatio(step, baseline)}× JSON.parse of the body.`,
    ],
    targets: [],
    artifacts: [],
  };
}

function typicalBody(): Record<string, unknown> {
  return {
    model: 'gpt-5.5',
    stream: true,
    messages: [
      { role: 'system', content: 'You are a helpful assistant for a travel company. Answer briefly and cite the booking reference when there is one.' },
      { role: 'user', content: longText(300) },
    ],
    tools: [
      {
        type: 'function',
        function: {
          name: 'find_booking',
          description: 'Look a booking up by reference',
          parameters: { type: 'object', properties: { reference: { type: 'string' } }, required: ['reference'] },
        },
      },
    ],
    temperature: 0.2,
    crossway: { regions: ['us'], sort: 'price' },
  };
}

/** Roughly `tokens` tokens of English-like text. */
function longText(tokens: number): string {
  const words = ['the', 'booking', 'reference', 'for', 'my', 'flight', 'to', 'Lisbon', 'was', 'changed', 'yesterday', 'and'];
  return Array.from({ length: tokens }, (_, index) => words[index % words.length]).join(' ');
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
