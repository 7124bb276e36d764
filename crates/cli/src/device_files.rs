//! Reading the files `keyhaven device import PATH...` is given: BitLocker recovery key `.txt`
//! files, `manage-bde -protectors -get` output, CSV exports (Microsoft Entra / Intune and
//! hand-made sheets) and JSON.
//!
//! [`collect`] does the I/O (folders are walked recursively, in sorted order); the parsing
//! below it works on bytes and text only. Each file's format is told by its content, the
//! extension only breaking ties, because exports get renamed and re-saved.
//!
//! Every key found becomes a [`Candidate`] only after full validation (kind, key, identifier,
//! device name, field lengths); everything else becomes an [`Invalid`] whose reason says what
//! is wrong without ever quoting a field's value, since a shifted CSV column can put key
//! digits into any field. One bad row or protector invalidates only itself; a file that
//! cannot be read at all is one [`Invalid`].

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use keyhaven_core::device::{
    BitLockerRecoveryFile, ManageBdeError, ManageBdeOutput, RecoveryFileError,
};
use keyhaven_core::escrow::{DeviceKind, DeviceMeta, KeyId, MAX_FIELD_CHARS, VolumeType};
use zeroize::{Zeroize, Zeroizing};

/// A key ready to escrow.
pub struct Candidate {
    /// The file path, plus `:line N` (CSV) or `#N` (JSON, several `manage-bde` protectors).
    pub origin: String,
    /// Validated metadata; `added_at` is 0 (the caller sets it).
    pub meta: DeviceMeta,
    /// The key, normalized by [`DeviceKind::normalize_secret`].
    pub secret: Zeroizing<String>,
}

impl fmt::Debug for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Candidate")
            .field("origin", &self.origin)
            .field("meta", &self.meta)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A file, row or protector that was not imported, and why (never quoting key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Where it came from, as for [`Candidate::origin`].
    pub origin: String,
    /// What is wrong.
    pub reason: String,
}

/// Values from the command line for what a file or row does not say. A row's own value
/// always wins.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// `--device`: required for BitLocker `.txt` and `manage-bde` files, which name no device.
    pub device: Option<String>,
    /// `--serial`.
    pub serial: Option<String>,
    /// `--os`.
    pub os: Option<String>,
    /// `--volume` (`manage-bde` output names its own volume).
    pub volume: Option<String>,
    /// `--kind`: the kind of CSV/JSON rows without a kind column (else BitLocker). BitLocker
    /// files are always BitLocker; another `--kind` makes them invalid rather than guessed.
    pub kind: Option<DeviceKind>,
}

/// Reads every path: files directly, folders recursively (sorted by name; hidden entries,
/// images and already-visited folders skipped).
///
/// Errors only when a path given here does not exist or cannot be read; anything wrong
/// inside a folder is reported as [`Invalid`].
pub fn collect(
    paths: &[PathBuf],
    defaults: &Defaults,
) -> Result<(Vec<Candidate>, Vec<Invalid>), io::Error> {
    let mut found = Found::default();
    // Canonical folders already walked: stops symlink loops and double visits.
    let mut visited = HashSet::new();
    for path in paths {
        let metadata = fs::metadata(path).map_err(|e| with_path(path, e))?;
        if metadata.is_dir() {
            let entries = sorted_entries(path).map_err(|e| with_path(path, e))?;
            if let Ok(canonical) = fs::canonicalize(path)
                && !visited.insert(canonical)
            {
                continue;
            }
            walk(entries, defaults, &mut visited, &mut found);
        } else {
            let bytes = read_limited(path, &metadata).map_err(|e| with_path(path, e))?;
            read_bytes(&origin_of(path), path, &bytes, false, defaults, &mut found);
        }
    }
    Ok((found.candidates, found.invalid))
}

/// The origin prefix for a file.
fn origin_of(path: &Path) -> String {
    path.display().to_string()
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// What has been found so far.
#[derive(Default)]
struct Found {
    candidates: Vec<Candidate>,
    invalid: Vec<Invalid>,
}

impl Found {
    fn bad(&mut self, origin: impl Into<String>, reason: impl Into<String>) {
        self.invalid.push(Invalid {
            origin: origin.into(),
            reason: reason.into(),
        });
    }

    fn push(&mut self, origin: String, built: Result<(DeviceMeta, Zeroizing<String>), String>) {
        match built {
            Ok((meta, secret)) => self.candidates.push(Candidate {
                origin,
                meta,
                secret,
            }),
            Err(reason) => self.bad(origin, reason),
        }
    }
}

// --- Walking folders ---------------------------------------------------------------------

/// Files larger than this are not key files (a CSV of 10,000 keys is about 1.5 MB).
const MAX_FILE_BYTES: u64 = 16 << 20;

fn sorted_entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

fn walk(
    entries: Vec<PathBuf>,
    defaults: &Defaults,
    visited: &mut HashSet<PathBuf>,
    found: &mut Found,
) {
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        let origin = origin_of(&path);
        // Follows symbolic links; a dangling one is reported.
        let metadata = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                found.bad(origin, format!("cannot read: {e}"));
                continue;
            }
        };
        if metadata.is_dir() {
            match fs::canonicalize(&path) {
                Ok(canonical) => {
                    if !visited.insert(canonical) {
                        continue;
                    }
                }
                Err(e) => {
                    found.bad(origin, format!("cannot read the folder: {e}"));
                    continue;
                }
            }
            match sorted_entries(&path) {
                Ok(children) => walk(children, defaults, visited, found),
                Err(e) => found.bad(origin, format!("cannot read the folder: {e}")),
            }
        } else if metadata.is_file() {
            match read_limited(&path, &metadata) {
                Ok(bytes) => read_bytes(&origin, &path, &bytes, true, defaults, found),
                Err(e) => found.bad(origin, format!("cannot read: {e}")),
            }
        }
        // Sockets, pipes and devices are not files anyone exports keys to: skipped.
    }
}

fn read_limited(path: &Path, metadata: &fs::Metadata) -> io::Result<Zeroizing<Vec<u8>>> {
    if metadata.len() > MAX_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB, so not a key file",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    fs::read(path).map(Zeroizing::new)
}

// --- Telling formats apart ---------------------------------------------------------------

const SOURCE_TXT: &str = "bitlocker-txt";
const SOURCE_MANAGE_BDE: &str = "manage-bde";
const SOURCE_CSV: &str = "csv";
const SOURCE_JSON: &str = "json";

const NO_DEVICE_IN_FILE: &str = "the file does not say which device it is; pass --device NAME";
const NO_DEVICE_IN_ROW: &str =
    "no device name in this row; add a device column or pass --device NAME";
