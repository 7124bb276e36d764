import { useContext } from 'preact/hooks';
import { PageHeading } from '../components/PageHeading';
import { SessionContext } from '../session';

export function AccountPage() {
  const session = useContext(SessionContext);
  const account = session.account;
  if (!account) return null;
  return (
    <>
      <PageHeading title="Account">Account</PageHeading>
      <dl class="facts">
        <dt>Email</dt>
        <dd>{account.email}</dd>
        <dt>Account ID</dt>
        <dd class="mono">{account.id}</dd>
        <dt>Key fingerprint</dt>
        <dd class="fingerprint">{account.fingerprint}</dd>
      </dl>
      <p>
        Owners compare this fingerprint with you, out of band, before they add you to a workspace.
        It changes when your password is reset.
      </p>
      <button type="button" onClick={() => void session.signOut()}>
        Sign out
      </button>
    </>
  );
}
