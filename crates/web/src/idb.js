// The web vault's device memory: one IndexedDB object store of named byte strings (roster
// pins, workspace names, consents, item revisions seen). Nothing here is secret; keys and the
// session token never come here.
const DATABASE = 'keyhaven';
const STORE = 'device';

let opening = null;

function database() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      opening = null;
      reject(new Error(`IndexedDB cannot be opened: ${request.error}`));
    };
  });
  return opening;
}

/** The bytes under `key`, or null. */
export async function idbGet(key) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const request = db.transaction(STORE, 'readonly').objectStore(STORE).get(key);
    request.onsuccess = () => resolve(request.result instanceof Uint8Array ? request.result : null);
    request.onerror = () => reject(new Error(`IndexedDB read failed: ${request.error}`));
  });
}

/** Replaces the bytes under `key`; resolves once the transaction committed. */
export async function idbPut(key, value) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(new Error(`IndexedDB write failed: ${tx.error}`));
    tx.onabort = () => reject(new Error(`IndexedDB write aborted: ${tx.error}`));
  });
}
