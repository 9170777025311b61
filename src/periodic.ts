export interface Periodic<T> {
  /** Runs the job now (or joins the run under way); resolves with its result, or undefined when it failed. */
  run(): Promise<T | undefined>;
  /** Stops the timer and waits for a run under way. */
  stop(): Promise<void>;
}

/**
 * Runs `job` at once and then every `intervalMs`, one run at a time; a failure goes to `onError`
 * and the next run tries again. The timer keeps no process alive.
 */
export function startPeriodic<T>(job: () => Promise<T>, intervalMs: number, onError?: (error: unknown) => void): Periodic<T> {
  let running: Promise<T | undefined> | undefined;
  const run = () => {
    running ??= job()
      .catch((error: unknown) => {
        onError?.(error);
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
