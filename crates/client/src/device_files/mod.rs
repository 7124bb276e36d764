//! Reading the files `keyhaven device import PATH...` is given, and those the web vault is
//! handed: BitLocker recovery key `.txt` files, `manage-bde -protectors -get` output, CSV
//! exports (Microsoft Entra / Intune and hand-made sheets) and JSON.
//!
//! Everything here is pure: [`read`] takes one file's name and bytes and does no I/O. The
//! caller reads the files: the CLI (`crates/cli/src/device_files.rs`) walks folders
//! recursively in sorted order and refuses files too large to be key files; the browser reads
//! what the user picked. Each file's format is told by its content, the extension only
//! breaking ties, because exports get renamed and re-saved. One module per format:
//!
//! - `bitlocker_txt`: the `.txt` file Windows saves, UTF-16LE as Windows writes it or UTF-8.
//! - `manage_bde`: `manage-bde -protectors -get` output.
//! - `csv`: CSV (and `;`- or tab-separated) sheets with a header row.
//! - `json`: an array of objects, `{"keys": [...]}`, Graph's `{"value": [...]}`, one object.
//!
//! Every key found becomes a [`Candidate`] only after full validation (kind, key, identifier,
//! device name, field lengths); everything else becomes an [`Invalid`] whose reason says what
//! is wrong without ever quoting a field's value, since a shifted CSV column can put key
//! digits into any field. One bad row or protector invalidates only itself; a file that
//! cannot be read at all is one [`Invalid`]. Decoded text, CSV fields and JSON strings are
//! held in zeroizing buffers, sized up front where they are built so that no reallocation
//! leaves a stray copy of a key behind.

mod bitlocker_txt;
mod csv;
mod json;
mod manage_bde;
#[cfg(test)]
mod test_support;

use std::fmt;

use keyhaven_core::escrow::{DeviceKind, DeviceMeta, KeyId, MAX_FIELD_CHARS, VolumeType};
use zeroize::Zeroizing;

/// A key ready to escrow.
pub struct Candidate {
    /// The origin given to [`read`], plus `:line N` (CSV) or `#N` (JSON, several `manage-bde`
    /// protectors).
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

/// Values from the command line (or the web vault's form) for what a file or row does not
/// say. A row's own value always wins.
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

/// Files larger than this are not key files (a CSV of 10,000 keys is about 1.5 MB).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// What has been read: the keys ready to escrow and what was not imported, in input order.
#[derive(Debug, Default)]
pub struct Read {
    /// The valid keys.
    pub candidates: Vec<Candidate>,
    /// Files, rows and protectors that were not imported.
    pub invalid: Vec<Invalid>,
}

impl Read {
    /// Records that `origin` was not imported, and why. The reason must not quote key
    /// material.
    pub fn bad(&mut self, origin: impl Into<String>, reason: impl Into<String>) {
        self.invalid.push(Invalid {
            origin: origin.into(),
            reason: reason.into(),
        });
    }