const UNRECOGNIZED: &str = "not a recognized key file: expected a BitLocker recovery key .txt \
                            file, manage-bde output, a CSV file with a header row, or JSON";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    ManageBde,
    Csv {
        delimiter: u8,
        skip_first_line: bool,
    },
    BitLockerTxt,
}

/// Reads one file's bytes. `in_folder`: found by walking a folder, where images and other
/// obvious non-key files are skipped silently instead of reported.
fn read_bytes(
    origin: &str,
    path: &Path,
    bytes: &[u8],
    in_folder: bool,
    defaults: &Defaults,
    found: &mut Found,
) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if in_folder && clearly_not_a_key_file(&name, &extension, bytes) {
        return;
    }
    if let Some(what) = binary_kind(bytes) {
        found.bad(
            origin,
            format!("{what}, not a key file (import reads .txt, manage-bde output, CSV and JSON)"),
        );
        return;
    }
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(e) => {
            found.bad(origin, format!("not readable text: {e}"));
            return;
        }
    };
    read_text(origin, &text, &extension, defaults, found);
}

/// Parses decoded text (pure; the tests drive this directly).
fn read_text(origin: &str, text: &str, extension: &str, defaults: &Defaults, found: &mut Found) {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    match detect(text, extension) {
        Format::Json => read_json(origin, text, defaults, found),
        Format::ManageBde => read_manage_bde(origin, text, defaults, found),
        Format::Csv {
            delimiter,
            skip_first_line,
        } => {
            let body = if skip_first_line {
                text.split_once('\n').map_or("", |(_, rest)| rest)
            } else {
                text
            };
            let first_line = 1 + usize::from(skip_first_line);
            read_csv(origin, body, first_line, delimiter, defaults, found);
        }
        Format::BitLockerTxt => read_bitlocker_txt(origin, text, defaults, found),
    }
}

fn detect(text: &str, extension: &str) -> Format {
    if text.trim_start().starts_with(['[', '{']) {
        return Format::Json;
    }
    if trimmed_lines(text).any(|line| line.eq_ignore_ascii_case("numerical password:")) {
        return Format::ManageBde;
    }
    // Excel writes a `sep=;` line before the header when asked to name its delimiter.
    let first = trimmed_lines(text).find(|l| !l.is_empty()).unwrap_or("");
    if first
        .get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("sep="))
        && let [delimiter] = first.as_bytes()[4..]
        && text.starts_with(first)
    {
        return Format::Csv {
            delimiter,
            skip_first_line: true,
        };
    }
    if let Some(delimiter) = csv_delimiter(first) {
        return Format::Csv {
            delimiter,
            skip_first_line: false,
        };
    }
    // Nothing in the content says what it is: the extension picks whose error to report.
    match extension {
        "json" => Format::Json,
        "csv" | "tsv" => Format::Csv {
            delimiter: if extension == "tsv" { b'\t' } else { b',' },
            skip_first_line: false,
        },
        _ => Format::BitLockerTxt,
    }
}

/// The delimiter under which `header` is a header row naming at least one known column.
fn csv_delimiter(header: &str) -> Option<u8> {
    [b',', b';', b'\t']
        .into_iter()
        .map(|d| {
            let known = match csv_record(header, d).0 {
                Ok(fields) if fields.len() >= 2 => {
                    fields.iter().filter(|f| column(f).is_some()).count()
                }
                _ => 0,
            };
            (known, d)
        })
        .filter(|(known, _)| *known > 0)
        // Most known columns wins; on a tie the earlier delimiter (comma).
        .fold(None, |best: Option<(usize, u8)>, (known, d)| match best {
            Some((k, _)) if k >= known => best,
            _ => Some((known, d)),
        })
        .map(|(_, d)| d)
}

/// Images, audio, video and Windows folder files, which sit next to exported keys (screenshots,
/// `desktop.ini`) and are skipped silently inside folders.
fn clearly_not_a_key_file(name: &str, extension: &str, bytes: &[u8]) -> bool {
    const MEDIA: [&str; 19] = [
        "png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "ico", "heic", "heif", "svg",
        "mp4", "mov", "avi", "mkv", "mp3", "wav", "m4a",
    ];
    MEDIA.contains(&extension)
        || matches!(name, "desktop.ini" | "thumbs.db")
        || binary_kind(bytes) == Some(IMAGE)
}

const IMAGE: &str = "an image or video";

/// What a binary file is, by its first bytes.
fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG")
        || starts(b"\xFF\xD8\xFF")
        || starts(b"GIF8")
        || starts(b"II*\0")
        || starts(b"MM\0*")
        || (starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP"))
        || bytes.get(4..8) == Some(b"ftyp")
    {
        Some(IMAGE)
    } else if starts(b"%PDF") {
        Some("a PDF document")
    } else if starts(b"PK\x03\x04") {
        Some("a ZIP archive or Office document (save the sheet as CSV)")
    } else if starts(b"\xD0\xCF\x11\xE0") {
        Some("an Office document (save the sheet as CSV)")
    } else if starts(b"\x7FELF") || starts(b"MZ") {
        Some("a program")
    } else {
        None
    }
}

/// Decodes text the way Windows tools write it, like core's `device::text::decode` (which
/// is private to core): UTF-16LE/BE by byte-order mark or by a NUL in the first two bytes,
/// else UTF-8 with or without BOM. The result is zeroized; its capacity is reserved up front
/// so no reallocation leaves a stray copy of a key behind.
fn decode(bytes: &[u8]) -> Result<Zeroizing<String>, &'static str> {
    fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Zeroizing<String>, &'static str> {
        if !bytes.len().is_multiple_of(2) {
            return Err("UTF-16 with an odd number of bytes");
        }
        let mut out = Zeroizing::new(String::with_capacity(bytes.len() / 2 * 3));
        let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
        for c in char::decode_utf16(units) {
            out.push(c.map_err(|_| "UTF-16 with an invalid character")?);
        }
        Ok(out)
    }
    fn utf8(bytes: &[u8]) -> Result<Zeroizing<String>, &'static str> {
        let text = std::str::from_utf8(bytes).map_err(|_| "neither UTF-16 nor UTF-8")?;
        let mut out = Zeroizing::new(String::with_capacity(text.len()));
        out.push_str(text);
        Ok(out)
    }
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest),
        [first, 0, ..] if *first != 0 => utf16(bytes, u16::from_le_bytes),
        [0, second, ..] if *second != 0 => utf16(bytes, u16::from_be_bytes),
        _ => utf8(bytes),
    }
}

