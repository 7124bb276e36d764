import type { Owner } from '../api';
import { CallStatus } from '../components/CallStatus';
import { PageHeading } from '../components/PageHeading';
import { paths } from '../router';
import { useCall } from '../useCall';
import { vault } from '../vault';

/** A workspace this browser never opened: its owners' fingerprints, to compare before trust. */
export function FirstContact({
  workspaceId,
  message,
  owners,
  onTrusted,
}: {
  workspaceId: string;
  message: string;
  owners: Owner[];
  onTrusted: () => void;
}) {
  const call = useCall();
  const trust = async () => {
    const result = await call.run(() => vault.trustWorkspace(workspaceId));
    if (result.ok) onTrusted();
  };
  return (
    <>
      <PageHeading title="Trust this workspace?">Trust this workspace?</PageHeading>
      <p>{message}</p>
      <h2>Its owners</h2>
      <ul class="owners">
        {owners.map((owner) => (
          <li key={owner.id}>
            <strong>{owner.email}</strong>
            <span class="fingerprint">{owner.fingerprint}</span>
          </li>
        ))}
      </ul>
      <p class="warning">
        Compare this fingerprint with the owner, out of band (in person or on a call), before you
        trust this workspace.
      </p>
      <div class="buttons">
        <button type="button" class="primary" disabled={call.busy} onClick={() => void trust()}>
          Trust this workspace
        </button>
        <a class="button" href={paths.workspaces}>
          Not now
        </a>
      </div>
      <CallStatus call={call} />
    </>
  );
}
