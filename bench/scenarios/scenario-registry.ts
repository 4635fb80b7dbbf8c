// The bench's scenarios, in the order they run and appear in BENCHMARKS.md. A new benchmark (policy planning,
// metering commits, stateful chains, replicas) is a module exporting a Scenario, added to this list.
import type { Scenario } from '../bench-types.ts';
import { adminStatsScenario } from './admin-stats.ts';
import { bedrockStreamTranslationScenario } from './bedrock-stream-translation.ts';
import { clusterBusScenario } from './cluster-bus.ts';
import { crosswayProfileScenario } from './crossway-profile.ts';
import { memoryBreakdownScenario } from './memory-breakdown.ts';
import { meteringCommitScenario } from './metering-commit.ts';
import { metricsOverheadScenario } from './metrics-overhead.ts';
import { openaiStreamRewriteScenario } from './openai-stream-rewrite.ts';
import { policyPlanningScenario } from './policy-planning.ts';
import { crosswayVirtualKeyScenario, proxyOverheadScenario } from './proxy-overhead.ts';
import { replicasScenario } from './replicas.ts';
import { requestLogCommitScenario } from './request-log-commit.ts';
import { runtimeChainScenario } from './runtime-chain.ts';
import { scrubSecretsStreamScenario } from './scrub-secrets-stream.ts';
import { streamMemoryScenario } from './stream-memory.ts';
import { tokenCountScenario } from './token-count.ts';
import { tracingScenario } from './tracing.ts';
import { tracingHooksScenario } from './tracing-hooks.ts';

/** Every scenario; `enabledByDefault: false` ones run only when named with `--only`. */
export const scenarios: readonly Scenario[] = [
  proxyOverheadScenario,
  crosswayVirtualKeyScenario,
  streamMemoryScenario,
  memoryBreakdownScenario,
  requestLogCommitScenario,
  meteringCommitScenario,
  bedrockStreamTranslationScenario,
  scrubSecretsStreamScenario,
  openaiStreamRewriteScenario,
  policyPlanningScenario,
  runtimeChainScenario,
  crosswayProfileScenario,
  tokenCountScenario,
  clusterBusScenario,
  replicasScenario,
  metricsOverheadScenario,
  tracingScenario,
  tracingHooksScenario,
  adminStatsScenario,
];

/** The scenarios a run selects: the named ones, or every default one. Throws on an unknown name. */
export function selectScenarios(only: readonly string[]): Scenario[] {
  if (only.length === 0) return scenarios.filter((scenario) => scenario.enabledByDefault);
  return only.map((name) => {
    const found = scenarios.find((scenario) => scenario.name === name);
    if (found === undefined) throw new Error(`unknown scenario '${name}'; known: ${scenarios.map((scenario) => scenario.name).join(', ')}`);
    return found;
  });
}
