// One vault call at a time per form: busy while it runs, its error when it fails.

import { useCallback, useContext, useRef, useState } from 'preact/hooks';
import type { Progress, VaultError } from './api';
import { SessionContext } from './session';
import { onProgress } from './vault';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: VaultError };

export interface Call {
  busy: boolean;
  /** When the running call started (ms, page clock). */
  startedAt: number;
  /** The running call's last progress report from the worker. */
  progress: Progress | null;
  error: VaultError | null;
  /** Runs `fn`; a failure is kept in `error` (and a locked vault shows the sign-in page). */
  run<T>(fn: () => Promise<T>): Promise<Outcome<T>>;
  /** Shows a mistake found in the page itself, before any call. */
  fail(message: string): void;
  clearError(): void;
}

function asError(thrown: unknown): VaultError {
  if (thrown && typeof thrown === 'object' && 'kind' in thrown && 'message' in thrown) {
    return thrown as VaultError;
  }
  return { kind: 'integrity', message: String(thrown) };
}

export function useCall(): Call {
  // The latest session, read when a call fails: `run` itself stays the same function.
  const current = useContext(SessionContext);
  const session = useRef(current);
  session.current = current;
  const [busy, setBusy] = useState(false);
  const [startedAt, setStartedAt] = useState(0);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<VaultError | null>(null);

  const run = useCallback(
    async <T,>(fn: () => Promise<T>): Promise<Outcome<T>> => {
      setBusy(true);
      setStartedAt(Date.now());
      setProgress(null);
      setError(null);
      // Listening before the call is sent: its first report comes at once.
      const off = onProgress((p) => p && setProgress(p));
      try {
        return { ok: true, value: await fn() };
      } catch (thrown) {
        const e = asError(thrown);
        setError(e);
        // The session ended (on the server, or the vault was locked): back to signing in.
        if (e.kind === 'locked') session.current.expired(e.message);
        return { ok: false, error: e };
      } finally {
        off();
        setProgress(null);
        setBusy(false);
      }
    },
    [],
  );
  const fail = useCallback((message: string) => setError({ kind: 'input', message }), []);
  const clearError = useCallback(() => setError(null), []);
  return { busy, startedAt, progress, error, run, fail, clearError };
}
