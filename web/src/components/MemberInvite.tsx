import { useId, useState } from 'preact/hooks';
import type { Invitation, Role } from '../api';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';
import { Field } from './Field';
import { RoleOptions, describeRole } from './MemberRoles';

/** "Invited X as ROLE. …": what happens next, said after an invitation. */
export function invitedMessage(invitation: Invitation): string {
  return (
    `Invited ${invitation.email} as ${invitation.role}. They get an email; once they accept, ` +
    'compare their fingerprint with them and add them here.'
  );
}

/** Invites someone by email with a role; nobody enters the roster by the invitation alone.
 * What happens next is said in the form's live region. */
export function MemberInvite({ workspaceId, onInvited }: { workspaceId: string; onInvited: (invitation: Invitation) => void }) {
  const call = useCall();
  const headingId = useId();
  const roleId = useId();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [invited, setInvited] = useState<string | null>(null);

  const invite = async (event: Event) => {
    event.preventDefault();
    setInvited(null);
    const address = email.trim();
    if (address === '') {
      call.fail('Enter the email address of the person to invite.');
      return;
    }
    const result = await call.run(() => vault.invite(workspaceId, address, role));
    if (!result.ok) return;
    setEmail('');
    setInvited(invitedMessage(result.value));
    onInvited(result.value);
  };

  return (
    <section class="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Invite someone</h2>
      <p>
        The invitation alone lets nobody in: once they accept, you compare their fingerprint with them
        and add them here.
      </p>
      <form onSubmit={invite} noValidate>
        <Field label="Email" type="email" inputMode="email" autoComplete="off" value={email} onInput={setEmail} />
        <div class="field">
          <label for={roleId}>Role</label>
          <p class="hint" id={`${roleId}-hint`}>
            {role}: {describeRole(role)}.
          </p>
          <select
            id={roleId}
            value={role}
            aria-describedby={`${roleId}-hint`}
            onChange={(e) => setRole(e.currentTarget.value as Role)}
          >
            <RoleOptions />
          </select>
        </div>
        <button type="submit" class="primary" disabled={call.busy}>
          Invite
        </button>
        <CallStatus call={call} done={invited && <p class="notice">{invited}</p>} />
      </form>
    </section>
  );
}
