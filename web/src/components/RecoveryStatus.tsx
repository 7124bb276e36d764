import type { RecoveryInfo } from '../api';
import { isoDate, relativeDays } from '../format';

/** The workspace's current recovery key: ID, kind, expiry and validation. */
export function RecoveryStatus({ recovery }: { recovery: RecoveryInfo | null }) {
  if (!recovery) {
    return (
      <p class="warning">
        There is no valid recovery key (the temporary key expired). Generate one now: until then
        nobody can restore this workspace after a forgotten password.
      </p>
    );
  }
  return (
    <dl class="facts">
      <dt>Key ID</dt>
      <dd class="mono">{recovery.keyId}</dd>
      <dt>Kind</dt>
      <dd>{recovery.kind === 'temporary' ? 'Temporary (sent in the welcome email)' : 'Permanent'}</dd>
      {recovery.expiresAt !== null && (
        <>
          <dt>Expires</dt>
          <dd>
            {isoDate(recovery.expiresAt)} ({relativeDays(recovery.expiresAt)})
          </dd>
        </>
      )}
      <dt>Last validated</dt>
      <dd>{isoDate(recovery.lastValidatedAt)}</dd>
      <dt>Next validation due</dt>
      <dd>
        {isoDate(recovery.validationDueAt)} ({relativeDays(recovery.validationDueAt)})
      </dd>
    </dl>
  );
}
