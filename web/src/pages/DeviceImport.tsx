import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { DeviceKind, ImportDefaults, ImportSummary, TypedDeviceKey, Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { DeviceNav, RefusedHint } from '../components/DeviceNav';
import { Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import {
  DEVICE_KIND_LABELS,
  type PickedFile,
  TOO_LARGE_REASON,
  files as countFiles,
  pickedFromDrop,
  pickedFromInput,
  readPicked,
} from '../devices';
import { useCall } from '../useCall';
import { vault } from '../vault';
import '../admin.css';

/** The summary `keyhaven device import` prints, then each invalid input and why. */
export function ImportSummaryView({ summary }: { summary: ImportSummary }) {
  return (
    <div class={summary.invalid.length > 0 ? 'summary warning' : 'summary notice'}>
      <p>
        Imported {summary.imported} key(s); {summary.replacing} replacing older keys; {summary.alreadyPresent} already
        present; {summary.invalid.length} invalid.
      </p>
      {summary.invalid.length > 0 && (
        <ul class="invalid">
          {summary.invalid.map((i, n) => (
            <li key={n}>
              invalid: <span class="mono">{i.origin}</span>: {i.reason}
            </li>
          ))}
        </ul>
      )}
      {summary.invalid.length > 0 && (
        <p>Fix or remove those inputs and import again: keys already escrowed are skipped.</p>
      )}
    </div>
  );
}

/**
 * Import device keys: BitLocker .txt files (UTF-16LE as Windows writes them; read as bytes
 * and decoded in the vault), manage-bde output, CSV, JSON — chosen, or dropped as files and
 * whole folders.
 */
export function DeviceImport({ workspace }: { workspace: Workspace }) {
  const call = useCall();
  const [picked, setPicked] = useState<PickedFile[]>([]);
  const [reading, setReading] = useState(false);
  const [over, setOver] = useState(false);
  const [device, setDevice] = useState('');
  const [serial, setSerial] = useState('');
  const [os, setOs] = useState('');
  const [volume, setVolume] = useState('');
  const [kind, setKind] = useState<DeviceKind | ''>('');
  const [summary, setSummary] = useState<ImportSummary | null>(null);
  const filesId = useId();
  const folderId = useId();
  const kindId = useId();
  const folderInput = useRef<HTMLInputElement>(null);

  // Preact has no JSX name for it: the folder picker is switched on by property.
  useEffect(() => {
    if (folderInput.current) folderInput.current.webkitdirectory = true;
  }, []);

  // A file dropped beside the zone must not make the browser open it (and leave the vault).
  useEffect(() => {
    const stop = (e: DragEvent) => {
      if (e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files')) e.preventDefault();
    };
    window.addEventListener('dragover', stop);
    window.addEventListener('drop', stop);
    return () => {
      window.removeEventListener('dragover', stop);
      window.removeEventListener('drop', stop);
    };
  }, []);

  const add = (more: PickedFile[]) => {
    setSummary(null);
    call.clearError();
    setPicked((list) => {
      // The same name again replaces the earlier file (re-dropped after a fix).
      const names = new Set(more.map((p) => p.name));
      return [...list.filter((p) => !names.has(p.name)), ...more];
    });
  };

  const chosen = (input: HTMLInputElement) => {
    add(pickedFromInput(input.files));
    // Choosing the same file again (after a fix) is a change too.
    input.value = '';
  };

  const dropped = (event: DragEvent) => {
    event.preventDefault();
    event.stopPropagation();
    setOver(false);
    if (!event.dataTransfer) return;
    setReading(true);
    pickedFromDrop(event.dataTransfer).then(
      (list) => {
        setReading(false);
        add(list);
      },
      (e: unknown) => {
        setReading(false);
        call.fail(`Could not read what was dropped: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  };

  const dragOver = (event: DragEvent) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    setOver(true);
  };

  const leave = (event: DragEvent) => {
    // Leaving for a child of the zone is not leaving the zone.
    const to = event.relatedTarget as Node | null;
    if (!to || !(event.currentTarget as HTMLElement).contains(to)) setOver(false);
  };

  const run = async (event: Event) => {
    event.preventDefault();
    setSummary(null);
    if (picked.length === 0) {
      call.fail('Choose or drop the files to import first.');
      return;
    }
    const defaults: ImportDefaults = {};
    if (device.trim()) defaults.device = device.trim();
    if (serial.trim()) defaults.serial = serial.trim();
    if (os.trim()) defaults.os = os.trim();
    if (volume.trim()) defaults.volume = volume.trim();
    if (kind) defaults.kind = kind;
    const result = await call.run(async () => {
      const { files, tooLarge } = await readPicked(picked);
      const done: ImportSummary =
        files.length > 0
          ? await vault.importDevices(workspace.id, files, defaults)
          : { imported: 0, replacing: 0, alreadyPresent: 0, invalid: [] };
      // What was read is wiped here once the vault has it (the worker got its own copy).
      for (const f of files) f.bytes.fill(0);
      return { ...done, invalid: [...tooLarge.map((origin) => ({ origin, reason: TOO_LARGE_REASON })), ...done.invalid] };
    });
    if (result.ok) {
      setSummary(result.value);
      setPicked([]);
    }
  };

  return (
    <>
      <PageHeading title={`${workspace.name}: import device keys`}>Import device keys</PageHeading>
      <DeviceNav workspace={workspace} view="devices-import" />
      <p>
        Each key is sealed in this browser to the workspace's escrow key before it is sent: the
        server never sees a key, an identifier or a device name. Importing the same files again is
        safe: keys already escrowed are skipped.
      </p>
      <form onSubmit={run} noValidate>
        <div
          class={over ? 'dropzone over' : 'dropzone'}
          role="region"
          aria-label="Drop key files or folders here"
          onDragEnter={dragOver}
          onDragOver={dragOver}
          onDragLeave={leave}
          onDrop={dropped}
        >
          <p class="drop-title">Drop files or whole folders here</p>
          <p class="hint">
            BitLocker recovery key .txt files (as Windows saves them), manage-bde -protectors -get
            output, CSV exports (Microsoft Entra, Intune or your own sheet with a header row) and
            JSON. In folders, hidden files and images are skipped.
          </p>
          <div class="pickers">
            <div class="field">
              <label for={filesId}>Choose files</label>
              <input id={filesId} type="file" multiple onChange={(e) => chosen(e.currentTarget)} />
            </div>
            <div class="field">
              <label for={folderId}>Choose a folder</label>
              <input id={folderId} type="file" multiple ref={folderInput} onChange={(e) => chosen(e.currentTarget)} />
            </div>
          </div>
        </div>
        <div class="picked" aria-live="polite">
          {reading ? (
            <p>Reading the dropped folders…</p>
          ) : picked.length > 0 ? (
            <>
              <p>
                {countFiles(picked.length)} to import:{' '}
                <button type="button" class="link" onClick={() => setPicked([])}>
                  clear the list
                </button>
              </p>
              <ul class="file-list">
                {picked.slice(0, 20).map((p) => (
                  <li key={p.name} class="mono">
                    {p.name}
                  </li>
                ))}
                {picked.length > 20 && <li>and {countFiles(picked.length - 20)} more</li>}
              </ul>
            </>
          ) : null}
        </div>
        <fieldset>
          <legend>For what a file does not say (optional)</legend>
          <Field
            label="Device name"
            hint="BitLocker .txt files and manage-bde output do not name their device: give it here."
            value={device}
            onInput={setDevice}
            autoComplete="off"
          />
          <Field label="Serial number" value={serial} onInput={setSerial} autoComplete="off" />
          <Field label="Operating system" value={os} onInput={setOs} autoComplete="off" />
          <Field label="Volume" hint="e.g. C:" value={volume} onInput={setVolume} autoComplete="off" />
          <div class="field">
            <label for={kindId}>Kind</label>
            <select id={kindId} value={kind} onChange={(e) => setKind(e.currentTarget.value as DeviceKind | '')}>
              <option value="">As each file says (BitLocker when it does not)</option>
              {(Object.keys(DEVICE_KIND_LABELS) as DeviceKind[]).map((k) => (
                <option key={k} value={k}>
                  {DEVICE_KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </div>
        </fieldset>
        <button type="submit" class="primary" disabled={call.busy || reading}>
          Import
        </button>
        <CallStatus call={call} done={summary && <ImportSummaryView summary={summary} />} />
        {call.error?.kind === 'refused' && <RefusedHint />}
      </form>
      <TypedKeyForm workspace={workspace} />
    </>
  );
}

/** The kinds of key one can type, in the order the select offers them. */
const TYPED_KINDS: { kind: DeviceKind; label: string }[] = [
  { kind: 'bitlocker', label: `${DEVICE_KIND_LABELS.bitlocker} recovery password` },
  { kind: 'filevault', label: `${DEVICE_KIND_LABELS.filevault} personal recovery key` },
  { kind: 'luks', label: `${DEVICE_KIND_LABELS.luks} passphrase or recovery key` },
  { kind: 'microsoft-account', label: 'Microsoft account recovery code (25 characters)' },
  { kind: 'generic', label: DEVICE_KIND_LABELS.generic },
];

const KEY_ID_HINTS: Record<DeviceKind, string> = {
  bitlocker: 'The GUID the recovery screen and the .txt file show',
  filevault: "What tells this key apart from the Mac's other keys, e.g. its serial number",
  luks: "What tells this key apart from the volume's other keys, e.g. the key slot or the volume's UUID",
  generic: "What tells this key apart from the device's other keys",
  'microsoft-account': '',
};

const TYPED_KEY_HINTS: Record<DeviceKind, string> = {
  bitlocker: 'The 48 digits: 8 groups of 6; spaces or dashes between groups are fine.',
  filevault: 'The 24 characters: 6 groups of 4; dashes between groups are fine.',
  luks: 'The recovery key or passphrase, exactly as it was set.',
  generic: 'The key as it was given.',
  'microsoft-account': 'The 25 letters and digits: 5 groups of 5, e.g. ABCDE-…; dashes between groups are fine.',
};

/** What the vault answered for one typed key, said with the device (or account) it is filed under. */
function typedOutcome(summary: ImportSummary, device: string): string {
  if (summary.alreadyPresent > 0) return 'Already escrowed: nothing stored.';
  if (summary.replacing > 0) return `Added; it replaces an older key of ${device}, kept as history.`;
  if (summary.imported > 0) return `Added the key of ${device}.`;
  return 'Nothing stored.';
}

/**
 * One key typed by hand (as `keyhaven device add`): a BitLocker, FileVault or LUKS key read
 * off a screen or a sheet of paper, or a Microsoft account's 25-character recovery code, which
 * is filed under its account (an email address), not a device. The key itself is only ever
 * the input's value: read when sent, cleared once stored.
 */
function TypedKeyForm({ workspace }: { workspace: Workspace }) {
  const call = useCall();
  const [kind, setKind] = useState<DeviceKind>('bitlocker');
  const [device, setDevice] = useState('');
  const [keyId, setKeyId] = useState('');
  const [volume, setVolume] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const headingId = useId();
  const kindId = useId();
  const keyInputId = useId();
  const keyInput = useRef<HTMLInputElement>(null);

  const account = kind === 'microsoft-account';
  const mistyped = call.error?.kind === 'input' && call.error.group !== undefined;

  const changeKind = (next: DeviceKind) => {
    setKind(next);
    setDone(null);
    call.clearError();
  };

  const add = async (event: Event) => {
    event.preventDefault();
    setDone(null);
    const input = keyInput.current;
    if (!input) return;
    const name = device.trim();
    if (name === '') {
      call.fail(account ? 'Type the Microsoft account (its email address) the code is for.' : "Type the device's name.");
      return;
    }
    if (!account && keyId.trim() === '') {
      call.fail(
        kind === 'bitlocker'
          ? 'Type the key ID: the GUID the recovery screen and the .txt file show.'
          : 'Type the key ID: what tells this key apart from the other keys of the device.',
      );
      return;
    }
    if (input.value.trim() === '') {
      call.fail(account ? 'Type the recovery code first.' : 'Type the key first.');
      input.focus();
      return;
    }
    const details: TypedDeviceKey = { kind, device: name };
    if (!account) {
      details.keyId = keyId.trim();
      if (volume.trim()) details.volume = volume.trim();
    }
    const result = await call.run(() => vault.addDeviceKey(workspace.id, details, input.value));
    if (result.ok) {
      // The key is escrowed: it goes from the page (what it is filed under stays, for the next,
      // and the focus, lost while the button was disabled, goes back to the emptied input).
      input.value = '';
      setDone(typedOutcome(result.value, name));
      input.focus();
    } else if (result.error.kind === 'input' && result.error.group !== undefined) {
      input.focus();
    }
  };

  return (
    <section class="typed-key" aria-labelledby={headingId}>
      <h2 id={headingId}>Type a key</h2>
      <p>
        One key read off a screen or a sheet of paper: a BitLocker recovery password, a FileVault
        or LUKS recovery key, or a Microsoft account's 25-character recovery code (filed under the
        account, not a device). It is sealed in this browser like an imported file.
      </p>
      <form onSubmit={add} noValidate>
        <div class="field">
          <label for={kindId}>Kind of key</label>
          <select id={kindId} value={kind} onChange={(e) => changeKind(e.currentTarget.value as DeviceKind)}>
            {TYPED_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
        <Field
          label={account ? 'Microsoft account (email address)' : 'Device of the key'}
          hint={account ? 'Whose account is this code for' : undefined}
          type={account ? 'email' : 'text'}
          inputMode={account ? 'email' : undefined}
          value={device}
          onInput={setDevice}
          autoComplete="off"
        />
        {!account && (
          <Field label="Key ID of the key" hint={KEY_ID_HINTS[kind]} value={keyId} onInput={setKeyId} autoComplete="off" />
        )}
        {!account && (
          <Field label="Volume of the key" hint="Optional, e.g. C:" value={volume} onInput={setVolume} autoComplete="off" />
        )}
        <div class="field">
          <label for={keyInputId}>{account ? 'The recovery code' : 'The key'}</label>
          <p class="hint" id={`${keyInputId}-hint`}>
            {TYPED_KEY_HINTS[kind]}
          </p>
          <input
            id={keyInputId}
            ref={keyInput}
            class="key-input"
            type="text"
            inputMode={kind === 'bitlocker' ? 'numeric' : 'text'}
            autoComplete="off"
            autoCapitalize="off"
            spellcheck={false}
            aria-invalid={mistyped ? 'true' : undefined}
            aria-describedby={`${keyInputId}-hint`}
          />
        </div>
        <button type="submit" class="primary" disabled={call.busy}>
          Add the key
        </button>
        <CallStatus call={call} done={done && <p class="notice">{done}</p>} />
        {call.error?.kind === 'refused' && <RefusedHint />}
      </form>
    </section>
  );
}
