// Runs a request through the middleware and then its route's handler, in the spirit of Hono's `compose`: each step
// gets the exchange and a `next` that runs the rest and resolves with its answer.
import type { GatewayContext, Exchange, HttpResult, Middleware } from './gateway-types.ts';

/** The pipeline: `middleware` in order around the handler of the exchange's route. */
export function compose(middleware: readonly Middleware[]): (gateway: GatewayContext, exchange: Exchange) => Promise<HttpResult> {
  return (gateway, exchange) => {
    const dispatch = (index: number): Promise<HttpResult> => {
      const step = middleware[index];
      if (step === undefined) return exchange.route.handler(gateway, exchange, exchange.params);
      return step(gateway, exchange, () => dispatch(index + 1));
    };
    return dispatch(0);
  };
}
