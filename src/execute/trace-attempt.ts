// The CLIENT span of one upstream attempt, ended with how the attempt ended: the upstream's status and the failure's
// code; a stream's span ends when the stream does (the attempt settles then).
import { startUpstreamAttempt, type UpstreamAttemptTrace } from '../observe/index.ts';
import type { Route } from '../catalog/index.ts';
import { UpstreamError } from '../wire/index.ts';
import type { AttemptControl, AttemptOutcome } from './attempt-control.ts';

/** Starts the span of the call's `number`th upstream attempt (1 for the first); null when tracing is off. */
export function traceAttempt(route: Route, number: number): UpstreamAttemptTrace | null {
  return startUpstreamAttempt({ route: route.id, provider: route.provider, region: route.region, number });
}

/** Ends the attempt's span now, or once its stream settled. */
export function endAttemptTrace(span: UpstreamAttemptTrace, outcome: AttemptOutcome<{ settledLater?: boolean }>, attempt: AttemptControl): void {
  switch (outcome.kind) {
    case 'answered':
      if (outcome.value.settledLater !== true) span.end(200, null);
      else
        attempt.onSettled(() => {
          const failure = attempt.failure;
          if (failure === null) span.end(200, null);
          else span.end(failure instanceof UpstreamError ? failure.upstreamStatus : null, failure.code);
        });
      return;
    case 'not-sent':
      span.end(null, outcome.failure.code);
      return;
    case 'refused':
    case 'client-closed':
      span.end(null, outcome.error.code);
      return;
    case 'failed':
      span.end(outcome.error.upstreamStatus, outcome.error.code);
      return;
  }
}
