import { useEffect, useId, useState } from 'preact/hooks';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';
import { CheckBox } from './Field';

/** Owners and admins: the workspace's rule for reveals (a reason required, or optional). The
 * server enforces it; the change is in the audit log. */
export function DeviceSettingsForm({ workspaceId }: { workspaceId: string }) {
  const call = useCall();
  const headingId = useId();
  const [saved, setSaved] = useState<boolean | null>(null);
  const [required, setRequired] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    void call.run(() => vault.deviceSettings(workspaceId)).then((result) => {
      if (result.ok) {
        setSaved(result.value.revealReasonRequired);
        setRequired(result.value.revealReasonRequired);
      }
    });
  }, [workspaceId]);

  const save = async (event: Event) => {
    event.preventDefault();
    setDone(null);
    const result = await call.run(() => vault.setRevealReasonRequired(workspaceId, required));
    if (!result.ok) return;
    setSaved(result.value.revealReasonRequired);
    setDone(
      result.value.revealReasonRequired
        ? 'Saved: every reveal and export now needs a reason.'
        : 'Saved: a reason is optional for reveals and exports.',
    );
  };

  return (
    <section class="panel device-settings" aria-labelledby={headingId}>
      <h2 id={headingId}>Settings</h2>
      {saved !== null && (
        <form onSubmit={save} noValidate>
          <CheckBox
            label="Require a reason for every reveal and export (it goes into the audit log)"
            checked={required}
            onChange={(checked) => {
              setRequired(checked);
              setDone(null);
            }}
          />
          <button type="submit" disabled={call.busy || required === saved}>
            Save settings
          </button>
        </form>
      )}
      <CallStatus call={call} done={done && <p class="notice">{done}</p>} />
    </section>
  );
}
