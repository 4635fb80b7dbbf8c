// Resolves when the process is asked to stop (Ctrl-C or a service manager's SIGTERM).

/** The signals that ask the process to stop. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Waits for SIGINT or SIGTERM, then stops listening for them. */
export function waitForShutdown(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
      resolve(signal);
    };
    for (const name of STOP_SIGNALS) process.on(name, onSignal);
  });
}

/**
 * While a graceful shutdown runs, further SIGINT/SIGTERM are passed to `onRepeat` instead of killing the process at
 * once (Ctrl-C reaches a cluster's workers twice: from the terminal and from the primary); the grace period bounds the
 * wait. Returns the function that stops holding them.
 */
export function holdStopSignals(onRepeat: (signal: NodeJS.Signals) => void): () => void {
  for (const name of STOP_SIGNALS) process.on(name, onRepeat);
  return () => {
    for (const name of STOP_SIGNALS) process.off(name, onRepeat);
  };
}
