import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { DeviceKind, ImportDefaults, ImportSummary, Workspace } from '../api';
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
    </>
  );
}
