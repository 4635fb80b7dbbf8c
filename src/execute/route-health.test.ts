import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteHealth, type RouteHealthOptions } from './route-health.ts';

/** Envoy's defaults on a clock the test moves. */
function healthAt(clock: { now: number }, options: RouteHealthOptions = {}) {
  return new RouteHealth({ now: () => clock.now, ...options });
}

function fail(health: RouteHealth, routeId: string, times: number): void {
  for (let i = 0; i < times; i += 1) health.recordFailure(routeId, health.admit(routeId) ?? 'pass');
}

function ejectedUntil(health: RouteHealth, routeId: string): number | null {
  const until = health.snapshot([routeId])[0]?.ejected_until ?? null;
  return until === null ? null : Date.parse(until);
}

describe('RouteHealth: outlier ejection', () => {
  it('ejects after 5 consecutive failures for 30 s, then turns half-open', () => {
    const clock = { now: 1_000_000 };
    const health = healthAt(clock);
    fail(health, 'a', 4);
    assert.equal(health.state('a'), 'closed');
    assert.equal(health.admit('a'), 'pass');
    fail(health, 'a', 1);
    assert.equal(health.state('a'), 'open');
    assert.equal(health.admit('a'), null);
    assert.equal(ejectedUntil(health, 'a'), 1_030_000);
    assert.equal(health.admit('b'), 'pass', 'other routes are unaffected');
    clock.now = 1_029_999;
    assert.equal(health.state('a'), 'open');
    clock.now = 1_030_000;
    assert.equal(health.state('a'), 'half_open');
  });

  it('a success resets the consecutive failures', () => {
    const health = healthAt({ now: 0 });
    fail(health, 'a', 4);
    health.recordSuccess('a', 'pass');
    fail(health, 'a', 4);
    assert.equal(health.state('a'), 'closed');
    assert.equal(health.snapshot(['a'])[0]?.consecutive_failures, 4);
  });

  it('half-open admits exactly one probe; its success closes the route', () => {
    const clock = { now: 0 };
    const health = healthAt(clock);
    fail(health, 'a', 5);
    clock.now = 30_000;
    assert.equal(health.admit('a'), 'probe');
    assert.equal(health.admit('a'), null, 'a second caller waits for the probe');
    assert.equal(health.admit('a'), null);
    health.recordSuccess('a', 'probe');
    assert.equal(health.state('a'), 'closed');
    assert.equal(health.admit('a'), 'pass');
  });

  it('a failed probe re-ejects for base x ejections: 30 s, 60 s, 90 s ... capped at 300 s', () => {
    const clock = { now: 0 };
    const health = healthAt(clock);
    fail(health, 'a', 5);
    const durations: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      const until = ejectedUntil(health, 'a');
      assert.ok(until !== null);
      durations.push(until - clock.now);
      clock.now = until;
      assert.equal(health.admit('a'), 'probe');
      health.recordFailure('a', 'probe');
      assert.equal(health.state('a'), 'open');
    }
    assert.deepEqual(durations, [30_000, 60_000, 90_000, 120_000, 150_000, 180_000, 210_000, 240_000, 270_000, 300_000, 300_000, 300_000]);
  });

  it('a second ejection soon after closing lasts 60 s; healthy time decays the count by one per 10 s', () => {
    const clock = { now: 0 };
    const health = healthAt(clock);
    fail(health, 'a', 5);
    clock.now = 30_000;
    health.recordSuccess('a', health.admit('a') ?? 'pass');
    assert.equal(health.snapshot(['a'])[0]?.ejections, 1);
    fail(health, 'a', 5);
    assert.equal(ejectedUntil(health, 'a'), 30_000 + 60_000);

    clock.now = 90_000;
    health.recordSuccess('a', health.admit('a') ?? 'pass');
    assert.equal(health.snapshot(['a'])[0]?.ejections, 2);
    clock.now = 100_000;
    assert.equal(health.snapshot(['a'])[0]?.ejections, 1, 'one interval of health takes one off');
    clock.now = 200_000;
    assert.equal(health.snapshot(['a'])[0]?.ejections, 0);
    fail(health, 'a', 5);
    assert.equal(ejectedUntil(health, 'a'), 200_000 + 30_000, 'back to the base time');
  });

  it('a released probe lets the next caller probe', () => {
    const clock = { now: 0 };
    const health = healthAt(clock);
    fail(health, 'a', 5);
    clock.now = 30_000;
    assert.equal(health.admit('a'), 'probe');
    health.release('a', 'probe');
    assert.equal(health.admit('a'), 'probe');
  });

  it('outcomes of requests admitted before the ejection neither close nor extend it', () => {
    const clock = { now: 0 };
    const health = healthAt(clock);
    fail(health, 'a', 5);
    health.recordSuccess('a', 'pass');
    assert.equal(health.state('a'), 'open');
    health.recordFailure('a', 'pass');
    assert.equal(ejectedUntil(health, 'a'), 30_000);
    clock.now = 30_000;
    health.recordSuccess('a', 'pass');
    assert.equal(health.state('a'), 'half_open', 'only the probe decides');
  });

  it('the epoch changes on every state change, including an ejection running out, and only then', () => {
    const clock = { now: 0 };
    const health = healthAt(clock, { outlier: { consecutiveFailures: 2 } });
    const epochs = [health.epoch];
    fail(health, 'a', 1);
    health.recordLatency('a', 100);
    epochs.push(health.epoch);
    fail(health, 'a', 1);
    epochs.push(health.epoch);
    clock.now = 29_999;
    epochs.push(health.epoch);
    clock.now = 30_000;
    epochs.push(health.epoch);
    health.recordFailure('a', health.admit('a') ?? 'pass');
    epochs.push(health.epoch);
    clock.now = 90_000;
    epochs.push(health.epoch);
    health.recordSuccess('a', health.admit('a') ?? 'pass');
    epochs.push(health.epoch);
    assert.deepEqual(epochs, [0, 0, 1, 1, 2, 3, 4, 5]);
  });

  it('honours configured thresholds and times', () => {
    const clock = { now: 0 };
    const health = healthAt(clock, { outlier: { consecutiveFailures: 2, baseEjectionMs: 500, maxEjectionMs: 800 } });
    fail(health, 'a', 2);
    assert.equal(ejectedUntil(health, 'a'), 500);
    clock.now = 500;
    health.recordFailure('a', health.admit('a') ?? 'pass');
    assert.equal(ejectedUntil(health, 'a'), 1_300, 'min(2 x 500, 800)');
  });
});

