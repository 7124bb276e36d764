// Hash routing (#/signin, #/w/<id>, …): the server serves one index.html and needs no route
// fallback.

import { useEffect, useState } from 'preact/hooks';

export type WorkspaceView =
  | 'secrets'
  | 'admin'
  | 'generate'
  | 'validate'
  | 'reset'
  /** Device recovery keys: find one by what the locked machine shows. */
  | 'devices'
  | 'devices-list'
  | 'devices-import'
  /** Enrollment tokens for device agents. */
  | 'devices-tokens'
  | 'members'
  | 'audit';

export type Route =
  | { page: 'signin' | 'signup' | 'forgot' | 'account' | 'workspaces' | 'home' | 'notfound' }
  | { page: 'workspace'; id: string; view: WorkspaceView };

const VIEWS: readonly WorkspaceView[] = ['secrets', 'admin', 'generate', 'validate', 'reset', 'devices', 'members', 'audit'];

/** The device pages below #/w/<id>/devices: #/w/<id>/devices/list, …/import. */
const DEVICE_VIEWS = new Map<string, WorkspaceView>([
  ['list', 'devices-list'],
  ['import', 'devices-import'],
  ['tokens', 'devices-tokens'],
]);

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts.length === 0) return { page: 'home' };
  const [first, id, view, ...rest] = parts;
  switch (first) {
    case 'signin':
    case 'signup':
    case 'forgot':
    case 'account':
      return parts.length === 1 ? { page: first } : { page: 'notfound' };
    case 'w':
      if (id === undefined) return { page: 'workspaces' };
      if (view === 'devices' && rest.length === 1) {
        const sub = DEVICE_VIEWS.get(rest[0]!);
        return sub ? { page: 'workspace', id: decodeURIComponent(id), view: sub } : { page: 'notfound' };
      }
      if (rest.length > 0) return { page: 'notfound' };
      if (view === undefined) return { page: 'workspace', id: decodeURIComponent(id), view: 'secrets' };
      if ((VIEWS as readonly string[]).includes(view)) {
        return { page: 'workspace', id: decodeURIComponent(id), view: view as WorkspaceView };
      }
      return { page: 'notfound' };
    default:
      return { page: 'notfound' };
  }
}

export const paths = {
  signin: '#/signin',
  signup: '#/signup',
  forgot: '#/forgot',
  account: '#/account',
  workspaces: '#/w',
  workspace(id: string, view: WorkspaceView = 'secrets'): string {
    const base = `#/w/${encodeURIComponent(id)}`;
    if (view === 'secrets') return base;
    if (view === 'devices-list') return `${base}/devices/list`;
    if (view === 'devices-import') return `${base}/devices/import`;
    if (view === 'devices-tokens') return `${base}/devices/tokens`;
    return `${base}/${view}`;
  },
};

export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

/** The current hash; re-renders on every change. */
export function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return hash;
}
