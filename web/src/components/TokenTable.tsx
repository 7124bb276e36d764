import { useId } from 'preact/hooks';
import type { EnrollmentToken } from '../api';
import { isoDate } from '../format';
import type { Call } from '../useCall';
import { CallStatus } from './CallStatus';
import { StepHeading } from './PageHeading';

/** How a token is named in buttons and messages: its label, else its id. */
export function tokenName(token: EnrollmentToken): string {
  return token.name ?? token.id;
}

/** The id of a token's Revoke button (focus goes back to it when its confirm is cancelled). */
export function revokeButtonId(prefix: string, token: EnrollmentToken): string {
  return `${prefix}-revoke-${token.id}`;
}

/** The workspace's enrollment tokens, never their secrets; active ones can be revoked. */
export function TokenTable({
  tokens,
  idPrefix,
  confirming,
  onRevoke,
}: {
  tokens: EnrollmentToken[];
  /** Makes the Revoke buttons' ids unique on the page. */
  idPrefix: string;
  /** The token whose revocation is being confirmed. */
  confirming: string | null;
  onRevoke: (token: EnrollmentToken) => void;
}) {
  return (
    <table class="list tokens">
      <caption>Enrollment tokens</caption>
      <thead>
        <tr>
          <th scope="col">Label</th>
          <th scope="col">Created by</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">State</th>
          <th scope="col">Keys submitted</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((t) => (
          <tr key={t.id} class={confirming === t.id ? 'selected' : undefined}>
            <th scope="row">
              {t.name ?? (
                <>
                  <span aria-hidden="true">—</span>
                  <span class="visually-hidden">no label (token {t.id})</span>
                </>
              )}
            </th>
            <td>{t.createdBy}</td>
            <td class="date">{isoDate(t.createdAt)}</td>
            <td class="date">{isoDate(t.expiresAt)}</td>
            <td>
              <span class={`token-state token-state-${t.state}`}>{t.state}</span>
              {t.state === 'revoked' && t.revokedAt !== null && (
                <span class="visually-hidden"> on {isoDate(t.revokedAt)}</span>
              )}
            </td>
            <td class="number">{t.submissions.toLocaleString('en-US')}</td>
            <td>
              {t.state === 'active' && (
                <button
                  type="button"
                  class="small"
                  id={revokeButtonId(idPrefix, t)}
                  aria-current={confirming === t.id ? 'true' : undefined}
                  onClick={() => onRevoke(t)}
                >
                  Revoke<span class="visually-hidden"> token {tokenName(t)}</span>
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The confirm step of a revocation (placed after the table: its button comes last). */
export function TokenRevoke({
  token,
  call,
  onConfirm,
  onCancel,
}: {
  token: EnrollmentToken;
  call: Call;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const headingId = useId();
  return (
    <section class="panel confirm" aria-labelledby={headingId}>
      <StepHeading>
        <span id={headingId}>Revoke token {tokenName(token)}?</span>
      </StepHeading>
      <p>
        Device agents using it are refused from now on. Keys it already submitted stay escrowed. It
        cannot be made valid again: create a new token if devices still need one.
      </p>
      <div class="buttons">
        <button type="button" class="danger" disabled={call.busy} onClick={onConfirm}>
          Revoke the token
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <CallStatus call={call} />
    </section>
  );
}
