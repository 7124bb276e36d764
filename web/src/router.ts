// Hash routing (#/signin, #/w/<id>, …): the server serves one index.html and needs no route
// fallback.

import { useEffect, useState } from 'preact/hooks';

export type WorkspaceView = 'secrets' | 'admin' | 'generate' | 'validate' | 'reset';

export type Route =
  | { page: 'signin' | 'signup' | 'forgot' | 'account' | 'workspaces' | 'home' | 'notfound' }
  | { page: 'workspace'; id: string; view: WorkspaceView };

const VIEWS: readonly WorkspaceView[] = ['secrets', 'admin', 'generate', 'validate', 'reset'];

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
    return view === 'secrets' ? base : `${base}/${view}`;
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
