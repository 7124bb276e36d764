import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Account, VaultError, Workspace, WorkspaceSummary } from '../api';
import { AccountPage } from '../pages/Account';
import { Forgot } from '../pages/Forgot';
import { NotFound } from '../pages/NotFound';
import { SignIn } from '../pages/SignIn';
import { SignUp } from '../pages/SignUp';
import { WorkspacePage } from '../pages/Workspace';
import { Workspaces } from '../pages/Workspaces';
import { clearClipboard } from '../clipboard';
import { navigate, parseRoute, paths, useHash } from '../router';
import { type Session, SessionContext } from '../session';
import { vault } from '../vault';
import { Layout } from './Layout';

/** Input that counts as activity for the idle lock. */
const ACTIVITY = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;
const IDLE_MS = 10 * 60 * 1000;

export function App() {
  const hash = useHash();
  const route = parseRoute(hash);
  const [account, setAccount] = useState<Account | null>(null);
  const [email, setEmail] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [workspaces, setWorkspaces] = useState<WorkspaceSummary[] | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  // Whether a session is on, as the calls that fail see it (before the next render).
  const live = useRef(false);

  // Starting the vault loads the WebAssembly client: a failure shows at once.
  useEffect(() => {
    vault.whoami().then(
      (a) => {
        live.current = a !== null;
        setAccount(a);
      },
      (e: VaultError) => setStartError(e.message),
    );
  }, []);

  /** Wipes the worker's keys and session, and shows the sign-in page with `message`. */
  const endSession = useCallback(async (message: string) => {
    live.current = false;
    void clearClipboard();
    await vault.lock().catch(() => undefined);
    setAccount(null);
    setWorkspaces(null);
    setNotice(message);
    navigate(paths.signin);
  }, []);

  const signOut = useCallback(async () => {
    let message = 'You are signed out.';
    try {
      await vault.logout();
    } catch (e) {
      message = `You are signed out on this device; the server could not be told: ${(e as VaultError).message}`;
    }
    await endSession(message);
  }, [endSession]);

  const signedIn = useCallback((a: Account) => {
    live.current = true;
    setAccount(a);
    setNotice(null);
    const here = parseRoute(location.hash).page;
    if (here === 'signin' || here === 'signup' || here === 'home' || here === 'notfound') navigate(paths.workspaces);
  }, []);

  const updateWorkspace = useCallback((ws: Workspace) => {
    setWorkspaces((list) =>
      list ? list.map((w) => (w.id === ws.id ? { ...w, name: ws.name, role: ws.role, banners: ws.banners } : w)) : list,
    );
  }, []);

  const session = useMemo<Session>(
    () => ({
      account,
      email,
      setEmail,
      signedIn,
      signOut,
      expired: (message) => {
        if (live.current) void endSession(message);
      },
      notice,
      workspaces,
      setWorkspaces,
      updateWorkspace,
    }),
    [account, email, signedIn, signOut, endSession, notice, workspaces, updateWorkspace],
  );

  // Signed-in pages that need no sign-in page; signed-out visitors start at the sign-in page.
  useEffect(() => {
    if (account && (route.page === 'signin' || route.page === 'signup' || route.page === 'home')) {
      navigate(paths.workspaces);
    } else if (!account && route.page === 'home') {
      navigate(paths.signin);
    }
  }, [account, route.page]);

  // The banners are listed again on every navigation.
  useEffect(() => {
    if (!account) return;
    let current = true;
    vault.workspaces().then(
      (list) => current && setWorkspaces(list),
      (e: VaultError) => {
        if (current && e.kind === 'locked') session.expired(e.message);
      },
    );
    return () => {
      current = false;
    };
  }, [account, hash]);

  // The idle lock: 10 minutes without a key press or pointer movement.
  useEffect(() => {
    if (!account) return;
    const idle = () => void endSession('Locked after 10 minutes idle; sign in again.');
    let timer = window.setTimeout(idle, IDLE_MS);
    const active = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(idle, IDLE_MS);
    };
    for (const type of ACTIVITY) window.addEventListener(type, active, { capture: true, passive: true });
    return () => {
      window.clearTimeout(timer);
      for (const type of ACTIVITY) window.removeEventListener(type, active, { capture: true });
    };
  }, [account, endSession]);

  // Leaving the page locks the vault; a page restored from the back-forward cache asks to
  // sign in again.
  useEffect(() => {
    const hide = () => void vault.lock();
    const show = (event: PageTransitionEvent) => {
      if (!event.persisted) return;
      live.current = false;
      setAccount(null);
      setWorkspaces(null);
      setNotice('The vault was locked when you left the page; sign in again.');
    };
    window.addEventListener('pagehide', hide);
    window.addEventListener('pageshow', show);
    return () => {
      window.removeEventListener('pagehide', hide);
      window.removeEventListener('pageshow', show);
    };
  }, []);

  return (
    <SessionContext.Provider value={session}>
      <Layout startError={startError}>{page(route, account !== null)}</Layout>
    </SessionContext.Provider>
  );
}

function page(route: ReturnType<typeof parseRoute>, signedIn: boolean) {
  if (route.page === 'signup' && !signedIn) return <SignUp />;
  if (route.page === 'forgot') return <Forgot />;
  if (!signedIn) return <SignIn />;
  switch (route.page) {
    case 'account':
      return <AccountPage />;
    case 'workspace':
      return <WorkspacePage key={route.id} id={route.id} view={route.view} />;
    case 'notfound':
      return <NotFound />;
    default:
      return <Workspaces />;
  }
}
