import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { CreatedToken, EnrollmentToken, Workspace } from '../api';
import '../admin.css';
import { CallStatus } from '../components/CallStatus';
import { DeviceNav, RefusedHint } from '../components/DeviceNav';
import { Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import { TokenCreated } from '../components/TokenCreated';
import { TokenRevoke, TokenTable, revokeButtonId, tokenName } from '../components/TokenTable';
import { useCall } from '../useCall';
import { vault } from '../vault';

type Unit = 'hours' | 'days' | 'weeks';

const HOURS_PER: Record<Unit, number> = { hours: 1, days: 24, weeks: 7 * 24 };

/** A token lives from 1 hour to 366 days (as `keyhaven escrow token create --expires`). */
const MAX_HOURS = 366 * 24;

/** A label's longest length, as the vault checks it. */
const MAX_LABEL_CHARS = 100;

/** The lifetime typed, in hours, or what is wrong with it. */
function lifetimeHours(amount: string, unit: Unit): { hours: number } | { problem: string } {
  const text = amount.trim();
  if (!/^\d+$/.test(text)) {
    return { problem: `Write how many ${unit} the token is valid for, as a whole number (from 1 hour to 366 days).` };
  }
  const hours = Number(text) * HOURS_PER[unit];
  if (hours < 1 || hours > MAX_HOURS) {
    return { problem: 'A token is valid from 1 hour to 366 days (52 weeks): choose a shorter or longer time.' };
  }
  return { hours };
}

/**
 * Enrollment tokens: write-only credentials with which a device agent or deployment script
 * adds its device's recovery key. Created here (shown once), listed (never their secret) and
 * revoked. Owners and admins only (the workspace page does not route others here).
 */
export function DeviceTokens({ workspace }: { workspace: Workspace }) {
  const list = useCall();
  const create = useCall();
  const revoke = useCall();
  const [tokens, setTokens] = useState<EnrollmentToken[] | null>(null);
  const [label, setLabel] = useState('');
  const [amount, setAmount] = useState('30');
  const [unit, setUnit] = useState<Unit>('days');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [confirming, setConfirming] = useState<EnrollmentToken | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const amountId = useId();
  const unitId = useId();
  const prefix = useId();
  const createButton = useRef<HTMLButtonElement>(null);
  const revokedNote = useRef<HTMLParagraphElement>(null);

  const load = async () => {
    const result = await list.run(() => vault.enrollmentTokens(workspace.id));
    if (result.ok) setTokens(result.value);
  };

  useEffect(() => {
    setCreated(null);
    setConfirming(null);
    setRevoked(null);
    void load();
  }, [workspace.id]);

  // The focus was on the confirm step's button, which goes: it moves to what happened.
  useEffect(() => {
    if (revoked) revokedNote.current?.focus();
  }, [revoked]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setRevoked(null);
    const lifetime = lifetimeHours(amount, unit);
    if ('problem' in lifetime) {
      create.fail(lifetime.problem);
      return;
    }
    const name = label.trim();
    const chars = [...name].length;
    if (chars > MAX_LABEL_CHARS) {
      create.fail(`A token's label has at most ${MAX_LABEL_CHARS} characters; this one has ${chars}.`);
      return;
    }
    // A new token replaces the one shown (which was shown once, as this one will be).
    setCreated(null);
    const result = await create.run(() => vault.createEnrollmentToken(workspace.id, name === '' ? null : name, lifetime.hours));
    if (!result.ok) return;
    setCreated(result.value);
    setLabel('');
    void load();
  };

  const hide = () => {
    setCreated(null);
    createButton.current?.focus();
  };

  const askRevoke = (token: EnrollmentToken) => {
    revoke.clearError();
    setRevoked(null);
    setConfirming(token);
  };

  const cancelRevoke = () => {
    const token = confirming;
    setConfirming(null);
    revoke.clearError();
    if (token) document.getElementById(revokeButtonId(prefix, token))?.focus();
  };

  const confirmRevoke = async () => {
    if (!confirming || revoke.busy) return;
    const token = confirming;
    const result = await revoke.run(() => vault.revokeEnrollmentToken(workspace.id, token.id));
    if (!result.ok) return;
    setConfirming(null);
    setRevoked(`Token ${tokenName(token)} is revoked: device agents using it are refused from now on.`);
    void load();
  };

  return (
    <>
      <PageHeading title={`${workspace.name}: enrollment tokens`}>Enrollment tokens of “{workspace.name}”</PageHeading>
      <DeviceNav workspace={workspace} view="devices-tokens" />
      <p>
        A token lets a device agent or deployment script add its device's recovery key, sealed on
        the device to the workspace's escrow key. It can never read a key back, not even the ones it
        added, and Keyhaven keeps only a hash of it: it is shown once, when it is created. A key
        submitted for a key ID that already has another key is not stored as current: it waits for
        an owner, admin or helpdesk member to accept or reject it (state “conflict” in the device
        lists).
      </p>
      <form onSubmit={submit} noValidate>
        <h2>Create a token</h2>
        <Field
          label="Label"
          hint="Optional, for the list, e.g. “Intune rollout, spring”"
          value={label}
          onInput={setLabel}
          autoComplete="off"
        />
        <div class="field">
          <label for={amountId}>Valid for</label>
          <p class="hint" id={`${amountId}-hint`}>
            From 1 hour to 366 days; it is refused after that (device agents need a new token).
          </p>
          <div class="duration">
            <input
              id={amountId}
              type="text"
              inputMode="numeric"
              autoComplete="off"
              spellcheck={false}
              value={amount}
              aria-describedby={`${amountId}-hint`}
              onInput={(e) => setAmount(e.currentTarget.value)}
            />
            <label for={unitId} class="visually-hidden">
              Unit
            </label>
            <select id={unitId} value={unit} onChange={(e) => setUnit(e.currentTarget.value as Unit)}>
              <option value="hours">hours</option>
              <option value="days">days</option>
              <option value="weeks">weeks</option>
            </select>
          </div>
        </div>
        <button type="submit" class="primary" disabled={create.busy} ref={createButton}>
          Create token
        </button>
        <CallStatus call={create} />
        {create.error?.kind === 'refused' && <RefusedHint />}
      </form>
      {created && <TokenCreated created={created} onDone={hide} />}
      <section aria-labelledby={`${prefix}-list`}>
        <h2 id={`${prefix}-list`}>Tokens</h2>
        {revoked && (
          <p class="notice focus-note" role="status" tabIndex={-1} ref={revokedNote}>
            {revoked}
          </p>
        )}
        <CallStatus call={list} />
        {tokens &&
          (tokens.length === 0 ? (
            <p class="count">No enrollment tokens yet.</p>
          ) : (
            <TokenTable
              tokens={tokens}
              idPrefix={prefix}
              confirming={confirming?.id ?? null}
              onRevoke={askRevoke}
            />
          ))}
        {confirming && (
          <TokenRevoke
            key={confirming.id}
            token={confirming}
            call={revoke}
            onConfirm={() => void confirmRevoke()}
            onCancel={cancelRevoke}
          />
        )}
      </section>
    </>
  );
}
