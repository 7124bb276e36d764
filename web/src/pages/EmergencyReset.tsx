import { useState } from 'preact/hooks';
import type { Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { LockIcon } from '../components/LockIcon';
import { PageHeading } from '../components/PageHeading';
import { type KeyCheck, RecoveryKeyInput } from '../components/RecoveryKeyInput';
import { paths } from '../router';
import { useCall } from '../useCall';
import { vault } from '../vault';

/** The emergency reset code page: after a password reset, the recovery key restores the link
 * between the account and the workspace. */
export function EmergencyReset({
  workspace,
  onRestored,
}: {
  workspace: Workspace;
  onRestored: (message: string) => void;
}) {
  const call = useCall();
  const [typed, setTyped] = useState('');
  const [check, setCheck] = useState<KeyCheck>(null);

  const unlock = async (event: Event) => {
    event.preventDefault();
    if (check && !check.ok) return;
    const result = await call.run(async () => {
      await vault.checkRecoveryKey(typed);
      return vault.useRecoveryKey(workspace.id, typed);
    });
    if (!result.ok) return;
    const missing = result.value.escrowMissing;
    setTyped('');
    onRestored(
      `The recovery key restored the link between your account and “${workspace.name}”.` +
        (missing.length > 0
          ? ` Device-key escrow versions ${missing.join(', ')} could not be restored: ask another owner to reshare them.`
          : ''),
    );
  };

  return (
    <>
      <PageHeading title="Emergency reset code">Emergency reset code</PageHeading>
      <p>
        Your password was reset, so your account's link with “{workspace.name}” must be restored with
        the workspace's recovery key.
      </p>
      <form onSubmit={unlock} noValidate>
        <RecoveryKeyInput
          label={`Enter the recovery key whose ID starts with ${workspace.shortKeyId}`}
          hint="8 groups of 6 digits, as in the welcome email or the recovery kit; spaces or dashes between groups are fine. Then click on the lock."
          value={typed}
          onInput={setTyped}
          onCheck={setCheck}
        />
        <button type="submit" class="primary unlock" disabled={call.busy}>
          <LockIcon /> Unlock
        </button>
        <CallStatus call={call} />
      </form>
    </>
  );
}

/** A member (not an owner) after a password reset: only an owner can relink them. */
export function RelinkNeeded({ workspace }: { workspace: Workspace }) {
  return (
    <>
      <PageHeading title="Ask an owner to relink you">Ask an owner to relink you</PageHeading>
      <p>
        Your password was reset, so your account has new keys and no access to “{workspace.name}”
        until an owner relinks you. Ask an owner to relink you; they compare your new key fingerprint
        (on your <a href={paths.account}>account page</a>) with you first.
      </p>
    </>
  );
}