describe('RouteHealth: latency and error rate', () => {
  const ewmaCases = [
    { name: 'the first sample is the average', alpha: 0.3, samples: [200], expected: 200 },
    { name: 'alpha 0.3 weighs the newest sample 30 %', alpha: 0.3, samples: [100, 200], expected: 130 },
    { name: 'three samples', alpha: 0.3, samples: [100, 200, 400], expected: 0.3 * 400 + 0.7 * 130 },
    { name: 'alpha 1 keeps only the newest', alpha: 1, samples: [100, 900, 50], expected: 50 },
    { name: 'alpha 0.5', alpha: 0.5, samples: [0, 100, 100], expected: 75 },
  ];
  for (const { name, alpha, samples, expected } of ewmaCases) {
    it(`latency EWMA: ${name}`, () => {
      const health = new RouteHealth({ latencyEwmaAlpha: alpha });
      for (const sample of samples) health.recordLatency('a', sample);
      assert.ok(Math.abs((health.latencyMs('a') ?? NaN) - expected) < 1e-9, `${health.latencyMs('a')} != ${expected}`);
    });
  }

  it('latency is null before any sample', () => {
    assert.equal(new RouteHealth().latencyMs('a'), null);
  });

  it('the error rate covers the last N outcomes', () => {
    const health = new RouteHealth({ errorWindow: 4, outlier: { consecutiveFailures: 100 } });
    assert.equal(health.snapshot(['a'])[0]?.error_rate, null);
    health.recordFailure('a', 'pass');
    assert.equal(health.snapshot(['a'])[0]?.error_rate, 1);
    health.recordSuccess('a', 'pass');
    health.recordSuccess('a', 'pass');
    health.recordFailure('a', 'pass');
    assert.equal(health.snapshot(['a'])[0]?.error_rate, 0.5);
    health.recordSuccess('a', 'pass');
    health.recordSuccess('a', 'pass');
    assert.equal(health.snapshot(['a'])[0]?.error_rate, 0.25, 'the first failure left the window');
    health.recordSuccess('a', 'pass');
    assert.equal(health.snapshot(['a'])[0]?.error_rate, 0.25);
    health.recordSuccess('a', 'pass');
    assert.equal(health.snapshot(['a'])[0]?.error_rate, 0);
  });

  it('snapshots routes never used as closed with no samples', () => {
    assert.deepEqual(new RouteHealth().snapshot(['never']), [
      { route: 'never', state: 'closed', ejections: 0, consecutive_failures: 0, error_rate: null, latency_ewma_ms: null, ejected_until: null },
    ]);
  });
});

