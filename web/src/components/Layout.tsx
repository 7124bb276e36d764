import type { ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { SessionContext } from '../session';
import { paths } from '../router';
import { Banners } from './Banners';

/** Header with the main navigation, then the page in <main> below the banners. */
export function Layout({ startError, children }: { startError: string | null; children: ComponentChildren }) {
  const session = useContext(SessionContext);
  const signedIn = session.account !== null;
  return (
    <>
      <header class="site-header">
        <a class="brand" href={signedIn ? paths.workspaces : paths.signin}>
          Keyhaven
        </a>
        <nav aria-label="Main">
          <ul>
            {signedIn ? (
              <>
                <li>
                  <a href={paths.workspaces}>Workspaces</a>
                </li>
                <li>
                  <a href={paths.account}>Account</a>
                </li>
                <li>
                  <button type="button" class="link" onClick={() => void session.signOut()}>
                    Sign out
                  </button>
                </li>
              </>
            ) : (
              <>
                <li>
                  <a href={paths.signin}>Sign in</a>
                </li>
                <li>
                  <a href={paths.signup}>Create an account</a>
                </li>
              </>
            )}
          </ul>
        </nav>
      </header>
      <main>
        {startError && (
          <div class="error" role="alert">
            <p>{startError}</p>
            <p>Reload the page to try again. Nothing was sent to the server.</p>
          </div>
        )}
        {signedIn && session.workspaces && <Banners workspaces={session.workspaces} />}
        {children}
      </main>
    </>
  );
}
