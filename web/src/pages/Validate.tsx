import { useState } from 'preact/hooks';
import type { Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { PageHeading } from '../components/PageHeading';
import { type KeyCheck, RecoveryKeyInput } from '../components/RecoveryKeyInput';
import { RecoveryStatus } from '../components/RecoveryStatus';
import { isoDate } from '../format';
import { useCall } from '../useCall';
import { vault } from '../vault';

/** Validate recovery key: type it to confirm it is valid and at hand. */
export function Validate({ workspace, onChanged }: { workspace: Workspace; onChanged: (ws: Workspace) => void }) {
  const call = useCall();
  const [typed, setTyped] = useState('');
  const [check, setCheck] = useState<KeyCheck>(null);
  const [done, setDone] = useState<string | null>(null);

  const validate = async (event: Event) => {
    event.preventDefault();
    setDone(null);
    if (check && !check.ok) return;
    const result = await call.run(async () => {
      await vault.checkRecoveryKey(typed);
      return vault.validateRecoveryKey(workspace.id, typed);
    });
    if (!result.ok) return;
    setTyped('');
    const due = result.value.recovery?.validationDueAt;
    setDone(
      `The recovery key was validated.${due ? ` The next validation is due on ${isoDate(due)}.` : ''}`,
    );
    onChanged(result.value);
  };

  return (
    <>
      <PageHeading title={`${workspace.name}: validate recovery key`}>Validate recovery key</PageHeading>
      <p>
        Keyhaven does not retain encryption keys, so every six months owners confirm that the
        recovery key is valid and accessible. Type it from your recovery kit to confirm it; if it is
        lost, generate a new one instead.
      </p>
      <RecoveryStatus recovery={workspace.recovery} />
      {workspace.recovery && (
        <form onSubmit={validate} noValidate>
          <RecoveryKeyInput
            label={`Recovery key (ID starts with ${workspace.recovery.shortKeyId})`}
            hint="8 groups of 6 digits; spaces or dashes between groups are fine."
            value={typed}
            onInput={setTyped}
            onCheck={setCheck}
          />
          <button type="submit" class="primary" disabled={call.busy}>
            Validate
          </button>
          <CallStatus call={call} done={done && <p class="ok">{done}</p>} />
        </form>
      )}
    </>
  );
}
