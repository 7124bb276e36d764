import { useEffect, useId, useState } from 'preact/hooks';
import type { VaultError } from '../api';
import { KEY_DIGITS, digitCount } from '../format';
import { vault } from '../vault';
import { ErrorMessage } from './CallStatus';

export type KeyCheck = { ok: true } | { ok: false; error: VaultError } | null;

/**
 * A typed recovery key (8 groups of 6 digits; spaces and dashes are fine). Once 48 digits are
 * typed its format is checked in the worker (no server call), naming a mistyped group.
 */
export function RecoveryKeyInput({
  label,
  hint,
  value,
  onInput,
  onCheck,
}: {
  label: string;
  hint?: string;
  value: string;
  onInput: (value: string) => void;
  onCheck?: (check: KeyCheck) => void;
}) {
  const id = useId();
  const [check, setCheck] = useState<KeyCheck>(null);

  useEffect(() => {
    if (digitCount(value) < KEY_DIGITS) {
      setCheck(null);
      return;
    }
    let current = true;
    vault.checkRecoveryKey(value).then(
      () => current && setCheck({ ok: true }),
      (error: VaultError) => current && error.kind !== 'locked' && setCheck({ ok: false, error }),
    );
    return () => {
      current = false;
    };
  }, [value]);

  useEffect(() => onCheck?.(check), [check, onCheck]);

  const describedBy = [hint && `${id}-hint`, check && `${id}-check`].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input
        id={id}
        class="key-input"
        type="text"
        inputMode="numeric"
        autoComplete="off"
        autoCapitalize="off"
        spellcheck={false}
        placeholder="000000-000000-000000-000000-000000-000000-000000-000000"
        value={value}
        aria-invalid={check !== null && !check.ok}
        aria-describedby={describedBy || undefined}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      {check?.ok && (
        <p class="ok" id={`${id}-check`}>
          The key is well formed.
        </p>
      )}
      {check && !check.ok && (
        <ErrorMessage id={`${id}-check`} message={check.error.message} group={check.error.group} />
      )}
    </div>
  );
}
