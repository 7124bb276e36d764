import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import type { CheckResult, DeviceKey, ExportFormat, RevealedKey } from '../api';
import { CLEAR_AFTER_SECONDS, copyForAWhile } from '../clipboard';
import { EXPORT_FORMATS, describeKey } from '../devices';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';
import { RefusedHint } from './DeviceNav';
import type { DeviceAction } from './DeviceTable';
import { Field } from './Field';
import { KeyGroups } from './KeyGroups';
import { StepHeading } from './PageHeading';
import { save } from './KitDownloads';
import '../admin.css';

/** How long a revealed key stays on screen. */
export const REVEAL_SECONDS = 60;

const ROTATE_NOTE = 'This key was revealed: the device should get a new recovery key (rotate after use).';

/**
 * The open panel of a device page (one key, one action) and the keys revealed or exported
 * here, shown "rotate after use" at once (the vault marked them; the next listing says so too).
 */
export function useDeviceActions() {
  const [open, setOpen] = useState<{ key: DeviceKey; action: DeviceAction } | null>(null);
  const [used, setUsed] = useState<ReadonlySet<string>>(new Set());
  const markUsed = useCallback((id: string) => setUsed((s) => new Set(s).add(id)), []);
  const shown = useCallback(
    (k: DeviceKey): DeviceKey => (used.has(k.id) && !k.rotateAfterUse ? { ...k, rotateAfterUse: true } : k),
    [used],
  );
  return { open, setOpen, markUsed, shown };
}

const HEADINGS: Record<DeviceAction, string> = {
  reveal: 'Reveal the key',
  check: 'Is this the right key for this device?',
  export: 'Export the key',
  review: 'Review the conflicting key',
};

