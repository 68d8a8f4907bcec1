// How long a dashboard run has been stepping (pauses left out) and how long it still needs: the
// steps left at the pace of the steps done, read-backs and evaluations included in that pace.
export class RunClock {
  private activeMs = 0;
  private since: number | null = null;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Counting from now: a start, or a resume after a pause. */
  run(): void {
    this.since ??= this.now();
  }

  pause(): void {
    if (this.since === null) return;
    this.activeMs += this.now() - this.since;
    this.since = null;
  }

  get activeSeconds(): number {
    return (this.activeMs + (this.since === null ? 0 : this.now() - this.since)) / 1000;
  }

  /** Seconds left for `totalSteps` after `stepsDone`; null before the first step has a pace. */
  etaSeconds(stepsDone: number, totalSteps: number): number | null {
    const active = this.activeSeconds;
    if (stepsDone <= 0 || active <= 0) return null;
    return (Math.max(0, totalSteps - stepsDone) * active) / stepsDone;
  }
}