fn trimmed_lines(text: &str) -> impl Iterator<Item = &str> {
    text.trim_start_matches('\u{FEFF}')
        .split(['\n', '\r'])
        .map(str::trim)
}

// --- BitLocker files ---------------------------------------------------------------------

/// The kind of a file that only holds BitLocker keys, refusing a contradicting `--kind`.
fn bitlocker_kind(defaults: &Defaults) -> Result<DeviceKind, String> {
    match defaults.kind {
        None | Some(DeviceKind::BitLocker) => Ok(DeviceKind::BitLocker),
        Some(other) => Err(format!(
            "this file holds BitLocker keys but --kind {} was given",
            other.as_str()
        )),
    }
}

fn read_bitlocker_txt(origin: &str, text: &str, defaults: &Defaults, found: &mut Found) {
    let file = match BitLockerRecoveryFile::read_str(text) {
        Ok(file) => file,
        Err(RecoveryFileError::InvalidRecoveryKey(e)) => {
            return found.bad(origin, format!("recovery key: {e}"));
        }
        Err(RecoveryFileError::NoIdentifier | RecoveryFileError::NoRecoveryKey)
            if !mentions_bitlocker(text) =>
        {
            return found.bad(origin, UNRECOGNIZED);
        }
        Err(e) => return found.bad(origin, e.to_string()),
    };
    let kind = match bitlocker_kind(defaults) {
        Ok(kind) => kind,
        Err(reason) => return found.bad(origin, reason),
    };
    let key_id = file.identifier.to_string();
    let key = file.password.expose_normalized();
    let row = Row {
        key_id: Some(key_id.as_str()),
        key: Some(key.as_str()),
        ..Row::default()
    };
    found.push(
        origin.to_owned(),
        build(&row, kind, SOURCE_TXT, defaults, NO_DEVICE_IN_FILE),
    );
}

/// Whether text that did not parse was meant to be a BitLocker key file (so its own error is
/// the useful one) rather than some other text file.
fn mentions_bitlocker(text: &str) -> bool {
    trimmed_lines(text).any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.contains("bitlocker")
            || lower.starts_with("identifier:")
            || lower.starts_with("recovery key:")
    })
}

fn read_manage_bde(origin: &str, text: &str, defaults: &Defaults, found: &mut Found) {
    let output = match ManageBdeOutput::parse_str(text) {
        Ok(output) => output,
        Err(ManageBdeError::InvalidPassword { id, error }) => {
            // The core parser refuses the whole output; the identifier says which protector.
            return found.bad(
                origin,
                format!("numerical password {id}: recovery key: {error}"),
            );
        }
        Err(e) => return found.bad(origin, e.to_string()),
    };
    let kind = match bitlocker_kind(defaults) {
        Ok(kind) => kind,
        Err(reason) => return found.bad(origin, reason),
    };
    if defaults.device.is_none() {
        return found.bad(origin, NO_DEVICE_IN_FILE);
    }
    let protectors: Vec<_> = output.numerical_passwords().collect();
    let several = protectors.len() > 1;
    for (i, (volume, protector)) in protectors.into_iter().enumerate() {
        let key_id = protector.id.to_string();
        let key = protector.password.expose_normalized();
        let row = Row {
            volume,
            key_id: Some(key_id.as_str()),
            key: Some(key.as_str()),
            ..Row::default()
        };
        let origin = if several {
            format!("{origin}#{}", i + 1)
        } else {
            origin.to_owned()
        };
        found.push(
            origin,
            build(&row, kind, SOURCE_MANAGE_BDE, defaults, NO_DEVICE_IN_FILE),
        );
    }
}

// --- Rows (CSV and JSON) -----------------------------------------------------------------

/// The fields of one row; `None` for a missing or empty value.
#[derive(Default)]
struct Row<'a> {
    device: Option<&'a str>,
    serial: Option<&'a str>,
    os: Option<&'a str>,
    volume: Option<&'a str>,
    volume_type: Option<&'a str>,
    kind: Option<&'a str>,
    key_id: Option<&'a str>,
    key: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Device,
    Serial,
    Os,
    Volume,
    VolumeType,
    Kind,
    KeyId,
    Key,
}

impl Column {
    /// The name used in reasons.
    fn label(self) -> &'static str {
        match self {
            Column::Device => "device name",
            Column::Serial => "serial number",
            Column::Os => "operating system",
            Column::Volume => "volume",
            Column::VolumeType => "volume type",
            Column::Kind => "kind",
            Column::KeyId => "key identifier",
            Column::Key => "recovery key",
        }
    }
}

impl<'a> Row<'a> {
    /// Sets `column` unless an earlier column already gave it a non-empty value.
    fn set(&mut self, column: Column, value: &'a str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let slot = match column {
            Column::Device => &mut self.device,
            Column::Serial => &mut self.serial,
            Column::Os => &mut self.os,
            Column::Volume => &mut self.volume,
            Column::VolumeType => &mut self.volume_type,
            Column::Kind => &mut self.kind,
            Column::KeyId => &mut self.key_id,
            Column::Key => &mut self.key,
        };
        slot.get_or_insert(value);
    }
}

/// A row from (column name, value) pairs. The first non-empty value of each column wins,
/// except that the generic names `id` and `type` count only when no specific one (`Key ID`,
/// `Kind`, ...) has a value: exports carry other ids too.
fn fill_row<'a>(pairs: &[(&str, &'a str)]) -> Row<'a> {
    let mut row = Row::default();
    for generic in [false, true] {
        for (name, value) in pairs {
            if let Some(column) = column(name)
                && matches!(compact_name(name).as_str(), "id" | "type") == generic
            {
                row.set(column, value);
            }
        }
    }
    row
}

