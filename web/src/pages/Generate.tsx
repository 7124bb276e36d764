import { useEffect, useRef, useState } from 'preact/hooks';
import type { Prepared, Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { Field } from '../components/Field';
import { KeyGroups } from '../components/KeyGroups';
import { KitDownloads } from '../components/KitDownloads';
import { PageHeading, StepHeading } from '../components/PageHeading';
import { type KeyCheck, RecoveryKeyInput } from '../components/RecoveryKeyInput';
import { RecoveryStatus } from '../components/RecoveryStatus';
import { useCall } from '../useCall';
import { vault } from '../vault';

type Step = 'start' | 'current' | 'show' | 'confirm' | 'done';

/**
 * Generate recovery key: the current key first (when one is still valid), then the new key with
 * its kit, then two of its groups re-typed; only "Save this recovery key" replaces the old key.
 */
export function Generate({ workspace, onChanged }: { workspace: Workspace; onChanged: (ws: Workspace) => void }) {
  const call = useCall();
  const [step, setStep] = useState<Step>('start');
  const [prepared, setPrepared] = useState<Prepared | null>(null);
  const [current, setCurrent] = useState('');
  const [currentCheck, setCurrentCheck] = useState<KeyCheck>(null);
  const [typed, setTyped] = useState<[string, string]>(['', '']);
  // A prepared key that was neither saved nor cancelled is cancelled when the page is left.
  const pending = useRef(false);

  useEffect(
    () => () => {
      if (pending.current) vault.generateCancel(workspace.id).catch(() => undefined);
    },
    [workspace.id],
  );

  const prepare = async () => {
    const result = await call.run(() => vault.generatePrepare(workspace.id));
    if (!result.ok) return;
    pending.current = true;
    setPrepared(result.value);
    setTyped(['', '']);
    setStep(result.value.needsCurrent ? 'current' : 'show');
  };

  const cancel = async () => {
    const result = await call.run(() => vault.generateCancel(workspace.id));
    if (!result.ok) return;
    pending.current = false;
    setPrepared(null);
    setCurrent('');
    setStep('start');
  };

  const takeCurrent = async (event: Event) => {
    event.preventDefault();
    if (currentCheck && !currentCheck.ok) return;
    const result = await call.run(() => vault.checkRecoveryKey(current));
    if (result.ok) setStep('show');
  };

  const commit = async (event: Event) => {
    event.preventDefault();
    if (typed[0].trim() === '' || typed[1].trim() === '') return call.fail('Re-type both groups of the new key.');
    const result = await call.run(() =>
      vault.generateCommit(workspace.id, [typed[0].trim(), typed[1].trim()], prepared?.needsCurrent ? current : null),
    );
    if (!result.ok) return;
    pending.current = false;
    // The new key is saved on the server and in the user's kit: not kept in the page.
    setCurrent('');
    setPrepared(null);
    setTyped(['', '']);
    setStep('done');
    onChanged(result.value);
  };

  const cancelButton = (
    <button type="button" disabled={call.busy} onClick={() => void cancel()}>
      Cancel
    </button>
  );

  return (
    <>
      <PageHeading title={`${workspace.name}: generate recovery key`}>Generate recovery key</PageHeading>
      {step === 'start' && (
        <>
          <p>
            A new permanent recovery key replaces the current one: it does not expire, and owners are
            asked to validate it every six months. The current key stops working once the new one is
            saved.
          </p>
          <RecoveryStatus recovery={workspace.recovery} />
          <button type="button" class="primary" disabled={call.busy} onClick={() => void prepare()}>
            Generate a new recovery key
          </button>
        </>
      )}
      {step === 'current' && (
        <form onSubmit={takeCurrent} noValidate>
          <StepHeading>Your current recovery key</StepHeading>
          <p>
            The current key is still valid, so replacing it takes the current key first: the
            temporary key in the welcome email, or your current permanent key.
          </p>
          <RecoveryKeyInput
            label={`Current recovery key${workspace.recovery ? ` (ID starts with ${workspace.recovery.shortKeyId})` : ''}`}
            value={current}
            onInput={setCurrent}
            onCheck={setCurrentCheck}
          />
          <div class="buttons">
            <button type="submit" class="primary" disabled={call.busy}>
              Next
            </button>
            {cancelButton}
          </div>
        </form>
      )}
      {step === 'show' && prepared && (
        <section>
          <StepHeading>Your new recovery key</StepHeading>
          <p class="warning">
            Write it down or download the recovery kit now, and keep it offline: it is shown only
            during this step, and Keyhaven cannot show it again.
          </p>
          <p>
            Key ID <span class="mono">{prepared.keyId}</span>
          </p>
          <KeyGroups groups={prepared.groups} label="The new recovery key" />
          {prepared.escrowMissing.length > 0 && (
            <p class="warning">
              This key cannot open device-key escrow versions {prepared.escrowMissing.join(', ')}: have
              them reshared to you, then generate again.
            </p>
          )}
          <KitDownloads workspaceId={workspace.id} />
          <div class="buttons">
            <button type="button" class="primary" onClick={() => setStep('confirm')}>
              Next: confirm the key
            </button>
            {cancelButton}
          </div>
        </section>
      )}
      {step === 'confirm' && prepared && (
        <form onSubmit={commit} noValidate>
          <StepHeading>Confirm the new key</StepHeading>
          <p>
            Re-type group {prepared.confirm[0]} and group {prepared.confirm[1]} of the new key, from
            what you wrote down or downloaded.
          </p>
          <Field
            label={`Group ${prepared.confirm[0]}`}
            inputMode="numeric"
            autoComplete="off"
            value={typed[0]}
            onInput={(v) => setTyped([v, typed[1]])}
          />
          <Field
            label={`Group ${prepared.confirm[1]}`}
            inputMode="numeric"
            autoComplete="off"
            value={typed[1]}
            onInput={(v) => setTyped([typed[0], v])}
          />
          <div class="buttons">
            <button type="submit" class="primary" disabled={call.busy}>
              Save this recovery key
            </button>
            <button type="button" onClick={() => setStep('show')}>
              Back to the key
            </button>
            {prepared.needsCurrent && (
              <button type="button" onClick={() => setStep('current')}>
                Re-enter the current key
              </button>
            )}
            {cancelButton}
          </div>
        </form>
      )}
      {step === 'done' && (
        <section>
          <StepHeading>The new recovery key was saved</StepHeading>
          <p>It is permanent: it does not expire. Owners are asked to validate it every six months.</p>
          <RecoveryStatus recovery={workspace.recovery} />
        </section>
      )}
      <CallStatus call={call} />
    </>
  );
}
