import { useId } from 'preact/hooks';

/** A labelled single-line input. */
export function Field({
  label,
  value,
  onInput,
  type = 'text',
  autoComplete,
  inputMode,
  required,
  hint,
}: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email' | 'password' | 'search';
  autoComplete?: string;
  inputMode?: 'numeric' | 'email' | 'url' | 'text';
  required?: boolean;
  hint?: string;
}) {
  const id = useId();
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
        type={type}
        value={value}
        autoComplete={autoComplete}
        inputMode={inputMode}
        required={required}
        aria-describedby={hint ? `${id}-hint` : undefined}
        spellcheck={type === 'text' ? false : undefined}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    </div>
  );
}

/** A labelled multi-line input. */
export function TextArea({ label, value, onInput }: { label: string; value: string; onInput: (value: string) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea id={id} rows={4} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
    </div>
  );
}

/** A check box with its label. */
export function CheckBox({ label, checked, onChange }: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <div class="check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      <label for={id}>{label}</label>
    </div>
  );
}
