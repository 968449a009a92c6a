import type { Supervisor } from './supervisor.js';

/** Signals that stop the stack: Ctrl-C, `kill`, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Makes the first SIGINT/SIGTERM/SIGHUP stop the supervisor in order and then run `cleanup`; a
 * second one exits at once with 130 (the supervisor SIGKILLs its children's groups on exit).
 * `stopped` resolves once the stop and the cleanup are done; `dispose()` removes the handlers.
 */
export function stopOnSignals(
  supervisor: Supervisor,
  cleanup: () => Promise<void> = async () => undefined,
): { stopped: Promise<void>; dispose(): void } {
  let stopping = false;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      supervisor.say(`${signal} again: killing everything`);
      process.exit(130);
    }
    stopping = true;
    supervisor.say(`${signal}: stopping (${signal} again kills everything at once)`);
    void supervisor
      .stop()
      .then(cleanup)
      .catch((err: unknown) => supervisor.say(`while stopping: ${err instanceof Error ? err.message : String(err)}`))
      .finally(resolveStopped);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    stopped,
    dispose: () => {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    },
  };
}
