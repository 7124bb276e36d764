import { Fragment } from 'preact';
import { useId, useState } from 'preact/hooks';
import type { Role } from '../api';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';
import { StepHeading } from './PageHeading';

// What a person reads out is compared here only to guide the typing (which group differs) and
// to enable the button: the vault compares again, against the keys it is about to add, and
// refuses otherwise. No key or fingerprint is computed in the page.

/** A fingerprint has 16 groups of 4 hex digits. */
export const FINGERPRINT_GROUPS = 16;
const GROUP_LENGTH = 4;

/** As people read a fingerprint out: spaces, dashes and case do not matter. */
export function compactFingerprint(text: string): string {
  return text.replace(/[\s-]/g, '').toUpperCase();
}

/** The groups of 4, as a fingerprint is read out (the last one may be shorter while typing). */
export function fingerprintGroups(text: string): string[] {
  const compact = compactFingerprint(text);
  const groups: string[] = [];
  for (let i = 0; i < compact.length; i += GROUP_LENGTH) groups.push(compact.slice(i, i + GROUP_LENGTH));
  return groups;
}

type GroupState = 'matches' | 'differs' | 'typing' | 'missing';

const STATE_WORDS: Record<GroupState, string> = {
  matches: 'matches',
  differs: 'differs',
  typing: '',
  missing: '',
};

interface Comparison {
  expected: string[];
  typed: string[];
  states: GroupState[];
  /** 0-based; -1 when no group differs. */
  firstDiffer: number;
  /** Characters typed beyond the fingerprint's 64. */
  extra: number;
  equal: boolean;
}

/** Group by group: which groups of what was typed match the shown fingerprint. */
function compare(shown: string, typed: string): Comparison {
  const expected = fingerprintGroups(shown);
  const got = fingerprintGroups(typed);
  const states = expected.map((e, i): GroupState => {
    const t = got[i] ?? '';
    if (t === '') return 'missing';
    if (t.length < e.length) return e.startsWith(t) ? 'typing' : 'differs';
    return t === e ? 'matches' : 'differs';
  });
  const a = compactFingerprint(shown);
  const b = compactFingerprint(typed);
  return {
    expected,
    typed: got,
    states,
    firstDiffer: states.indexOf('differs'),
    extra: Math.max(0, b.length - a.length),
    equal: a.length > 0 && a === b,
  };
}

/** What the live region says about the comparison. */
function compareVerdict(c: Comparison, email: string): string {
  const matching = c.states.filter((s) => s === 'matches').length;
  if (c.typed.length === 0) return `Nothing typed yet: type the fingerprint as ${email} reads it, group by group.`;
  if (c.firstDiffer >= 0) {
    const n = c.firstDiffer + 1;
    return (
      `Group ${n} differs: the server reports ${c.expected[c.firstDiffer]}, you typed ${c.typed[c.firstDiffer]}. ` +
      `Ask ${email} to read group ${n} again; if it still differs, do not add them: these keys are not theirs.`
    );
  }
  if (c.extra > 0) {
    return `All ${FINGERPRINT_GROUPS} groups match, but you typed ${c.extra} more ${c.extra === 1 ? 'character' : 'characters'} than a fingerprint has.`;
  }
  if (c.equal) return `All ${FINGERPRINT_GROUPS} groups match.`;
  return `${matching} of ${FINGERPRINT_GROUPS} groups match so far.`;
}


/** Numbered groups of a fingerprint, each marked in words (not by colour alone). */
function FingerprintGrid({
  groups,
  states,
  labelledBy,
}: {
  groups: string[];
  states?: GroupState[];
  labelledBy: string;
}) {
  return (
    <ol class="fp-groups" aria-labelledby={labelledBy}>
      {groups.map((group, i) => {
        const state = states?.[i];
        return (
          <li key={i} class={state ? `fp-${state}` : undefined}>
            <span class="group-number" aria-hidden="true">
              {i + 1}
            </span>
            <span class="group-digits">{group}</span>
            {state && STATE_WORDS[state] && <span class="fp-state">{STATE_WORDS[state]}</span>}
          </li>
        );
      })}
    </ol>
  );
}

/** A fingerprint to be read out (or shown in person): large, in its groups. */
export function FingerprintLarge({ fingerprint, id }: { fingerprint: string; id?: string }) {
  const groups = fingerprintGroups(fingerprint);
  return (
    <p class="fingerprint fingerprint-large" id={id}>
      {groups.map((g, i) => (
        <Fragment key={i}>
          {i > 0 && ' '}
          <span class="fp-group">{g}</span>
        </Fragment>
      ))}
    </p>
  );
}

/** Whom the comparison is for: an invitee to add, or a member to relink after a reset. */
export type FingerprintTarget =
  | { kind: 'add'; email: string; role: Role; fingerprint: string }
  /** `fingerprint`: of the new keys the server reports after their password reset. */
  | { kind: 'relink'; email: string; role: Role; fingerprint: string };

