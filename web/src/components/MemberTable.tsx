import { useEffect, useId, useState } from 'preact/hooks';
import type { Member, Role } from '../api';
import { MEMBER_ROLES, RoleWithDescription } from './MemberRoles';

/** The verified roster: each member's role and fingerprint, and (for owners and admins) what
 * can be done about them. */
export function MemberTable({
  members,
  account,
  manages,
  open,
  busy,
  onChangeRole,
  onRemove,
  onRelink,
}: {
  members: Member[];
  /** The signed-in account, marked "(you)" and never offered its own removal. */
  account: { id: string; email: string } | null;
  manages: boolean;
  /** The opener of the step that is open ("remove:EMAIL"): its button is hidden meanwhile. */
  open: string | null;
  busy: boolean;
  onChangeRole: (member: Member, role: Role) => void;
  onRemove: (member: Member) => void;
  onRelink: (member: Member) => void;
}) {
  return (
    <table class="list members">
      <caption>Members</caption>
      <thead>
        <tr>
          <th scope="col">Email</th>
          <th scope="col">Role</th>
          <th scope="col">Fingerprint</th>
          <th scope="col">Notes</th>
          {manages && (
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {members.map((m) => (
          <MemberRow
            key={m.accountId}
            member={m}
            you={account !== null && (m.accountId === account.id || m.email.toLowerCase() === account.email.toLowerCase())}
            manages={manages}
            open={open}
            busy={busy}
            onChangeRole={onChangeRole}
            onRemove={onRemove}
            onRelink={onRelink}
          />
        ))}
      </tbody>
    </table>
  );
}

function MemberRow({
  member,
  you,
  manages,
  open,
  busy,
  onChangeRole,
  onRemove,
  onRelink,
}: {
  member: Member;
  you: boolean;
  manages: boolean;
  open: string | null;
  busy: boolean;
  onChangeRole: (member: Member, role: Role) => void;
  onRemove: (member: Member) => void;
  onRelink: (member: Member) => void;
}) {
  const [role, setRole] = useState<Role>(member.role);
  // A new role from the roster resets the row's choice (the row, and the focus in it, stay).
  useEffect(() => setRole(member.role), [member.role]);
  const selectId = useId();
  const { email } = member;
  const selected = open === `remove:${email}` || open === `relink:${email}`;
  return (
    <tr class={selected ? 'selected' : undefined}>
      <th scope="row" class="member-email">
        {email}
        {you && <span class="you"> (you)</span>}
      </th>
      <td>
        <RoleWithDescription role={member.role} />
      </td>
      <td class="mono member-fingerprint">{member.fingerprint}</td>
      <td>{member.needsRelink && <span class="relink-needed">password reset: relink needed</span>}</td>
      {manages && (
        <td>
          {!you && (
            <div class="member-actions">
              <div class="role-change">
                {/* Named without the word "role": the invite form's "Role" stays the only one. */}
                <label for={selectId} class="visually-hidden">
                  Change {email} to
                </label>
                <select id={selectId} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
                  {MEMBER_ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  class="small"
                  data-opener={`role:${email}`}
                  disabled={busy}
                  onClick={() => onChangeRole(member, role)}
                >
                  Change role<span class="visually-hidden"> of {email}</span>
                </button>
              </div>
              {member.needsRelink &&
                (open === `relink:${email}` ? (
                  <span class="step-below">Comparing below</span>
                ) : (
                  <button type="button" class="small" data-opener={`relink:${email}`} onClick={() => onRelink(member)}>
                    Relink {email}…
                  </button>
                ))}
              {open === `remove:${email}` ? (
                <span class="step-below">Confirm below</span>
              ) : (
                <button type="button" class="small" data-opener={`remove:${email}`} onClick={() => onRemove(member)}>
                  Remove<span class="visually-hidden"> {email}</span>…
                </button>
              )}
            </div>
          )}
        </td>
      )}
    </tr>
  );
}