/// A column name without case, spaces, underscores or hyphens.
fn compact_name(name: &str) -> String {
    name.chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-' | '\u{FEFF}')))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The column a CSV header or JSON field name stands for: case, spaces, underscores and
/// hyphens are ignored (`Device name`, `device_name`, `DeviceName`).
fn column(name: &str) -> Option<Column> {
    Some(match compact_name(name).as_str() {
        "device" | "devicename" | "computer" | "computername" | "hostname" => Column::Device,
        "serial" | "serialnumber" => Column::Serial,
        "os" | "operatingsystem" => Column::Os,
        "volume" | "drive" | "driveletter" | "mountpoint" => Column::Volume,
        "volumetype" | "drivetype" => Column::VolumeType,
        "kind" | "type" => Column::Kind,
        "keyid" | "recoverykeyid" | "protectorid" | "identifier" | "id" => Column::KeyId,
        "key" | "recoverykey" | "recoverypassword" | "password" | "bitlockerrecoverykey" => {
            Column::Key
        }
        _ => return None,
    })
}

/// Parses a volume type as Entra, Intune and Microsoft Graph write it too (`Operating system
/// drive`, `fixedDataVolume`, `1`..`3`).
fn parse_volume_type(text: &str) -> Option<VolumeType> {
    let compact: String = text
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-')))
        .flat_map(char::to_lowercase)
        .collect();
    let stem = compact
        .strip_suffix("drive")
        .or_else(|| compact.strip_suffix("volume"))
        .unwrap_or(&compact);
    match stem {
        "1" | "os" | "operatingsystem" => Some(VolumeType::Os),
        "2" | "fixed" | "data" | "fixeddata" => Some(VolumeType::Fixed),
        "3" | "removable" | "removabledata" => Some(VolumeType::Removable),
        _ => VolumeType::parse(text),
    }
}

/// Validates a row into metadata and a normalized key.
fn build(
    row: &Row<'_>,
    kind: DeviceKind,
    source: &str,
    defaults: &Defaults,
    no_device: &str,
) -> Result<(DeviceMeta, Zeroizing<String>), String> {
    fn or_default<'a>(value: Option<&'a str>, default: &'a Option<String>) -> &'a str {
        value
            .or(default.as_deref().map(str::trim))
            .unwrap_or_default()
    }
    let device = or_default(row.device, &defaults.device);
    if device.is_empty() {
        return Err(no_device.to_owned());
    }
    check_field(Column::Device, device)?;
    let key_id = KeyId::parse(row.key_id.unwrap_or_default(), kind)
        .map_err(|e| format!("key identifier: {e}"))?;
    let secret = match row.key {
        Some(key) => kind
            .normalize_secret(key)
            .map_err(|e| format!("recovery key: {e}"))?,
        None => return Err("the recovery key is missing".into()),
    };
    let serial = or_default(row.serial, &defaults.serial);
    let os = or_default(row.os, &defaults.os);
    let volume = or_default(row.volume, &defaults.volume);
    check_field(Column::Serial, serial)?;
    check_field(Column::Os, os)?;
    check_field(Column::Volume, volume)?;
    let volume_type = row
        .volume_type
        .map(|text| {
            parse_volume_type(text)
                .ok_or("the volume type is not one of os, fixed, removable".to_owned())
        })
        .transpose()?;
    let meta = DeviceMeta {
        device: device.to_owned(),
        serial: serial.to_owned(),
        os: os.to_owned(),
        volume: volume.to_owned(),
        volume_type,
        kind,
        key_id,
        source: source.to_owned(),
        added_at: 0,
    };
    Ok((meta, secret))
}

/// Length and control-character check (a device name with escape sequences would rewrite
/// the terminal of whoever lists the keys).
fn check_field(column: Column, value: &str) -> Result<(), String> {
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(format!(
            "the {} is longer than {MAX_FIELD_CHARS} characters",
            column.label()
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "the {} contains control characters",
            column.label()
        ));
    }
    Ok(())
}

/// The kind of a row: its kind column, else `--kind`, else BitLocker.
fn row_kind(row: &Row<'_>, defaults: &Defaults) -> Result<DeviceKind, String> {
    match row.kind {
        Some(text) => DeviceKind::parse(text)
            .ok_or_else(|| "the kind is not one of bitlocker, filevault, luks, generic".into()),
        None => Ok(defaults.kind.unwrap_or(DeviceKind::BitLocker)),
    }
}

fn build_row(
    row: &Row<'_>,
    source: &str,
    defaults: &Defaults,
) -> Result<(DeviceMeta, Zeroizing<String>), String> {
    let kind = row_kind(row, defaults)?;
    build(row, kind, source, defaults, NO_DEVICE_IN_ROW)
}

// --- CSV ---------------------------------------------------------------------------------

fn read_csv(
    origin: &str,
    text: &str,
    first_line: usize,
    delimiter: u8,
    defaults: &Defaults,
    found: &mut Found,
) {
    let mut records = csv_records(text, delimiter, first_line)
        .into_iter()
        .filter(|r| !r.is_blank());
    let Some(header) = records.next() else {
        return found.bad(origin, "the CSV file is empty");
    };
    let header_fields = match &header.fields {
        Ok(fields) => fields,
        Err(e) => return found.bad(origin, format!("CSV header (line {}): {e}", header.line)),
    };
    let columns: Vec<Option<Column>> = header_fields.iter().map(|f| column(f)).collect();
    if !columns.contains(&Some(Column::Key)) {
        return found.bad(
            origin,
            "the CSV header has no recovery key column (expected Key, Recovery key, Recovery \
             password, Password or BitLocker recovery key)",
        );
    }
    let mut rows = 0;
    for record in records {
        rows += 1;
        let row_origin = format!("{origin}:line {}", record.line);
        let fields = match &record.fields {
            Ok(fields) => fields,
            Err(e) => {
                found.bad(row_origin, e.clone());
                continue;
            }
        };
        if fields.len() != columns.len() {
            // A shifted row would put values under the wrong names: refuse it.
            found.bad(
                row_origin,
                format!(
                    "the row has {} fields but the header has {} (a comma inside an unquoted \
                     value?)",
                    fields.len(),
                    columns.len()
                ),
            );
            continue;
        }
        let pairs: Vec<(&str, &str)> = header_fields
            .iter()
            .zip(fields.iter())
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        found.push(
            row_origin,
            build_row(&fill_row(&pairs), SOURCE_CSV, defaults),
        );
    }
    if rows == 0 {
        found.bad(origin, "the CSV file has a header but no rows");
    }
}

/// One CSV record: the line it starts on, and its fields or why it is malformed.
struct CsvRecord {
    line: usize,
    fields: Result<Zeroizing<Vec<String>>, String>,
}

impl CsvRecord {
    /// Empty lines and rows of empty fields (spreadsheets export trailing `,,,` lines).
    fn is_blank(&self) -> bool {
        self.fields
            .as_ref()
            .is_ok_and(|f| f.iter().all(|v| v.trim().is_empty()))
    }
}

