import type { Invitation } from '../api';
import { isoDate } from '../format';
import { RoleWithDescription } from './MemberRoles';

function stateOf(invitation: Invitation): string {
  if (invitation.acceptedAt === null) return 'waiting for them to accept';
  if (invitation.fingerprint === null) {
    return 'accepted, but the keys the server reports for them do not check out: they cannot be added';
  }
  return 'accepted — compare the fingerprint and add';
}

/** The open invitations: the server's word (nobody is in the roster until added). */
export function MemberInvitations({
  invitations,
  open,
  onAdd,
}: {
  invitations: Invitation[];
  /** The opener of the step that is open ("add:EMAIL"): its button is hidden meanwhile. */
  open: string | null;
  onAdd: (invitation: Invitation) => void;
}) {
  return (
    <table class="list invitations">
      <caption>
        Open invitations{' '}
        <span class="caption-note">(what the server reports; nobody is in the workspace until added)</span>
      </caption>
      <thead>
        <tr>
          <th scope="col">Email</th>
          <th scope="col">Role</th>
          <th scope="col">Invited by</th>
          <th scope="col">Invited on</th>
          <th scope="col">State</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {invitations.map((i) => {
          const opener = `add:${i.email}`;
          return (
            <tr key={i.email} class={open === opener ? 'selected' : undefined}>
              <th scope="row" class="member-email">
                {i.email}
              </th>
              <td>
                <RoleWithDescription role={i.role} />
              </td>
              <td>{i.invitedBy}</td>
              <td class="date">{isoDate(i.createdAt)}</td>
              <td>{stateOf(i)}</td>
              <td>
                {i.fingerprint !== null &&
                  i.acceptedAt !== null &&
                  (open === opener ? (
                    <span class="step-below">Comparing below</span>
                  ) : (
                    <button type="button" class="small" data-opener={opener} onClick={() => onAdd(i)}>
                      Add {i.email}…
                    </button>
                  ))}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
