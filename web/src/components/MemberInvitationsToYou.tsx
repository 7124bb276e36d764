import { useContext, useEffect, useId, useRef, useState } from 'preact/hooks';
import type { MyInvitation } from '../api';
import { SessionContext } from '../session';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';
import { FingerprintLarge } from './MemberFingerprint';
import { RoleWithDescription } from './MemberRoles';
import '../members.css';

/**
 * The invitee's side: the invitations addressed to this account, to accept; then the
 * account's fingerprint, to read to whoever invited them when they call (they add the account
 * only after comparing it). Hidden when there is none; a failure to list them is said here
 * and leaves the rest of the page alone.
 */
export function MemberInvitationsToYou() {
  const session = useContext(SessionContext);
  const list = useCall();
  const accept = useCall();
  const headingId = useId();
  const [invitations, setInvitations] = useState<MyInvitation[] | null>(null);
  const [acceptedHere, setAccepted] = useState<{ workspaceId: string; workspaceName: string; invitedBy: string; fingerprint: string } | null>(null);
  const acceptedRef = useRef<HTMLDivElement>(null);

  const load = async () => {
    const result = await list.run(() => vault.myInvitations());
    if (result.ok) setInvitations(result.value);
  };

  /** Asks again whether they were added: the workspaces, then the invitations. */
  const checkAgain = async () => {
    const listed = await list.run(() => vault.workspaces());
    if (listed.ok) session.setWorkspaces(listed.value);
    await load();
  };

  useEffect(() => {
    void load();
  }, []);

  // The Accept button is gone once clicked: the focus goes to what to do next.
  useEffect(() => {
    if (acceptedHere) acceptedRef.current?.focus();
  }, [acceptedHere]);

  const acceptOne = async (invitation: MyInvitation) => {
    const result = await accept.run(() => vault.acceptInvitation(invitation.workspaceId));
    if (!result.ok) return;
    setAccepted({
      workspaceId: invitation.workspaceId,
      workspaceName: invitation.workspaceName,
      invitedBy: invitation.invitedBy,
      fingerprint: result.value.fingerprint,
    });
    void load();
  };

  // Once added, the workspace is in the list above: its invitation is done with.
  const mine = new Set((session.workspaces ?? []).map((w) => w.id));
  const shown = (invitations ?? []).filter((i) => !mine.has(i.workspaceId));
  const waiting = shown.filter((i) => i.acceptedAt !== null);
  const fingerprint = session.account?.fingerprint ?? null;
  // Accepted here and added since: the workspace is in the list, nothing is left to do.
  const accepted = acceptedHere && !mine.has(acceptedHere.workspaceId) ? acceptedHere : null;

  if (list.error) {
    return (
      <section aria-labelledby={headingId}>
        <h2 id={headingId}>Invitations to you</h2>
        <p class="warning">The invitations to you could not be listed: {list.error.message}</p>
      </section>
    );
  }
  if (shown.length === 0 && !accepted) return null;

  return (
    <section class="invitations-to-you" aria-labelledby={headingId}>
      <h2 id={headingId}>Invitations to you</h2>
      {shown.length > 0 && (
        <table class="list" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col">Workspace</th>
              <th scope="col">Your role</th>
              <th scope="col">Invited by</th>
              <th scope="col">
                <span class="visually-hidden">State</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((i) => (
              <tr key={i.workspaceId}>
                <th scope="row">{i.workspaceName}</th>
                <td>
                  <RoleWithDescription role={i.role} />
                </td>
                <td>{i.invitedBy}</td>
                <td>
                  {i.acceptedAt === null ? (
                    <button type="button" class="small" disabled={accept.busy} onClick={() => void acceptOne(i)}>
                      Accept<span class="visually-hidden"> the invitation to {i.workspaceName}</span>
                    </button>
                  ) : (
                    <>Accepted; waiting for {i.invitedBy} to add you.</>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CallStatus call={accept} />
      {accepted ? (
        <div class="panel accepted" tabIndex={-1} ref={acceptedRef}>
          <p>
            You accepted. Read this fingerprint to {accepted.invitedBy} when they call (or show it in person):
          </p>
          <FingerprintLarge fingerprint={accepted.fingerprint} />
          <p>They add you after comparing it; then the workspace appears in your list.</p>
          <CheckAgain busy={list.busy} onClick={() => void checkAgain()} />
        </div>
      ) : (
        waiting.length > 0 &&
        fingerprint && (
          <div class="panel accepted">
            <p>
              When {waiting.length === 1 ? waiting[0]!.invitedBy : 'whoever invited you'} calls, read them your
              fingerprint (or show it in person); your Account page shows it too:
            </p>
            <FingerprintLarge fingerprint={fingerprint} />
            <p>They add you after comparing it; then the workspace appears in your list.</p>
          <CheckAgain busy={list.busy} onClick={() => void checkAgain()} />
          </div>
        )
      )}
    </section>
  );
}

function CheckAgain({ busy, onClick }: { busy: boolean; onClick: () => void }) {
  return (
    <p>
      <button type="button" class="small" disabled={busy} onClick={onClick}>
        Check whether you were added
      </button>
    </p>
  );
}