/// Splits `text` into RFC 4180 records: fields separated by `delimiter`, records by CRLF, LF
/// or CR; a field in double quotes may hold delimiters, line breaks and doubled quotes (`""`).
/// Tolerated beyond the RFC, as spreadsheets and hand edits produce them: spaces around a
/// quoted field, and a quote inside an unquoted field (kept as is). A malformed record is
/// reported on its own; the next line starts the next record.
fn csv_records(text: &str, delimiter: u8, first_line: usize) -> Vec<CsvRecord> {
    let mut records = Vec::new();
    let mut rest = text;
    let mut line = first_line;
    while !rest.is_empty() {
        let (fields, consumed) = csv_record(rest, delimiter);
        records.push(CsvRecord { line, fields });
        line += line_breaks(&rest[..consumed]);
        rest = &rest[consumed..];
    }
    records
}

/// Reads the record at the start of `text`: its fields (or why it is malformed) and how many
/// bytes it used, line ending included. Delimiters, quotes and line ends are ASCII, so byte
/// positions found here are always character boundaries.
fn csv_record(text: &str, delimiter: u8) -> (Result<Zeroizing<Vec<String>>, String>, usize) {
    let bytes = text.as_bytes();
    let is_blank = |b: u8| (b == b' ' || b == b'\t') && b != delimiter;
    let mut fields = Zeroizing::new(Vec::new());
    let mut i = 0;
    let mut error = None;
    loop {
        let mut start = i;
        while bytes.get(start).is_some_and(|b| is_blank(*b)) {
            start += 1;
        }
        if bytes.get(start) == Some(&b'"') {
            let Some(close) = closing_quote(bytes, start + 1) else {
                return (
                    Err("a quoted field is not closed (a missing \")".into()),
                    bytes.len(),
                );
            };
            fields.push(unquote(&text[start + 1..close]));
            i = close + 1;
            while bytes.get(i).is_some_and(|b| is_blank(*b)) {
                i += 1;
            }
            match bytes.get(i) {
                Some(&b) if b == delimiter => i += 1,
                None | Some(b'\r' | b'\n') => break,
                Some(_) => {
                    error = Some(
                        "text after a closing quote (quote the whole value and double any \
                         quotes inside it)"
                            .to_owned(),
                    );
                    i += bytes[i..]
                        .iter()
                        .position(|b| matches!(b, b'\r' | b'\n'))
                        .unwrap_or(bytes.len() - i);
                    break;
                }
            }
        } else {
            let end = i + bytes[i..]
                .iter()
                .position(|b| *b == delimiter || matches!(b, b'\r' | b'\n'))
                .unwrap_or(bytes.len() - i);
            fields.push(text[i..end].to_owned());
            i = end;
            if bytes.get(i) == Some(&delimiter) {
                i += 1;
            } else {
                break;
            }
        }
    }
    // The line ending.
    match bytes.get(i) {
        Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => i += 2,
        Some(b'\r' | b'\n') => i += 1,
        _ => {}
    }
    match error {
        Some(e) => (Err(e), i),
        None => (Ok(fields), i),
    }
}

/// The position of the quote closing a field whose content starts at `from`.
fn closing_quote(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let quote = i + bytes.get(i..)?.iter().position(|b| *b == b'"')?;
        if bytes.get(quote + 1) == Some(&b'"') {
            i = quote + 2;
        } else {
            return Some(quote);
        }
    }
}

/// A quoted field's content with `""` turned into `"` (sized up front: no reallocation
/// copies of key digits).
fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for (i, part) in raw.split("\"\"").enumerate() {
        if i > 0 {
            out.push('"');
        }
        out.push_str(part);
    }
    out
}

/// Line breaks in `text`: CRLF, LF or a lone CR each count once.
fn line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, b)| *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

// --- JSON --------------------------------------------------------------------------------

fn read_json(origin: &str, text: &str, defaults: &Defaults, found: &mut Found) {
    // Parsed to a `Value`, whose errors name only positions, never the text (a typed
    // deserializer would quote the offending value).
    let mut value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return found.bad(origin, format!("not valid JSON: {e}")),
    };
    read_json_value(origin, &value, defaults, found);
    wipe(&mut value);
}

fn read_json_value(
    origin: &str,
    value: &serde_json::Value,
    defaults: &Defaults,
    found: &mut Found,
) {
    use serde_json::Value;
    let (items, single) = match value {
        Value::Array(items) => (items.as_slice(), false),
        // `{"keys": [...]}`, or Microsoft Graph's `{"value": [...]}`.
        Value::Object(object) => match object.get("keys").or_else(|| object.get("value")) {
            Some(Value::Array(items)) => (items.as_slice(), false),
            _ => (std::slice::from_ref(value), true),
        },
        _ => {
            return found.bad(
                origin,
                "the JSON must be an array of objects, {\"keys\": [...]}, or one object",
            );
        }
    };
    if items.is_empty() {
        return found.bad(origin, "the JSON holds no keys");
    }
    for (i, item) in items.iter().enumerate() {
        let item_origin = if single {
            origin.to_owned()
        } else {
            format!("{origin}#{}", i + 1)
        };
        let Value::Object(object) = item else {
            found.bad(item_origin, "not an object");
            continue;
        };
        found.push(item_origin, json_row(object, defaults));
    }
}

fn json_row(
    object: &serde_json::Map<String, serde_json::Value>,
    defaults: &Defaults,
) -> Result<(DeviceMeta, Zeroizing<String>), String> {
    use serde_json::Value;
    let mut texts = Vec::new();
    // Numbers (Graph's `volumeType: 1`) become text, kept here so the row can borrow them.
    let mut numbers = Vec::new();
    for (name, value) in object {
        let Some(column) = column(name) else {
            continue;
        };
        match value {
            Value::String(text) => texts.push((name.as_str(), text.as_str())),
            Value::Number(n) => numbers.push((name.as_str(), n.to_string())),
            Value::Null => {}
            _ => return Err(format!("the {} is not text", column.label())),
        }
    }
    texts.extend(numbers.iter().map(|(name, text)| (*name, text.as_str())));
    build_row(&fill_row(&texts), SOURCE_JSON, defaults)
}