    /// Moves everything `other` found to the end of this one.
    pub fn append(&mut self, mut other: Read) {
        self.candidates.append(&mut other.candidates);
        self.invalid.append(&mut other.invalid);
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

// --- Telling formats apart ---------------------------------------------------------------

const NO_DEVICE_IN_FILE: &str = "the file does not say which device it is; pass --device NAME";
const NO_DEVICE_IN_ROW: &str =
    "no device name in this row; add a device column or pass --device NAME";
/// The reason given for a file that is none of the formats read here.
pub const UNRECOGNIZED: &str = "not a recognized key file: expected a BitLocker recovery key .txt \
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

/// Reads one file's bytes (pure: no I/O).
///
/// - `origin`: how the file is named in [`Candidate::origin`] and [`Invalid::origin`] (the CLI
///   gives its path); rows and protectors add `:line N` or `#N`.
/// - `file_name`: the file's name, its last path component (`keys.CSV`); its extension only
///   breaks ties between formats, and inside folders tells images apart.
/// - `in_folder`: found by walking a folder, where images and other obvious non-key files are
///   skipped silently instead of reported.
pub fn read(
    origin: &str,
    file_name: &str,
    bytes: &[u8],
    in_folder: bool,
    defaults: &Defaults,
) -> Read {
    let mut found = Read::default();
    let name = file_name.to_lowercase();
    let extension = extension(file_name).unwrap_or_default().to_lowercase();
    if in_folder && clearly_not_a_key_file(&name, &extension, bytes) {
        return found;
    }
    if let Some(what) = binary_kind(bytes) {
        found.bad(
            origin,
            format!("{what}, not a key file (import reads .txt, manage-bde output, CSV and JSON)"),
        );
        return found;
    }
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(e) => {
            found.bad(origin, format!("not readable text: {e}"));
            return found;
        }
    };
    read_text(origin, &text, &extension, defaults, &mut found);
    found
}

/// The extension of a file name as `std::path::Path::extension` tells it: after the last dot,
/// none for a name without a dot, with only a leading one (`.profile`), or `..`.
fn extension(file_name: &str) -> Option<&str> {
    if file_name == ".." {
        return None;
    }
    let (stem, extension) = file_name.rsplit_once('.')?;
    (!stem.is_empty()).then_some(extension)
}

/// Parses decoded text.
fn read_text(origin: &str, text: &str, extension: &str, defaults: &Defaults, found: &mut Read) {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    match detect(text, extension) {
        Format::Json => json::read(origin, text, defaults, found),
        Format::ManageBde => manage_bde::read(origin, text, defaults, found),
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
            csv::read(origin, body, first_line, delimiter, defaults, found);
        }
        Format::BitLockerTxt => bitlocker_txt::read(origin, text, defaults, found),
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
    if let Some(delimiter) = csv::header_delimiter(first) {
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

// --- Text -------------------------------------------------------------------------------

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

// --- Shared by the formats --------------------------------------------------------------

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

// --- Rows (CSV and JSON; the BitLocker formats fill one too) ----------------------------

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

#[cfg(test)]
mod tests {
    use super::test_support::{ID_A, KEY_A, one, read};
    use super::*;

    #[test]
    fn extensions_as_path_tells_them() {
        for name in [
            "keys.csv",
            "KEYS.CSV",
            "a.b.json",
            ".profile",
            ".x.txt",
            "noext",
            "trailing.",
            "..",
            ".",
            "",
            "BitLocker Recovery Key 6F1C2D3E-4A5B-4C6D-8E7F-90A1B2C3D4E5.TXT",
        ] {
            let expected = std::path::Path::new(name)
                .extension()
                .map(|e| e.to_string_lossy().into_owned());
            assert_eq!(extension(name).map(str::to_owned), expected, "{name:?}");
        }
    }

    #[test]
    fn folders_skip_images_and_windows_files_silently() {
        let png = b"\x89PNG\r\n\x1a\n\0\0";
        assert!(
            super::read("shot.png", "shot.png", png, true, &Defaults::default())
                .invalid
                .is_empty()
        );
        for name in ["desktop.ini", "Thumbs.db", "clip.MP4"] {
            let found = super::read(
                name,
                name,
                b"[.ShellClassInfo]\n",
                true,
                &Defaults::default(),
            );
            assert!(
                found.invalid.is_empty() && found.candidates.is_empty(),
                "{name}"
            );
        }
        // Named directly, the same files are reported.
        let found = super::read("shot.png", "shot.png", png, false, &Defaults::default());
        assert_eq!(found.invalid.len(), 1);
    }

    #[test]
    fn reads_append_in_order() {
        let mut all = read("empty.csv", b"", &Defaults::default());
        all.append(read("empty.json", b"", &Defaults::default()));
        let origins: Vec<_> = all.invalid.iter().map(|i| i.origin.as_str()).collect();
        assert_eq!(origins, ["empty.csv", "empty.json"]);
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
}
