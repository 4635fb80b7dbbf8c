// What route health needs from the other replicas of a gateway, as an interface that execute/ owns: the cluster part
// implements it over Redis, so that execute/ neither imports it nor knows Redis.

/**
 * A route's new state, as one replica tells the others. An ejection travels as the time it has left, not as an end
 * time: replicas' clocks may differ, the bus delivers within milliseconds.
 */
export type RouteHealthChange =
  | { route: string; state: 'open'; ejectedForMs: number; ejections: number }
  | { route: string; state: 'closed'; ejections: number };

/** The other replicas, as the route health of one replica sees them. */
export interface RouteHealthPeers {
  /** Tells every other replica about an ejection or a closing; never throws, never waits. */
  announce(change: RouteHealthChange): void;
  /**
   * Asks for the half-open probe of a route among all replicas for `leaseMs`: true when this replica may send it (also
   * when the peers cannot be reached: each replica then goes on alone), false while another replica holds it.
   */
  claimProbe(routeId: string, leaseMs: number): Promise<boolean>;
}
