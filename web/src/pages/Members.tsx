import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { Invitation, Member, Role, Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { MemberFingerprintStep } from '../components/MemberFingerprint';
import { MemberInvitations } from '../components/MemberInvitations';
import { MemberInvite } from '../components/MemberInvite';
import { MemberRemove } from '../components/MemberRemove';
import { MemberRoleConfirm, roleChangedMessage } from '../components/MemberRoleConfirm';
import { MEMBER_ROLES } from '../components/MemberRoles';
import { MemberTable } from '../components/MemberTable';
import { PageHeading } from '../components/PageHeading';
import { can, whoMay } from '../roles';
import { SessionContext } from '../session';
import { useCall } from '../useCall';
import { vault } from '../vault';
import '../members.css';

type Roster = { members: Member[]; invitations: Invitation[] };

/** The step open below a table: one at a time. */
type Step =
  | { kind: 'add'; email: string }
  | { kind: 'relink'; member: Member }
  | { kind: 'remove'; member: Member }
  | { kind: 'demote'; member: Member; role: Role };

/** The button that opened a step (its `data-opener`): hidden while the step is open, focused
 * again when it is cancelled. */
function openerOf(step: Step): string {
  switch (step.kind) {
    case 'add':
      return `add:${step.email}`;
    case 'demote':
      return `role:${step.member.email}`;
    default:
      return `${step.kind}:${step.member.email}`;
  }
}

/** Owners first, then by role, then by email. */
function sorted(members: Member[]): Member[] {
  const rank = (r: string) => {
    const i = (MEMBER_ROLES as readonly string[]).indexOf(r);
    return i < 0 ? MEMBER_ROLES.length : i;
  };
  return [...members].sort((a, b) => rank(a.role) - rank(b.role) || a.email.localeCompare(b.email));
}

/**
 * The workspace's members, from the roster verified in the vault; owners and admins also see
 * the open invitations (the server's word), invite, add an invitee after comparing their
 * fingerprint with them out of band, change roles, remove and relink.
 */
export function Members({ workspace }: { workspace: Workspace }) {
  const session = useContext(SessionContext);
  const list = useCall();
  const roleCall = useCall();
  const [roster, setRoster] = useState<Roster | null>(null);
  const [step, setStep] = useState<Step | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // A role changed from the table: said below it, where the focus stays.
  const [roleChanged, setRoleChanged] = useState<string | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  const refocus = useRef<string | null>(null);
  const focusNotice = useRef(false);
  const manages = can(workspace.role, 'manage-members');

  const load = async () => {
    const result = await list.run(() => vault.members(workspace.id));
    if (result.ok) setRoster({ members: sorted(result.value.members), invitations: result.value.invitations });
  };

  useEffect(() => {
    setStep(null);
    setNotice(null);
    void load();
  }, [workspace.id]);

  // A step that closes takes the focus with it: it goes to what the step's end says.
  useEffect(() => {
    if (!notice || !focusNotice.current) return;
    focusNotice.current = false;
    noticeRef.current?.focus();
  }, [notice]);

  // A cancelled step gives the focus back to the button that opened it.
  useEffect(() => {
    const opener = refocus.current;
    if (step || !opener) return;
    refocus.current = null;
    const buttons = document.querySelectorAll<HTMLElement>('[data-opener]');
    Array.from(buttons)
      .find((b) => b.dataset.opener === opener)
      ?.focus();
  }, [step]);

  const openStep = (next: Step) => {
    setNotice(null);
    setRoleChanged(null);
    roleCall.clearError();
    setStep(next);
  };

  const cancel = () => {
    if (step) refocus.current = openerOf(step);
    setStep(null);
  };

  /** A step's change made: said (the step closes, so the focus goes to what it says), and
   * listed again. */
  const done = (message: string) => {
    focusNotice.current = true;
    setRoleChanged(null);
    setStep(null);
    setNotice(message);
    void load();
  };

  const changeRole = async (member: Member, role: Role) => {
    setNotice(null);
    setRoleChanged(null);
    if (role === member.role) {
      roleCall.fail(`${member.email} is already ${role}: choose another role first.`);
      return;
    }
    if (member.role === 'owner' && role !== 'owner') {
      openStep({ kind: 'demote', member, role });
      return;
    }
    setStep(null);
    const result = await roleCall.run(() => vault.changeRole(workspace.id, member.email, role));
    if (!result.ok) return;
    setRoleChanged(roleChangedMessage(member.email, role));
    void load();
  };

  const open = step && step.kind !== 'demote' ? openerOf(step) : null;
  const adding =
    step?.kind === 'add'
      ? roster?.invitations.find((i) => i.email === step.email && i.acceptedAt !== null && i.fingerprint !== null)
      : undefined;

  return (
    <>
      <PageHeading title={`${workspace.name}: members`}>Members of “{workspace.name}”</PageHeading>
      {notice && (
        <p class="notice" role="status" tabIndex={-1} ref={noticeRef}>
          {notice}
        </p>
      )}
      <CallStatus call={list} />
      {!manages && (
        <p>
          Only {whoMay('manage-members')} manage members; your role is {workspace.role}.
        </p>
      )}
      {roster && (
        <section aria-labelledby="member-roster">
          <h2 id="member-roster">Who is in the workspace</h2>
          <p>
            This is the roster as your browser verified it: each member's keys are signed into it by an owner
            or admin. A fingerprint is what you compare with the person, out of band, to know the keys are
            theirs.
          </p>
          <MemberTable
            members={roster.members}
            account={session.account}
            manages={manages}
            open={open}
            busy={roleCall.busy}
            onChangeRole={(member, role) => void changeRole(member, role)}
            onRemove={(member) => openStep({ kind: 'remove', member })}
            onRelink={(member) => openStep({ kind: 'relink', member })}
          />
          <CallStatus call={roleCall} done={roleChanged && <p class="notice">{roleChanged}</p>} />
          {step?.kind === 'relink' && (
            <MemberFingerprintStep
              key={openerOf(step)}
              workspaceId={workspace.id}
              workspaceName={workspace.name}
              target={{
                kind: 'relink',
                email: step.member.email,
                role: step.member.role,
                fingerprint: step.member.newFingerprint ?? '',
              }}
              onDone={done}
              onCancel={cancel}
              onReload={() => void load()}
            />
          )}
          {step?.kind === 'remove' && (
            <MemberRemove
              key={openerOf(step)}
              workspaceId={workspace.id}
              workspaceName={workspace.name}
              member={step.member}
              onDone={done}
              onFailed={() => void load()}
              onCancel={cancel}
            />
          )}
          {step?.kind === 'demote' && (
            <MemberRoleConfirm
              key={`${openerOf(step)}:${step.role}`}
              workspaceId={workspace.id}
              member={step.member}
              role={step.role}
              onDone={done}
              onCancel={cancel}
            />
          )}
        </section>
      )}
      {roster && manages && (
        <section aria-labelledby="member-invitations">
          <h2 id="member-invitations">Invitations</h2>
          {roster.invitations.length === 0 ? (
            <p>No open invitation.</p>
          ) : (
            <MemberInvitations
              invitations={roster.invitations}
              open={open}
              onAdd={(invitation) => openStep({ kind: 'add', email: invitation.email })}
            />
          )}
          {roster.invitations.some((i) => i.acceptedAt === null) && (
            <p>
              Waiting for someone to accept?{' '}
              <button type="button" class="small" onClick={() => void load()}>
                Check the invitations again
              </button>
            </p>
          )}
          {adding && adding.fingerprint !== null && (
            <MemberFingerprintStep
              // Other keys reported (they accepted again): a new comparison from scratch.
              key={`add:${adding.email}:${adding.fingerprint}`}
              workspaceId={workspace.id}
              workspaceName={workspace.name}
              target={{ kind: 'add', email: adding.email, role: adding.role, fingerprint: adding.fingerprint }}
              onDone={done}
              onCancel={cancel}
              onReload={() => void load()}
            />
          )}
        </section>
      )}
      {manages && (
        <MemberInvite
          workspaceId={workspace.id}
          onInvited={() => {
            setNotice(null);
            void load();
          }}
        />
      )}
    </>
  );
}