describe('RouteHealth: ejection cap and panic threshold', () => {
  const routesOf = (model: string, ...ids: string[]) => ids.map((id) => ({ id, model }));

  it("ejects at most half of a model's routes by default, one always; other models are counted apart", () => {
    const health = healthAt({ now: 0 }, { routes: [...routesOf('m', 'a', 'b', 'c'), ...routesOf('solo', 's'), ...routesOf('four', 'w', 'x', 'y', 'z')] });
    for (const id of ['a', 'b', 'c']) fail(health, id, 5);
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => health.state(id)),
      ['open', 'closed', 'closed'],
      'one of three',
    );
    assert.equal(health.snapshot(['b'])[0]?.consecutive_failures, 5, 'b stays in service, still counting');
    for (const id of ['w', 'x', 'y', 'z']) fail(health, id, 5);
    assert.deepEqual(
      ['w', 'x', 'y', 'z'].map((id) => health.state(id)),
      ['open', 'open', 'closed', 'closed'],
      'two of four',
    );
    fail(health, 's', 5);
    assert.equal(health.snapshot(['s'])[0]?.state, 'open', 'a single route may be ejected');
  });

  it('a freed slot is taken at the next failure; a half-open route still counts as ejected', () => {
    const clock = { now: 0 };
    const health = healthAt(clock, { routes: routesOf('m', 'a', 'b') });
    fail(health, 'a', 5);
    fail(health, 'b', 5);
    assert.equal(health.state('b'), 'closed');
    clock.now += 30_000;
    assert.equal(health.state('a'), 'half_open');
    fail(health, 'b', 1);
    assert.equal(health.state('b'), 'closed', 'a is not back yet');
    health.recordSuccess('a', health.admit('a') ?? 'pass');
    assert.equal(health.state('a'), 'closed');
    fail(health, 'b', 1);
    assert.equal(health.state('b'), 'open');
  });

  it('below the panic threshold every route is used again, ejected ones read as half-open; the epoch moves with it', () => {
    const health = healthAt({ now: 0 }, { outlier: { maxEjectionPercent: 100 }, routes: routesOf('m', 'a', 'b', 'c') });
    fail(health, 'a', 5);
    assert.equal(health.state('a'), 'open');
    assert.equal(health.admit('a'), null, 'two of three healthy: no panic');
    const epoch = health.epoch;
    fail(health, 'b', 5);
    assert.equal(health.epoch, epoch + 1);
    assert.equal(health.snapshot(['a'])[0]?.state, 'open');
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => health.state(id)),
      ['half_open', 'half_open', 'closed'],
      'one of three healthy: panic',
    );
    assert.equal(health.admit('a'), 'pass');
    assert.equal(health.inPanic('c'), true);
  });

  it('panic_threshold_percent 0 and max_ejection_percent 100 give the old behaviour: every route may be ejected', () => {
    const health = healthAt({ now: 0 }, { outlier: { maxEjectionPercent: 100, panicThresholdPercent: 0 }, routes: routesOf('m', 'a', 'b') });
    fail(health, 'a', 5);
    fail(health, 'b', 5);
    assert.deepEqual([health.admit('a'), health.admit('b')], [null, null]);
  });

  it('replaceRoutes (a reloaded catalog) counts only the new routes; a route that stays keeps its health', () => {
    const health = healthAt({ now: 0 }, { routes: routesOf('m', 'a', 'b', 'c', 'd') });
    fail(health, 'a', 5);
    assert.equal(health.state('a'), 'open');
    const epoch = health.epoch;
    health.replaceRoutes(routesOf('m', 'a', 'e'));
    assert.ok(health.epoch > epoch, 'plans made before are not reused');
    assert.equal(health.state('a'), 'open', 'a keeps its ejection');
    fail(health, 'e', 5);
    assert.equal(health.state('e'), 'closed', 'one of two routes is ejected already: the cap holds e in service');
  });

  it('routes never registered are neither capped nor in panic', () => {
    const health = healthAt({ now: 0 });
    fail(health, 'a', 5);
    assert.equal(health.admit('a'), null);
    assert.equal(health.inPanic('a'), false);
  });
});