/// Overwrites every string in `value` (JSON imports carry keys).
fn wipe(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(object) => object.values_mut().for_each(wipe),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Valid passwords from docs/vectors/bitlocker-recovery-passwords.json.
    const KEY_A: &str = "132858-327525-689172-680790-354607-080454-642268-377564";
    const KEY_B: &str = "471207-278498-422125-177177-561902-537405-468006-693451";
    const KEY_C: &str = "599907-126192-034078-378543-435050-262383-683309-100661";
    const ID_A: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";
    const ID_B: &str = "4B82A66E-A0C0-4EF4-AB39-0123456789AB";
    const ID_C: &str = "9E2A1F00-3C4D-4E5F-8A6B-7C8D9E0F1A2B";

    fn device(name: &str) -> Defaults {
        Defaults {
            device: Some(name.into()),
            ..Defaults::default()
        }
    }

    /// Parses `bytes` as if it were the file `name` given on the command line.
    fn read(name: &str, bytes: &[u8], defaults: &Defaults) -> Found {
        let mut found = Found::default();
        read_bytes(name, Path::new(name), bytes, false, defaults, &mut found);
        found
    }

    fn one(found: &Found) -> &Candidate {
        assert!(found.invalid.is_empty(), "{:?}", found.invalid);
        assert_eq!(found.candidates.len(), 1);
        &found.candidates[0]
    }

    fn windows_file(id: &str, key: &str) -> Zeroizing<Vec<u8>> {
        BitLockerRecoveryFile {
            identifier: id.parse().unwrap(),
            password: key.parse().unwrap(),
        }
        .to_windows_bytes()
    }

    /// No reason may quote any digits of a key.
    fn assert_no_key_material(found: &Found) {
        for invalid in &found.invalid {
            for key in [KEY_A, KEY_B, KEY_C] {
                for group in key.split('-') {
                    assert!(
                        !invalid.reason.contains(group),
                        "{} quotes key material",
                        invalid.reason
                    );
                }
            }
        }
    }

    #[test]
    fn windows_txt_file() {
        let bytes = windows_file(ID_A, KEY_A);
        assert_eq!(&bytes[..2], b"\xFF\xFE", "UTF-16LE with BOM");
        let found = read(
            "BitLocker Recovery Key.TXT",
            &bytes,
            &device("FIN-LAPTOP-07"),
        );
        let c = one(&found);
        assert_eq!(c.origin, "BitLocker Recovery Key.TXT");
        assert_eq!(c.meta.device, "FIN-LAPTOP-07");
        assert_eq!(c.meta.kind, DeviceKind::BitLocker);
        assert_eq!(c.meta.key_id.as_str(), ID_A);
        assert_eq!(c.meta.source, "bitlocker-txt");
        assert_eq!(c.meta.added_at, 0);
        assert_eq!(c.secret.as_str(), KEY_A);
        assert!(!format!("{c:?}").contains(KEY_A), "Debug redacts the key");
    }

    #[test]
    fn hand_written_utf8_txt_with_lower_case_braced_id() {
        let text = format!(
            "BitLocker Drive Encryption recovery key\n\nIdentifier:\n\n\t{{{}}}\n\n\
             Recovery Key:\n\n\t{KEY_B}\n",
            ID_B.to_lowercase()
        );
        let found = read("key.txt", text.as_bytes(), &device("PC1"));
        let c = one(&found);
        assert_eq!(c.meta.key_id.as_str(), ID_B);
        assert_eq!(c.secret.as_str(), KEY_B);
    }

    #[test]
    fn utf8_bom_file() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(
            format!(
                "Identifier: {ID_C}\r\nRecovery Key: {}\r\n",
                KEY_C.replace('-', " ")
            )
            .as_bytes(),
        );
        let found = read("bom.txt", &bytes, &device("PC2"));
        let c = one(&found);
        assert_eq!(c.meta.key_id.as_str(), ID_C);
        assert_eq!(c.secret.as_str(), KEY_C, "normalized");
    }

    #[test]
    fn txt_without_device_or_with_a_bad_key() {
        let bytes = windows_file(ID_A, KEY_A);
        let found = read("k.txt", &bytes, &Defaults::default());
        assert!(found.candidates.is_empty());
        assert_eq!(
            found.invalid,
            [Invalid {
                origin: "k.txt".into(),
                reason: "the file does not say which device it is; pass --device NAME".into()
            }]
        );
        let typo = KEY_A.replace("689172", "689173");
        let text = format!("Identifier:\n\t{ID_A}\nRecovery Key:\n\t{typo}\n");
        let found = read("k.txt", text.as_bytes(), &device("PC"));
        assert_eq!(
            found.invalid[0].reason,
            "recovery key: group 3 is not divisible by 11"
        );
        let luks = Defaults {
            kind: Some(DeviceKind::Luks),
            ..device("PC")
        };
        let found = read("k.txt", &bytes, &luks);
        assert!(found.invalid[0].reason.contains("--kind luks"));
        assert_no_key_material(&found);
    }

    const MANAGE_BDE: &str = "BitLocker Drive Encryption: Configuration Tool version 10.0.26100\r
Copyright (C) 2013 Microsoft Corporation. All rights reserved.\r
\r
Volume D: [Data]\r
All Key Protectors\r
\r
    TPM:\r
      ID: {EBDEC50E-0666-4674-9EF4-0123456789AB}\r
      PCR Validation Profile:\r
        7, 11\r
\r
    Numerical Password:\r
      ID: {4B82A66E-A0C0-4EF4-AB39-0123456789AB}\r
      Password:\r
        471207-278498-422125-177177-561902-537405-468006-693451\r
      Backup type:\r
        AD backup\r
\r
    Numerical Password:\r
      ID: {AC9D5655-F7CA-4D1D-902F-1B6087118138}\r
      Password:\r
        132858-327525-689172-680790-354607-080454-642268-377564\r