/** One key's reveal, check, export or conflict review, below the table it was chosen from. */
export function DevicePanel({
  workspaceId,
  deviceKey,
  action,
  onUsed,
  onClose,
  onResolved,
}: {
  workspaceId: string;
  deviceKey: DeviceKey;
  action: DeviceAction;
  onUsed: (id: string) => void;
  onClose: () => void;
  /** A conflict was accepted or rejected: the listing changed (reload it). */
  onResolved?: () => void;
}) {
  const described = describeKey(deviceKey);
  return (
    <section class="panel device-panel" aria-label={`${HEADINGS[action]}: ${described}`}>
      <StepHeading>{HEADINGS[action]}</StepHeading>
      <p>
        <span class="device-name">{deviceKey.device}</span>
        {deviceKey.volume && <>, volume {deviceKey.volume}</>}, key ID{' '}
        <span class="mono">{deviceKey.keyId}</span>
      </p>
      {action === 'reveal' ? (
        <RevealPanel workspaceId={workspaceId} deviceKey={deviceKey} onUsed={onUsed} />
      ) : action === 'check' ? (
        <CheckPanel workspaceId={workspaceId} deviceKey={deviceKey} />
      ) : action === 'review' ? (
        <ReviewPanel workspaceId={workspaceId} deviceKey={deviceKey} onResolved={onResolved} />
      ) : (
        <ExportPanel workspaceId={workspaceId} deviceKey={deviceKey} onUsed={onUsed} />
      )}
      <div class="buttons">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}

/** Whether the workspace requires a reason for reveals and exports (its setting, asked once
 * per panel; the server refuses a reveal without one all the same). */
function useReasonRequired(workspaceId: string): boolean {
  const [required, setRequired] = useState(false);
  useEffect(() => {
    let current = true;
    vault.deviceSettings(workspaceId).then(
      (s) => current && setRequired(s.revealReasonRequired),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [workspaceId]);
  return required;
}

const REASON_REQUIRED = 'This workspace requires a reason for every reveal and export: say why, e.g. the ticket number.';

function ReasonField({ value, onInput, required }: { value: string; onInput: (value: string) => void; required: boolean }) {
  return (
    <Field
      label="Reason (for the audit log)"
      hint={required ? 'Required in this workspace: e.g. the ticket number' : 'e.g. the ticket number'}
      required={required}
      value={value}
      onInput={onInput}
      autoComplete="off"
    />
  );
}

function RevealPanel({
  workspaceId,
  deviceKey,
  onUsed,
}: {
  workspaceId: string;
  deviceKey: DeviceKey;
  onUsed: (id: string) => void;
}) {
  const call = useCall();
  const reasonRequired = useReasonRequired(workspaceId);
  const [reason, setReason] = useState('');
  const [shown, setShown] = useState<{ key: RevealedKey; until: number } | null>(null);
  const [left, setLeft] = useState(REVEAL_SECONDS);
  const [revealed, setRevealed] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  // Said once when the key goes (a live region), not every second of the countdown.
  const [hiddenNote, setHiddenNote] = useState('');
  const block = useRef<HTMLDivElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const refocus = useRef(false);
  const noteId = useId();
  const countdownId = useId();

  const hide = (note: string) => {
    // The focus was on the key (or its buttons), which goes: it moves to the reveal form.
    refocus.current = block.current?.contains(document.activeElement) ?? false;
    setShown(null);
    setCopied(null);
    setHiddenNote(note);
  };

  useEffect(() => {
    if (shown) {
      block.current?.focus();
    } else if (refocus.current) {
      refocus.current = false;
      form.current?.querySelector<HTMLElement>('input, button')?.focus();
    }
  }, [shown]);

  useEffect(() => {
    if (!shown) return;
    const tick = () => {
      const seconds = Math.ceil((shown.until - Date.now()) / 1000);
      if (seconds <= 0) hide(`Hidden again after ${REVEAL_SECONDS} s.`);
      else setLeft(seconds);
    };
    const timer = window.setInterval(tick, 1000);
    return () => window.clearInterval(timer);
  }, [shown]);

  const reveal = async (event: Event) => {
    event.preventDefault();
    setHiddenNote('');
    if (reasonRequired && reason.trim() === '') {
      call.fail(REASON_REQUIRED);
      return;
    }
    const result = await call.run(() => vault.revealDevice(workspaceId, deviceKey.id, reason.trim() || null));
    if (!result.ok) return;
    setLeft(REVEAL_SECONDS);
    setShown({ key: result.value, until: Date.now() + REVEAL_SECONDS * 1000 });
    setRevealed(true);
    onUsed(deviceKey.id);
  };

  const copy = async (secret: string) => {
    try {
      await copyForAWhile(secret);
      setCopied(`Copied; the clipboard is cleared in ${CLEAR_AFTER_SECONDS} s.`);
    } catch (e) {
      call.fail(`Could not copy to the clipboard: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const groups = shown?.key.groups ?? [];
  return (
    <>
      {(revealed || deviceKey.rotateAfterUse) && (
        <p class="warning" id={noteId}>
          {ROTATE_NOTE}
        </p>
      )}
      {shown ? (
        <div
          class="revealed"
          role="group"
          aria-label={`The recovery key of ${describeKey(deviceKey)}`}
          aria-describedby={`${countdownId} ${noteId}`}
          tabIndex={-1}
          ref={block}
        >
          <KeyGroups
            groups={groups}
            label={groups.length === 1 ? 'The key' : `The key in ${groups.length} groups`}
            size="huge"
          />
          <p class="countdown" id={countdownId}>
            Hidden again in <span class="seconds">{left}</span> s
          </p>
          <div class="buttons">
            <button type="button" class="primary" onClick={() => void copy(shown.key.secret)}>
              Copy the key
            </button>
            <button type="button" onClick={() => hide('The key is hidden.')}>
              Hide the key now
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={reveal} noValidate ref={form}>
          <ReasonField value={reason} onInput={setReason} required={reasonRequired} />
          <p class="hint">
            The reveal is written to the workspace's audit log first (who, when, why); the key is
            then marked "rotate after use".
          </p>
          <button type="submit" class="primary" disabled={call.busy}>
            Reveal the key
          </button>
        </form>
      )}
      <p class="live-note" role="status" aria-live="polite">
        {hiddenNote}
      </p>
      <CallStatus call={call} done={copied && <p>{copied}</p>} />
      {call.error?.kind === 'refused' && <RefusedHint />}
    </>
  );
}

const CHECK_HINTS: Record<string, string> = {
  bitlocker: 'The 48 digits as the user reads or typed them: 8 groups of 6; spaces or dashes between groups are fine.',
  filevault: 'The key as the user reads it: 6 groups of 4; dashes between groups are fine.',
  'microsoft-account': 'The 25 characters as the user reads them: 5 groups of 5; dashes between groups are fine.',
  luks: 'The recovery key or passphrase as the user typed it.',
  generic: 'The key as the user typed it.',
};

function CheckPanel({ workspaceId, deviceKey }: { workspaceId: string; deviceKey: DeviceKey }) {
  const call = useCall();
  const [typed, setTyped] = useState('');
  const [result, setResult] = useState<CheckResult | null>(null);
  const id = useId();

  const check = async (event: Event) => {
    event.preventDefault();
    setResult(null);
    if (typed.trim() === '') {
      call.fail('Type the key to check first.');
      return;
    }
    const answer = await call.run(() => vault.checkDeviceKey(workspaceId, deviceKey.id, typed));
    if (answer.ok) setResult(answer.value);
  };

  const hint = CHECK_HINTS[deviceKey.kind] ?? CHECK_HINTS.generic;
  const mistyped = call.error?.kind === 'input' && call.error.group !== undefined;
  return (
    <form onSubmit={check} noValidate>
      <p>Nothing is revealed: this tells whether a key someone typed or read out is this device's.</p>
      <div class="field">
        <label for={id}>Key to check</label>
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
        <input
          id={id}
          class="key-input"
          type="text"
          inputMode={deviceKey.kind === 'bitlocker' ? 'numeric' : 'text'}
          autoComplete="off"
          autoCapitalize="off"
          spellcheck={false}
          value={typed}
          aria-invalid={mistyped ? 'true' : undefined}
          aria-describedby={`${id}-hint`}
          onInput={(e) => {
            setTyped(e.currentTarget.value);
            setResult(null);
          }}
        />
      </div>
      <button type="submit" class="primary" disabled={call.busy}>
        Check the key
      </button>
      <CallStatus call={call} done={result && <CheckAnswer result={result} deviceKey={deviceKey} />} />
      {call.error?.kind === 'refused' && <RefusedHint />}
    </form>
  );
}

function CheckAnswer({ result, deviceKey }: { result: CheckResult; deviceKey: DeviceKey }) {
  switch (result.outcome) {
    case 'matches':
      return <p class="ok">Matches: this is the recovery key of {describeKey(deviceKey)}.</p>;
    case 'other_device':
      return (
        <div class="warning">
          {result.others.map((other) => (
            <p key={other.id}>This key belongs to another device: {describeKey(other)}.</p>
          ))}
        </div>
      );
    case 'no_match':
      return (
        <p class="warning">
          No escrowed key matches: this is not the key of {deviceKey.device}, nor of any other device in
          this workspace. Check the digits with the user again.
        </p>
      );
  }
}

function ExportPanel({
  workspaceId,
  deviceKey,
  onUsed,
}: {
  workspaceId: string;
  deviceKey: DeviceKey;
  onUsed: (id: string) => void;
}) {
  const call = useCall();
  const formats = EXPORT_FORMATS.filter((f) => !f.kinds || f.kinds.includes(deviceKey.kind));
  const [format, setFormat] = useState<ExportFormat>(formats[0]!.format);
  const reasonRequired = useReasonRequired(workspaceId);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const id = useId();

  const download = async (event: Event) => {
    event.preventDefault();
    setDone(null);
    if (reasonRequired && reason.trim() === '') {
      call.fail(REASON_REQUIRED);
      return;
    }
    const result = await call.run(() => vault.exportDevice(workspaceId, deviceKey.id, format, reason.trim() || null));
    if (!result.ok) return;
    save(result.value.bytes, result.value.mime, result.value.filename);
    // The page keeps no copy of the file.
    result.value.bytes.fill(0);
    onUsed(deviceKey.id);
    setDone(`Exported; this counts as a reveal in the audit log. Saved as “${result.value.filename}”.`);
  };

  return (
    <form onSubmit={download} noValidate>
      <div class="field">
        <label for={id}>Format</label>
        <select id={id} value={format} onChange={(e) => setFormat(e.currentTarget.value as ExportFormat)}>
          {formats.map((f) => (
            <option key={f.format} value={f.format}>
              {f.label}
            </option>
          ))}
        </select>
      </div>
      <ReasonField value={reason} onInput={setReason} required={reasonRequired} />
      <p class="hint">The file holds the key: keep it offline, and destroy it once the key was used.</p>
      <button type="submit" class="primary" disabled={call.busy}>
        Download
      </button>
      <CallStatus call={call} done={done && <p class="ok">{done}</p>} />
      {done && <p class="warning">{ROTATE_NOTE.replace('revealed', 'exported')}</p>}
      {call.error?.kind === 'refused' && <RefusedHint />}
    </form>
  );
}

/**
 * A token submission whose key differs from the one escrowed for its key ID: accepted (it
 * becomes current, the escrowed key its history) or rejected (deleted), each after a confirm.
 * Until then the escrowed key stays current. Audited by the server.
 */
function ReviewPanel({
  workspaceId,
  deviceKey,
  onResolved,
}: {
  workspaceId: string;
  deviceKey: DeviceKey;
  onResolved: (() => void) | undefined;
}) {
  const call = useCall();
  const [confirming, setConfirming] = useState<'accept' | 'reject' | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const acceptButton = useRef<HTMLButtonElement>(null);
  const rejectButton = useRef<HTMLButtonElement>(null);
  const doneNote = useRef<HTMLParagraphElement>(null);
  // Where the focus goes back to when a confirm is cancelled.
  const back = useRef<'accept' | 'reject' | null>(null);

  useEffect(() => {
    if (done) doneNote.current?.focus();
  }, [done]);

  useEffect(() => {
    if (confirming || !back.current) return;
    (back.current === 'accept' ? acceptButton : rejectButton).current?.focus();
    back.current = null;
  }, [confirming]);

  const cancel = () => {
    back.current = confirming;
    call.clearError();
    setConfirming(null);
  };

  const resolve = async () => {
    if (!confirming || call.busy) return;
    const accept = confirming === 'accept';
    const result = await call.run(() => vault.resolveConflict(workspaceId, deviceKey.id, accept));
    if (!result.ok) return;
    setConfirming(null);
    setDone(
      accept
        ? `Accepted: the submitted key is now the current key of ${describeKey(deviceKey)}; the key escrowed before is kept as history.`
        : `Rejected: the submitted key was deleted; the key escrowed before stays the current key of ${describeKey(deviceKey)}.`,
    );
    onResolved?.();
  };

  if (done) {
    return (
      <p class="ok focus-note" role="status" tabIndex={-1} ref={doneNote}>
        {done}
      </p>
    );
  }

  const what = (
    <>
      key ID <span class="mono">{deviceKey.keyId}</span> of <span class="device-name">{deviceKey.device}</span>
    </>
  );
  return (
    <>
      <p class="warning">
        An enrollment token submitted a key for {what} that differs from the key already escrowed for
        it. Until you decide, the escrowed key stays current.
      </p>
      <ul class="review-choices">
        <li>
          Accept it if the device really got a new recovery key: it becomes the current key; the one
          escrowed before is kept as history.
        </li>
        <li>
          Reject it if you expected no new key: the submission is deleted. A token that submits keys
          nobody expected may have leaked: an owner or admin can revoke it.
        </li>
      </ul>
      {confirming === null ? (
        <div class="buttons">
          <button type="button" class="primary" ref={acceptButton} onClick={() => setConfirming('accept')}>
            Accept the submitted key
          </button>
          <button type="button" ref={rejectButton} onClick={() => setConfirming('reject')}>
            Reject it
          </button>
        </div>
      ) : (
        <div class="confirm-step">
          <StepHeading>{confirming === 'accept' ? 'Accept the submitted key?' : 'Reject the submitted key?'}</StepHeading>
          <p>
            {confirming === 'accept' ? (
              <>
                It becomes the current key of {what}; the key escrowed before is kept as history. The
                decision is written to the audit log.
              </>
            ) : (
              <>
                It is deleted; the key escrowed before stays the current key of {what}. The decision is
                written to the audit log.
              </>
            )}
          </p>
          <div class="buttons">
            <button type="button" class={confirming === 'accept' ? 'primary' : 'danger'} disabled={call.busy} onClick={() => void resolve()}>
              {confirming === 'accept' ? 'Yes, accept the submitted key' : 'Yes, reject it'}
            </button>
            <button type="button" onClick={cancel}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <CallStatus call={call} />
      {call.error?.kind === 'refused' && <RefusedHint />}
    </>
  );
}
