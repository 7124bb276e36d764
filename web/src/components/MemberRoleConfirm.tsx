import { useId } from 'preact/hooks';
import type { Member, Role } from '../api';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';
import { describeRole } from './MemberRoles';
import { StepHeading } from './PageHeading';

/** "EMAIL is now ROLE: what it may do." */
export function roleChangedMessage(email: string, role: Role): string {
  const description = describeRole(role);
  return description ? `${email} is now ${role}: ${description}.` : `${email} is now ${role}.`;
}

/** Demoting an owner, confirmed first: they lose the recovery key and whatever the new role
 * does not allow, and the keys it does not receive are rotated. */
export function MemberRoleConfirm({
  workspaceId,
  member,
  role,
  onDone,
  onCancel,
}: {
  workspaceId: string;
  member: Member;
  role: Role;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const call = useCall();
  const headingId = useId();
  const { email } = member;

  const change = async () => {
    const result = await call.run(() => vault.changeRole(workspaceId, email, role));
    if (result.ok) onDone(roleChangedMessage(email, role));
  };

  return (
    <section class="panel member-step confirm" aria-labelledby={headingId}>
      <div id={headingId}>
        <StepHeading>
          Demote {email} from owner to {role}?
        </StepHeading>
      </div>
      <p>
        Owners may do {describeRole('owner')}. As {role}, {email} may do only this: {describeRole(role)}.
        The workspace keys their new role does not receive are rotated.
      </p>
      <div class="buttons">
        <button type="button" class="danger" disabled={call.busy} onClick={() => void change()}>
          Demote {email} to {role}
        </button>
        <button type="button" disabled={call.busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
      <CallStatus call={call} />
    </section>
  );
}
