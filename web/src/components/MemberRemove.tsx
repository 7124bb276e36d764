import { useId } from 'preact/hooks';
import type { Member, VaultError } from '../api';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';
import { StepHeading } from './PageHeading';

type Removed = Awaited<ReturnType<typeof vault.removeMember>>;

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Removed EMAIL: 12 secrets re-encrypted, 1 changed meanwhile and left as it was, …." */
export function removedMessage(email: string, r: Removed): string {
  const parts = [`${count(r.rewritten, 'secret', 'secrets')} re-encrypted`];
  if (r.changedMeanwhile > 0) {
    parts.push(`${r.changedMeanwhile} changed meanwhile and left as ${r.changedMeanwhile === 1 ? 'it was' : 'they were'}`);
  }
  if (r.unreadable > 0) parts.push(`${r.unreadable} unreadable`);
  if (r.tokensRevoked > 0) parts.push(`${count(r.tokensRevoked, 'enrollment token', 'enrollment tokens')} revoked`);
  return `Removed ${email}: ${parts.join(', ')}.`;
}

/** A failure that running the removal again may get past (not a refusal or a mistake). */
function resumable(error: VaultError): boolean {
  return error.kind !== 'refused' && error.kind !== 'input' && error.kind !== 'locked';
}

/**
 * Removing a member, confirmed: the roster change rotates the keys they could open, then every
 * secret is re-encrypted under the new workspace key, one at a time (progress "N of M").
 */
export function MemberRemove({
  workspaceId,
  workspaceName,
  member,
  onDone,
  onFailed,
  onCancel,
}: {
  workspaceId: string;
  workspaceName: string;
  member: Member;
  onDone: (message: string) => void;
  /** Lists the members again: a removal that failed midway may have removed them already. */
  onFailed: () => void;
  onCancel: () => void;
}) {
  const call = useCall();
  const headingId = useId();
  const { email } = member;

  const remove = async () => {
    const result = await call.run(() => vault.removeMember(workspaceId, email));
    if (result.ok) onDone(removedMessage(email, result.value));
    else onFailed();
  };

  return (
    <section class="panel member-step confirm" aria-labelledby={headingId}>
      <div id={headingId}>
        <StepHeading>
          Remove {email} from “{workspaceName}”?
        </StepHeading>
      </div>
      <p>
        Removes {email}, rotates the workspace keys they could open, and re-encrypts every secret under
        the new key. Tokens they created are revoked.
      </p>
      <p class="hint">
        With many secrets this takes a while: keep this page open until it is done. What {email} may
        have copied or written down before is not undone.
      </p>
      <div class="buttons">
        <button type="button" class="danger" disabled={call.busy} onClick={() => void remove()}>
          Remove {email}
        </button>
        <button type="button" disabled={call.busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
      <CallStatus call={call} />
      {call.error && resumable(call.error) && (
        <p class="warning">Run it again: removal picks up where it stopped.</p>
      )}
    </section>
  );
}