/**
 * The out-of-band comparison, the heart of adding someone: the fingerprint the server reports
 * beside what the person reads out, compared group by group as it is typed. The button is
 * enabled only once they are equal; the vault checks again against the keys it adds.
 */
export function MemberFingerprintStep({
  workspaceId,
  workspaceName,
  target,
  onDone,
  onCancel,
  onReload,
}: {
  workspaceId: string;
  workspaceName: string;
  target: FingerprintTarget;
  onDone: (message: string) => void;
  onCancel: () => void;
  /** Lists the invitations again (after a refusal: the invitee's keys may have changed). */
  onReload: () => void;
}) {
  const call = useCall();
  const [typed, setTyped] = useState('');
  const headingId = useId();
  const shownId = useId();
  const inputId = useId();
  const { email, role } = target;

  const adding = target.kind === 'add';
  const comparison = compare(target.fingerprint, typed);
  const ready = comparison.equal;
  const verdict = compareVerdict(comparison, email);
  const invalid = comparison.firstDiffer >= 0 || comparison.extra > 0;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!ready) {
      call.fail(
        adding
          ? `The fingerprint you typed is not the one shown: ${email} cannot be added.`
          : `The fingerprint you typed is not the one shown: ${email} cannot be relinked.`,
      );
      return;
    }
    if (target.kind === 'add') {
      // The shown fingerprint goes to the vault: it adds only the keys that have it.
      const result = await call.run(() => vault.addMember(workspaceId, email, target.fingerprint));
      if (result.ok) onDone(`${email} is a member (${role}). They open “${workspaceName}” from their list of workspaces.`);
    } else {
      // The shown fingerprint goes to the vault: it relinks only the keys that have it.
      const result = await call.run(() => vault.relinkMember(workspaceId, email, target.fingerprint));
      if (result.ok) {
        onDone(`${email} is relinked: the roster holds their new keys, and they open “${workspaceName}” again (${role}).`);
      }
    }
  };

  return (
    <section class="panel member-step" aria-labelledby={headingId}>
      <div id={headingId}>
        <StepHeading>Compare fingerprints with {email}</StepHeading>
      </div>
      <p class="warning">
        Compare this with the person, out of band: in person, or on a call where you recognise their
        voice. Not by email or chat from the same account: a server that lies would control that too.
      </p>
      {target.kind === 'add' ? (
        <p>
          {email} sees their own fingerprint on their Account page, and right after they accept the
          invitation. Ask them to read it to you, group by group, and type what they read: each group is
          checked as you type. Only when all {FINGERPRINT_GROUPS} groups match can you add them as {role}.
        </p>
      ) : (
        <>
          <p>
            {email}'s password was reset: they have new keys, so a new fingerprint, which their
            Account page shows. Ask them to read it to you and type what they read: only when all{' '}
            {FINGERPRINT_GROUPS} groups match the new keys the server reports can you relink them.
          </p>
        </>
      )}
      <form onSubmit={submit} noValidate>
        <div class="fp-compare">
          <div class="fp-side">
            <h3 id={shownId}>
              {target.kind === 'add'
                ? `Fingerprint the server reports for ${email}'s keys`
                : `New fingerprint the server reports for ${email}'s keys (after their reset)`}
            </h3>
            <FingerprintGrid
              groups={comparison.expected}
              states={comparison.states}
              labelledBy={shownId}
            />
          </div>
          <div class="fp-side">
            <div class="field">
              <label for={inputId}>The fingerprint {email} reads to you</label>
              <p class="hint" id={`${inputId}-hint`}>
                {FINGERPRINT_GROUPS} groups of 4 characters, 0–9 and A–F; spaces, dashes and case do not
                matter.
              </p>
              <input
                id={inputId}
                class="key-input"
                type="text"
                autoComplete="off"
                autoCapitalize="characters"
                spellcheck={false}
                value={typed}
                aria-invalid={invalid ? 'true' : undefined}
                aria-describedby={`${inputId}-hint ${inputId}-verdict`}
                onInput={(e) => {
                  setTyped(e.currentTarget.value);
                  call.clearError();
                }}
              />
            </div>
            <p class="fp-verdict" id={`${inputId}-verdict`} aria-live="polite">
              {verdict}
            </p>
          </div>
        </div>
        <div class="buttons">
          <button type="submit" class="primary" disabled={!ready || call.busy}>
            {target.kind === 'add' ? `Add ${email} as ${role}` : `Relink ${email}`}
          </button>
          <button type="button" disabled={call.busy} onClick={onCancel}>
            Cancel
          </button>
        </div>
        <CallStatus call={call} />
        {call.error?.kind === 'refused' && target.kind === 'add' && (
          <p>
            If {email} accepted again meanwhile, the server reports other keys now.{' '}
            <button type="button" class="link" onClick={onReload}>
              List the invitations again
            </button>{' '}
            and compare the fingerprint shown then with them.
          </p>
        )}
      </form>
    </section>
  );
}
