import { describe, expect, it } from 'vitest';
import { RunClock } from '../../src/app/run-clock.ts';

describe("the dashboard run's clock and ETA", () => {
  it('counts stepping time only, and puts the steps left at the pace so far', () => {
    let now = 0;
    const clock = new RunClock(() => now);
    expect(clock.etaSeconds(0, 100)).toBeNull();
    clock.run();
    now = 10_000; // 10 s, 20 steps: 0.5 s a step
    expect(clock.etaSeconds(20, 100)).toBeCloseTo(40);
    clock.pause();
    now = 70_000; // a minute paused does not count
    clock.run();
    clock.run(); // a second start while running changes nothing
    now = 80_000;
    expect(clock.activeSeconds).toBeCloseTo(20);
    expect(clock.etaSeconds(40, 100)).toBeCloseTo(30);
    expect(clock.etaSeconds(100, 100)).toBe(0);
  });
});
