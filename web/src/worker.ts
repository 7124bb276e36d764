// The vault worker: runs Keyhaven's Rust client (crates/web compiled to WebAssembly) off the
// page's thread, so Argon2id never freezes the page and no key is ever in the page's memory.
// It answers one request at a time, in order (the client's state is one signed-in session).

import init, { Vault as WasmVault } from './wasm/keyhaven_web.js';
import type { Progress, VaultError } from './api';

interface Request {
  id: number;
  method: string;
  args: unknown[];
  /** The page's clock (ms): the client's notion of now is the page's. */
  now: number;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;

function progress(step: Progress['step'], detail?: string): void {
  const messages: Record<Progress['step'], string> = {
    stretching: 'Stretching your password with Argon2id (64 MiB)…',
    unwrapping: 'Opening your account keys…',
    fetching: 'Fetching from the server…',
    opening: 'Checking signatures and decrypting…',
    importing: 'Sealing and storing the keys…',
    reencrypting: 'Re-encrypting the secrets under the new workspace key…',
  };
  const message = detail ? `${messages[step]} ${detail}` : messages[step];
  scope.postMessage({ progress: { step, message } });
}

const ready: Promise<WasmVault> = init().then(
  () => new WasmVault(scope.location.origin, progress),
  (e: unknown) => {
    const reason = e instanceof Error ? e.message : String(e);
    const error: VaultError = { kind: 'integrity', message: `the vault could not start: its WebAssembly client did not load (${reason})` };
    throw JSON.stringify(error);
  },
);
// A failure to load is answered to each call (handle below), not left as an unhandled rejection.
ready.catch(() => undefined);

let queue: Promise<unknown> = Promise.resolve();

scope.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  if (request.method === 'lock') {
    // Not behind the queue: the keys go now, whatever is in flight.
    void handle(request);
    return;
  }
  // One call at a time here, and across this browser's tabs: each call reads and writes the
  // device's memory in IndexedDB (pins, revisions seen), which two workers must not interleave.
  queue = queue.then(() => navigator.locks.request('keyhaven-vault', () => handle(request)));
};

async function handle({ id, method, args, now }: Request): Promise<void> {
  try {
    const vault = await ready;
    vault.set_page_clock(now);
    const fn = (vault as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function' || method.startsWith('_') || method === 'free') {
      throw JSON.stringify({ kind: 'input', message: `no such vault call: ${method}` });
    }
    const raw: unknown = await (fn as (...a: unknown[]) => Promise<unknown>).apply(vault, args);
    scope.postMessage({ id, ok: true, value: decode(method, raw) });
  } catch (thrown) {
    scope.postMessage({ id, ok: false, error: asVaultError(thrown) });
  }
}

/** The Rust side answers JSON text, null (whoami when signed out) or nothing; kits carry
 * their bytes in base64. */
function decode(method: string, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const value = JSON.parse(raw) as unknown;
  if (method === 'kit' || method === 'exportDevice') {
    const kit = value as { filename: string; mime: string; base64: string };
    const binary = atob(kit.base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return { filename: kit.filename, mime: kit.mime, bytes };
  }
  return value;
}

function asVaultError(thrown: unknown): VaultError {
  if (typeof thrown === 'string') {
    try {
      return JSON.parse(thrown) as VaultError;
    } catch {
      return { kind: 'integrity', message: thrown };
    }
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { kind: 'integrity', message: `the vault failed: ${message}` };
}
