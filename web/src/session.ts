// What every page may know about the session: the signed-in account (the worker holds the
// keys and the token; nothing is stored in the browser) and the workspaces' banners.

import { createContext } from 'preact';
import type { Account, Workspace, WorkspaceSummary } from './api';

export interface Session {
  account: Account | null;
  /** The last email typed on a sign-in, sign-up or reset page (memory only). */
  email: string;
  setEmail(email: string): void;
  signedIn(account: Account): void;
  signOut(): Promise<void>;
  /** The session ended (kind 'locked'): lock the worker and ask to sign in again. Ignored
   * once signed out (a lock also ends the calls still pending). */
  expired(message: string): void;
  /** A message for the sign-in page (after a sign-out, a lock or a reset). */
  notice: string | null;
  /** The workspaces as last listed, with their banners. */
  workspaces: WorkspaceSummary[] | null;
  setWorkspaces(list: WorkspaceSummary[]): void;
  /** A workspace's fresher state (after a commit, a validation or a reset). */
  updateWorkspace(workspace: Workspace): void;
}

const missing = (): never => {
  throw new Error('no session provider');
};

export const SessionContext = createContext<Session>({
  account: null,
  email: '',
  setEmail: missing,
  signedIn: missing,
  signOut: missing,
  expired: missing,
  notice: null,
  workspaces: null,
  setWorkspaces: missing,
  updateWorkspace: missing,
});
