import { useId } from 'preact/hooks';

export interface NewPassword {
  password: string;
  repeat: string;
}

/** Why a new password cannot be used (checked in the page, before any call), or null. */
export function newPasswordProblem({ password, repeat }: NewPassword): string | null {
  if (password === '') return 'Enter a new password.';
  if (password !== repeat) return 'The two passwords do not match: type the same password twice.';
  return null;
}

/** A new password, typed twice. */
export function PasswordFields({
  value,
  onInput,
  label = 'New password',
}: {
  value: NewPassword;
  onInput: (value: NewPassword) => void;
  label?: string;
}) {
  const id = useId();
  return (
    <>
      <div class="field">
        <label for={`${id}-new`}>{label}</label>
        <input
          id={`${id}-new`}
          type="password"
          autoComplete="new-password"
          value={value.password}
          onInput={(e) => onInput({ ...value, password: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for={`${id}-repeat`}>Repeat the {label.toLowerCase()}</label>
        <input
          id={`${id}-repeat`}
          type="password"
          autoComplete="new-password"
          value={value.repeat}
          onInput={(e) => onInput({ ...value, repeat: e.currentTarget.value })}
        />
      </div>
    </>
  );
}
