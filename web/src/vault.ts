// The page's handle on the vault worker: every call of `Vault` (api.ts) is a message to the
// worker and a promise of its answer. `lock()` also ends the worker, which frees its memory.

import type { Progress, Vault, VaultError } from './api';

type Pending = { resolve: (value: unknown) => void; reject: (error: VaultError) => void };

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();
const progressListeners = new Set<(p: Progress | null) => void>();

/** Shows each long step's progress (and null when the call ended). */
export function onProgress(listener: (p: Progress | null) => void): () => void {
  progressListeners.add(listener);
  return () => progressListeners.delete(listener);
}

function start(): Worker {
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  // Whether this worker ever answered: a failure after that is a crash, not a failed start.
  let answered = false;
  w.onmessage = (event: MessageEvent) => {
    answered = true;
    const data = event.data as
      | { progress: Progress }
      | { id: number; ok: true; value: unknown }
      | { id: number; ok: false; error: VaultError };
    if ('progress' in data) {
      progressListeners.forEach((l) => l(data.progress));
      return;
    }
    const call = pending.get(data.id);
    if (!call) return;
    pending.delete(data.id);
    if (pending.size === 0) progressListeners.forEach((l) => l(null));
    if (data.ok) call.resolve(data.value);
    else call.reject(data.error);
  };
  w.onerror = (event: ErrorEvent) => {
    const error: VaultError = answered
      ? {
          kind: 'integrity',
          message: `the vault stopped unexpectedly (${event.message || 'its WebAssembly client failed'}); its keys are gone with it: sign in again`,
        }
      : {
          kind: 'integrity',
          message: `the vault could not start: ${event.message || 'WebAssembly failed to load'}`,
        };
    pending.forEach((call) => call.reject(error));
    pending.clear();
    progressListeners.forEach((l) => l(null));
    // A worker that failed to start answers nothing more: the next call starts a new one.
    if (worker === w) worker = null;
    w.terminate();
  };
  return w;
}

function call(method: string, args: unknown[]): Promise<unknown> {
  worker ??= start();
  const id = nextId++;
  const w = worker;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, method, args, now: Date.now() });
  });
}

/** Wipes the keys in the worker, then ends it: nothing of the session survives. */
async function lock(): Promise<void> {
  if (!worker) return;
  const w = worker;
  worker = null;
  try {
    // The worker drops its keys at once (a lock jumps its queue); a worker stuck on a request
    // that never answers is ended all the same.
    const id = nextId++;
    const answered = new Promise<void>((resolve) => {
      pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      w.postMessage({ id, method: 'lock', args: [], now: Date.now() });
    });
    await Promise.race([answered, new Promise<void>((resolve) => setTimeout(resolve, 1000))]);
  } finally {
    w.terminate();
    const error: VaultError = { kind: 'locked', message: 'the vault was locked' };
    pending.forEach((c) => c.reject(error));
    pending.clear();
    progressListeners.forEach((l) => l(null));
  }
}

export const vault: Vault = new Proxy({} as Vault, {
  get(_target, method: string) {
    if (method === 'lock') return lock;
    return (...args: unknown[]) => call(method, args);
  },
});