\r
";

    #[test]
    fn manage_bde_output_with_two_protectors() {
        // PowerShell 5 redirection writes UTF-16LE with a BOM.
        let mut bytes = vec![0xFF, 0xFE];
        for unit in MANAGE_BDE.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let found = read("bde.txt", &bytes, &device("SRV-01"));
        assert!(found.invalid.is_empty(), "{:?}", found.invalid);
        let got: Vec<_> = found
            .candidates
            .iter()
            .map(|c| {
                (
                    c.origin.as_str(),
                    c.meta.volume.as_str(),
                    c.meta.key_id.as_str(),
                    c.secret.as_str(),
                    c.meta.source.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("bde.txt#1", "D:", ID_B, KEY_B, "manage-bde"),
                ("bde.txt#2", "D:", ID_A, KEY_A, "manage-bde"),
            ]
        );
        let found = read("bde.txt", MANAGE_BDE.as_bytes(), &Defaults::default());
        assert_eq!(found.invalid.len(), 1, "one reason for the whole file");
        assert_eq!(found.invalid[0].reason, NO_DEVICE_IN_FILE);
        let bad = MANAGE_BDE.replace("422125", "422126");
        let found = read("bde.txt", bad.as_bytes(), &device("SRV-01"));
        assert_eq!(
            found.invalid[0].reason,
            format!("numerical password {ID_B}: recovery key: group 3 is not divisible by 11")
        );
        assert_no_key_material(&found);
    }

    #[test]
    fn entra_csv_with_quotes_and_a_bad_row() {
        let typo = KEY_C.replace("034078", "034079");
        let csv = format!(
            "\u{FEFF}\"Device name\",\"Key ID\",\"Drive type\",\"Recovery key\",\"Backed up\"\r\n\
             \"FIN-LAPTOP-07\",\"{ID_A}\",\"Operating system drive\",\"{KEY_A}\",\"2024-01-02\"\r\n\
             \"Lab \"\"7\"\", bench, 2\",\"{{{}}}\",\"Fixed data drive\",\"{KEY_B}\",\"\"\r\n\
             \r\n\
             \"HR-03\",\"{ID_C}\",\"Operating system drive\",\"{typo}\",\"\"\r\n\
             HR-04,{ID_C},,{KEY_C},extra,field\r\n\
             ,,,,\r\n\
             \"\",\"{ID_C}\",\"\",\"{KEY_C}\",\"\"\r\n",
            ID_B.to_lowercase()
        );
        let found = read("entra.csv", csv.as_bytes(), &Defaults::default());
        let ok: Vec<_> = found
            .candidates
            .iter()
            .map(|c| {
                (
                    c.origin.as_str(),
                    c.meta.device.as_str(),
                    c.meta.key_id.as_str(),
                    c.meta.volume_type,
                    c.secret.as_str(),
                )
            })
            .collect();
        assert_eq!(
            ok,
            [
                (
                    "entra.csv:line 2",
                    "FIN-LAPTOP-07",
                    ID_A,
                    Some(VolumeType::Os),
                    KEY_A
                ),
                (
                    "entra.csv:line 3",
                    "Lab \"7\", bench, 2",
                    ID_B,
                    Some(VolumeType::Fixed),
                    KEY_B
                ),
            ]
        );
        assert!(found.candidates.iter().all(|c| c.meta.source == "csv"));
        let bad: Vec<_> = found
            .invalid
            .iter()
            .map(|i| (i.origin.as_str(), i.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                (
                    "entra.csv:line 5",
                    "recovery key: group 3 is not divisible by 11"
                ),
                (
                    "entra.csv:line 6",
                    "the row has 6 fields but the header has 5 (a comma inside an unquoted \
                     value?)"
                ),
                ("entra.csv:line 8", NO_DEVICE_IN_ROW),
            ]
        );
        assert_no_key_material(&found);
        // With --device the row without a device name is accepted.
        let found = read("entra.csv", csv.as_bytes(), &device("FALLBACK"));
        assert_eq!(found.candidates.len(), 3);
        assert_eq!(found.candidates[2].meta.device, "FALLBACK");
    }

    #[test]
    fn csv_columns_kinds_and_delimiters() {
        let filevault = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX";
        let csv = format!(
            "sep=;\nComputer_Name;Serial-Number;Operating System;Mount point;TYPE;identifier;Password\n\
             mac-1;C02X;macOS 14;/;filevault;mac serial C02X;{filevault}\n\
             pc-2;;;C:;bitlocker;{ID_A};{KEY_A}\n\
             pc-3;;;C:;floppy;{ID_A};{KEY_A}\n"
        );
        let found = read("sheet.txt", csv.as_bytes(), &Defaults::default());
        assert_eq!(found.candidates.len(), 2, "{:?}", found.invalid);
        let mac = &found.candidates[0];
        assert_eq!(mac.origin, "sheet.txt:line 3");
        assert_eq!(mac.meta.kind, DeviceKind::FileVault);
        assert_eq!(
            (
                mac.meta.serial.as_str(),
                mac.meta.os.as_str(),
                mac.meta.volume.as_str()
            ),
            ("C02X", "macOS 14", "/")
        );
        assert_eq!(mac.meta.key_id.as_str(), "mac serial C02X");
        assert_eq!(found.candidates[1].meta.kind, DeviceKind::BitLocker);
        assert_eq!(
            found.invalid,
            [Invalid {
                origin: "sheet.txt:line 5".into(),
                reason: "the kind is not one of bitlocker, filevault, luks, generic".into()
            }]
        );

        let tabs = format!("device\tkey id\tkey\npc\t{ID_B}\t{KEY_B}\n");
        assert_eq!(
            one(&read("t.tsv", tabs.as_bytes(), &Defaults::default()))
                .meta
                .key_id
                .as_str(),
            ID_B
        );
        let no_key = "device,id\npc,1\n";
        let found = read("x.csv", no_key.as_bytes(), &Defaults::default());
        assert!(found.invalid[0].reason.contains("no recovery key column"));
        let bad_id = format!("device,id,key\npc,laptop-7,{KEY_A}\n");
        let found = read("x.csv", bad_id.as_bytes(), &Defaults::default());
        assert!(
            found.invalid[0]
                .reason
                .starts_with("key identifier: a BitLocker key identifier is a GUID"),
            "{:?}",
            found.invalid
        );
    }

    #[test]
    fn csv_reader_follows_rfc_4180() {
        let records = csv_records(
            "a,\"b,c\",\"d\"\"e\"\r\n\"multi\nline\",x\ny,\"z\"junk,w\n\"open,1\n2\n",
            b',',
            1,
        );
        let view: Vec<_> = records
            .iter()
            .map(|r| (r.line, r.fields.as_ref().map(|f| f.to_vec()).ok()))
            .collect();
        let strings = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            view,
            [
                (1, strings(&["a", "b,c", "d\"e"])),
                (2, strings(&["multi\nline", "x"])),
                (4, None),
                (5, None),
            ]
        );
        assert!(
            records[2]
                .fields
                .as_ref()
                .unwrap_err()
                .contains("after a closing quote")
        );
        assert!(
            records[3]
                .fields
                .as_ref()
                .unwrap_err()
                .contains("not closed")
        );
        // Trailing empty field, spaces around quotes, CR-only line ends, no final newline.
        let records = csv_records("a, \"b\" ,\rc,", b',', 1);
        assert_eq!(records[0].fields.as_ref().unwrap().to_vec(), ["a", "b", ""]);
        assert_eq!(records[1].line, 2);
        assert_eq!(records[1].fields.as_ref().unwrap().to_vec(), ["c", ""]);
    }

    #[test]
    fn json_array_keys_object_and_single_object() {
        let array = format!(
            "[{{\"DeviceName\": \"pc-1\", \"recovery_key_id\": \"{ID_A}\", \"RecoveryKey\": \"{KEY_A}\", \
             \"volumeType\": 1, \"note\": [1]}},\n\
             {{\"device\": \"pc-2\", \"id\": \"{ID_B}\", \"key\": \"{}\"}},\n\
             {{\"device\": \"pc-3\", \"id\": \"{ID_C}\"}},\n\
             {{\"device\": \"pc-4\", \"id\": \"{ID_C}\", \"key\": [\"{KEY_C}\"]}},\n\
             \"stray\"]",
            KEY_B.replace("-", "")
        );
        let found = read("keys.json", array.as_bytes(), &Defaults::default());
        let ok: Vec<_> = found
            .candidates
            .iter()
            .map(|c| (c.origin.as_str(), c.meta.device.as_str(), c.secret.as_str()))
            .collect();
        assert_eq!(
            ok,
            [
                ("keys.json#1", "pc-1", KEY_A),
                ("keys.json#2", "pc-2", KEY_B)
            ]
        );
        assert_eq!(found.candidates[0].meta.volume_type, Some(VolumeType::Os));
        assert_eq!(found.candidates[0].meta.source, "json");
        let bad: Vec<_> = found
            .invalid
            .iter()
            .map(|i| (i.origin.as_str(), i.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                ("keys.json#3", "the recovery key is missing"),
                ("keys.json#4", "the recovery key is not text"),
                ("keys.json#5", "not an object"),
            ]
        );
        assert_no_key_material(&found);

        // A specific `keyId` beats a generic `id`, whatever the order.
        let both = format!(
            "[{{\"id\": \"device-object-1\", \"device\": \"pc\", \"keyId\": \"{ID_A}\", \"key\": \"{KEY_A}\"}}]"
        );
        let found = read("both.json", both.as_bytes(), &Defaults::default());
        assert_eq!(one(&found).meta.key_id.as_str(), ID_A);
        let keys = format!(
            "{{\"keys\": [{{\"hostname\": \"h\", \"protectorId\": \"{ID_C}\", \"bitlocker-recovery-key\": \"{KEY_C}\"}}]}}"
        );
        let found = read("k.json", keys.as_bytes(), &Defaults::default());
        assert_eq!(one(&found).origin, "k.json#1");
        let single =
            format!("{{\"device\": \"solo\", \"keyId\": \"{ID_A}\", \"key\": \"{KEY_A}\"}}");
        let found = read("k.json", single.as_bytes(), &Defaults::default());
        assert_eq!(one(&found).origin, "k.json");
        let broken = read("k.json", b"[{\"key\": \"1234", &Defaults::default());
        assert!(broken.invalid[0].reason.starts_with("not valid JSON"));
        assert!(!broken.invalid[0].reason.contains("1234"));
    }

    #[test]
    fn field_limits_and_control_characters() {
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        let csv = format!(
            "device,os,id,key\n{long},,{ID_A},{KEY_A}\npc,\"Win\u{1b}[2J\",{ID_A},{KEY_A}\n"
        );
        let found = read("x.csv", csv.as_bytes(), &Defaults::default());
        let reasons: Vec<_> = found.invalid.iter().map(|i| i.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "the device name is longer than 256 characters",
                "the operating system contains control characters",
            ]
        );
    }

    #[test]
    fn unrecognized_and_binary_files() {
        let found = read(
            "notes.txt",
            b"groceries: milk, eggs\n",
            &Defaults::default(),
        );
        assert_eq!(found.invalid[0].reason, UNRECOGNIZED);
        let found = read("shot.png", b"\x89PNG\r\n\x1a\n\0\0", &Defaults::default());
        assert!(found.invalid[0].reason.starts_with("an image"));
        let found = read("x.bin", b"\xC3(", &Defaults::default());
        assert!(found.invalid[0].reason.starts_with("not readable text"));
        // Content decides: a CSV sheet saved as .json is still read as CSV.
        let csv = format!("Device,Key ID,Recovery key\npc,{ID_A},{KEY_A}\n");
        assert_eq!(
            one(&read("export.json", csv.as_bytes(), &Defaults::default()))
                .meta
                .source,
            "csv"
        );
        let found = read("empty.json", b"", &Defaults::default());
        assert!(found.invalid[0].reason.starts_with("not valid JSON"));
        let found = read("empty.csv", b"", &Defaults::default());
        assert_eq!(found.invalid[0].reason, "the CSV file is empty");
    }

    #[test]
    fn folders_are_walked_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/nested")).unwrap();
        fs::create_dir_all(root.join(".hidden")).unwrap();
        fs::write(root.join("a.TXT"), windows_file(ID_A, KEY_A)).unwrap();
        fs::write(
            root.join("b/nested/keys.csv"),
            format!("Device,Key ID,Recovery Key\npc-b,{ID_B},{KEY_B}\npc-c,{ID_C},123456\n"),
        )
        .unwrap();
        fs::write(root.join("b/readme.md"), "These are the keys.\n").unwrap();
        fs::write(root.join("b/screenshot.png"), b"\x89PNG\r\n").unwrap();
        fs::write(root.join("desktop.ini"), "[.ShellClassInfo]\n").unwrap();
        fs::write(root.join(".hidden/c.txt"), windows_file(ID_C, KEY_C)).unwrap();
        fs::write(root.join(".DS_Store"), b"\0\0\0\x01Bud1").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("b/loop")).unwrap();

        let (candidates, invalid) = collect(&[root.to_path_buf()], &device("PC")).unwrap();
        let rel = |origin: &str| {
            origin
                .strip_prefix(&format!("{}/", root.display()))
                .unwrap()
                .to_owned()
        };
        let got: Vec<_> = candidates
            .iter()
            .map(|c| (rel(&c.origin), c.meta.key_id.as_str().to_owned()))
            .collect();
        assert_eq!(
            got,
            [
                ("a.TXT".to_owned(), ID_A.to_owned()),
                ("b/nested/keys.csv:line 2".to_owned(), ID_B.to_owned()),
            ]
        );
        let bad: Vec<_> = invalid
            .iter()
            .map(|i| (rel(&i.origin), i.reason.clone()))
            .collect();
        assert_eq!(
            bad,
            [
                (
                    "b/nested/keys.csv:line 3".to_owned(),
                    "recovery key: a recovery password has 48 digits, found 6".to_owned()
                ),
                ("b/readme.md".to_owned(), UNRECOGNIZED.to_owned()),
            ]
        );

        // A path on the command line that does not exist is an error, naming it.
        let missing = root.join("nope.txt");
        let err = collect(std::slice::from_ref(&missing), &device("PC")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("nope.txt"));
        // A file named directly is reported even if a folder walk would skip it.
        let (_, invalid) = collect(&[root.join("b/screenshot.png")], &device("PC")).unwrap();
        assert_eq!(invalid.len(), 1);
    }
}
