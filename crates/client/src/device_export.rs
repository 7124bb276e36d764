//! Rendering one revealed device key for `keyhaven device export ID --format ... --out PATH`
//! and the web vault's download: the `.txt` file Windows itself writes (so it goes wherever
//! such files go), a printable HTML page and a one-page PDF (the key in large digits and as a
//! QR code), or JSON that `keyhaven device import` (and [`crate::device_files::read`]) reads
//! back.
//!
//! Pure rendering to bytes, no I/O: the CLI (`crates/cli/src/device.rs`) handles the arguments
//! and writes the file, the browser offers the bytes as a download.
//!
//! Every output holds the key, so it is built in zeroizing buffers sized up front (growing a
//! buffer would leave copies behind); the PDF is drawn by `keyhaven_kit::pdf`, whose buffers
//! zeroize too (a growing one may leave copies of what it held before it grew).

use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

use keyhaven_core::device::{BitLockerRecoveryFile, BitLockerRecoveryPassword, ProtectorId};
use keyhaven_core::escrow::{DeviceKind, DeviceMeta, VolumeType};
use keyhaven_core::kit;
use keyhaven_kit::pdf::{Font, Page};
use zeroize::Zeroizing;

/// The formats `device export` writes (parsed from the command line by [`FromStr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `BitLocker Recovery Key <ID>.TXT`, byte for byte as Windows writes it.
    BitLockerTxt,
    /// A printable, self-contained HTML page.
    Html,
    /// A one-page PDF.
    Pdf,
    /// The metadata and the key as JSON.
    Json,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::BitLockerTxt,
        ExportFormat::Html,
        ExportFormat::Pdf,
        ExportFormat::Json,
    ];

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::BitLockerTxt => "bitlocker-txt",
            ExportFormat::Html => "html",
            ExportFormat::Pdf => "pdf",
            ExportFormat::Json => "json",
        }
    }

    /// The format named `name` (any case), or an error listing the formats.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                format!("unknown export format {name:?}: use bitlocker-txt, html, pdf or json")
            })
    }

    /// The file-name extension (Windows writes `.TXT` in capitals).
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::BitLockerTxt => "TXT",
            ExportFormat::Html => "html",
            ExportFormat::Pdf => "pdf",
            ExportFormat::Json => "json",
        }
    }
}

impl FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Renders the key `secret` (as revealed) of record `record_id`, described by `meta`.
///
/// Fails only for `bitlocker-txt` when the key is not a BitLocker recovery password with a
/// GUID identifier; the error never quotes the key.
pub fn render(
    format: ExportFormat,
    meta: &DeviceMeta,
    secret: &str,
    record_id: &uuid::Uuid,
) -> Result<Zeroizing<Vec<u8>>, String> {
    match format {
        ExportFormat::BitLockerTxt => render_bitlocker_txt(meta, secret),
        ExportFormat::Html => {
            let mut html = render_html(meta, secret, record_id);
            Ok(Zeroizing::new(std::mem::take(&mut *html).into_bytes()))
        }
        ExportFormat::Pdf => Ok(render_pdf(meta, secret, record_id)),
        ExportFormat::Json => render_json(meta, secret, record_id),
    }
}

/// The file name to save as when `--out` names a folder: for `bitlocker-txt` exactly the
/// name Windows gives (`BitLocker Recovery Key <ID>.TXT`), else `<device> <ID8>.<ext>` made
/// safe for Windows, macOS and Linux file systems.
pub fn default_file_name(format: ExportFormat, meta: &DeviceMeta) -> String {
    if format == ExportFormat::BitLockerTxt
        && let Ok(id) = meta.key_id.as_str().parse::<ProtectorId>()
    {
        return keyhaven_core::device::bitlocker_txt::file_name(&id);
    }
    let device = sanitize(&meta.device, 100);
    let device = if device.is_empty() { "device" } else { &device };
    let id = sanitize(meta.key_id.short(), 40);
    let id = if id.is_empty() { "key" } else { &id };
    // Never a reserved Windows name (CON, NUL, ...): those are whole base names, and this one
    // always has a space and the identifier in it.
    format!("{device} {id}.{}", format.extension())
}

// --- BitLocker .txt ----------------------------------------------------------------------

fn render_bitlocker_txt(meta: &DeviceMeta, secret: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    if meta.kind != DeviceKind::BitLocker {
        return Err(format!(
            "the bitlocker-txt format is only for BitLocker keys, and this is a {} key: use \
             html, pdf or json",
            meta.kind.as_str()
        ));
    }
    let identifier = meta
        .key_id
        .as_str()
        .parse::<ProtectorId>()
        .map_err(|_| "the key identifier is not a BitLocker GUID".to_owned())?;
    let password = BitLockerRecoveryPassword::parse(secret)
        .map_err(|e| format!("the escrowed key is not a valid BitLocker recovery password: {e}"))?;
    Ok(BitLockerRecoveryFile {
        identifier,
        password,
    }
    .to_windows_bytes())
}

// --- What the printable formats show -----------------------------------------------------

/// The heading: `BitLocker recovery key`, ...
fn title(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::BitLocker => "BitLocker recovery key",
        DeviceKind::FileVault => "FileVault recovery key",
        DeviceKind::Luks => "LUKS recovery key",
        DeviceKind::Generic => "Device recovery key",
        DeviceKind::MicrosoftAccount => "Microsoft account recovery code",
    }
}

/// Where to type the key, per kind.
fn how_to_use(meta: &DeviceMeta) -> String {
    match meta.kind {
        DeviceKind::BitLocker => format!(
            "On the BitLocker recovery screen, check that the key ID shown starts with {}, \
             then type the 48 digits.",
            meta.key_id.short()
        ),
        DeviceKind::FileVault => {
            "At the Mac's login window, choose to reset the password with the recovery key and \
             type it."
                .into()
        }
        DeviceKind::Luks => {
            "At the disk passphrase prompt, type the recovery key (groups may be separated by \
             dashes)."
                .into()
        }
        DeviceKind::Generic => "Use this key where the device asks for its recovery key.".into(),
        DeviceKind::MicrosoftAccount => format!(
            "On the Microsoft account sign-in page of {}, choose to use a recovery code and type \
             the 25 characters; Microsoft then shows a new code, which replaces this one.",
            meta.device
        ),
    }
}

/// What to know about keeping the page, per kind.
fn safety_note(kind: DeviceKind) -> [&'static str; 3] {
    match kind {
        DeviceKind::MicrosoftAccount => [
            "Anyone who has this code can take over the Microsoft account and reset its password.",
            "Keep this page somewhere safe and offline (a locked drawer or safe); do not email or",
            "photograph it, and destroy it once the code has been used (it is then replaced).",
        ],
        _ => [
            "Anyone who has this key can unlock the drive and read everything on it.",
            "Keep this page somewhere safe and offline (a locked drawer or safe); do not email or",
            "photograph it, and destroy it once the key has been used or the drive re-keyed.",
        ],
    }
}

/// Keys with text this long are not put into a QR code (a QR code holds at most 2,331 bytes
/// at error correction M; past a few hundred its modules get too small to print and scan).
const QR_MAX_BYTES: usize = 512;

/// The labelled details shown beside the key, leaving out empty ones.
fn details(meta: &DeviceMeta, record_id: &uuid::Uuid) -> Vec<(&'static str, String)> {
    let volume_type = meta.volume_type.map(|t| match t {
        VolumeType::Os => "operating-system volume",
        VolumeType::Fixed => "fixed data volume",
        VolumeType::Removable => "removable data volume",
    });
    let volume = match (meta.volume.as_str(), volume_type) {
        ("", None) => String::new(),
        ("", Some(t)) => t.to_owned(),
        (v, None) => v.to_owned(),
        (v, Some(t)) => format!("{v} ({t})"),
    };
    let escrowed = if meta.added_at == 0 {
        String::new()
    } else {
        kit::format_date(meta.added_at)
    };
    [
        (
            if meta.kind == DeviceKind::MicrosoftAccount {
                "Account"
            } else {
                "Device"
            },
            meta.device.clone(),
        ),
        ("Key identifier", meta.key_id.as_str().to_owned()),
        ("Volume", volume),
        ("Serial number", meta.serial.clone()),
        ("Operating system", meta.os.clone()),
        ("Kind", meta.kind.as_str().to_owned()),
        ("Escrowed", escrowed),
        ("Keyhaven record", record_id.to_string()),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .collect()
}

/// Whether the key is written in dash-separated groups (shown group by group).
fn grouped(kind: DeviceKind) -> bool {
    kind != DeviceKind::Generic
}

// --- HTML --------------------------------------------------------------------------------

fn render_html(meta: &DeviceMeta, secret: &str, record_id: &uuid::Uuid) -> Zeroizing<String> {
    let qr = (secret.len() <= QR_MAX_BYTES).then(|| kit::qr_svg(secret));
    let details = details(meta, record_id);
    let details_len: usize = details.iter().map(|(_, v)| v.len()).sum();
    // Escaping grows text at most 6-fold (`"` → `&quot;`); 4 KiB covers the page template.
    let capacity = 4096 + qr.as_ref().map_or(0, String::len) + 6 * (details_len + 2 * secret.len());
    let mut html = Zeroizing::new(String::with_capacity(capacity));
    let title = title(meta.kind);
    // Writing to a String cannot fail.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title}: {device}</title>\
         <style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;color:#000}}\
         th{{text-align:left;padding-right:1.5em;font-weight:normal;color:#555}}\
         .key{{font:bold 26pt monospace;letter-spacing:.05em;margin:.5em 0;\
         overflow-wrap:anywhere}} .key b{{color:#888;font-weight:normal}}\
         .key.long{{font-size:14pt}} .qr svg{{width:45mm;height:45mm}}\
         .note{{border:1px solid #000;padding:.5em 1em}}</style>\
         </head><body>\n<h1>{title}</h1>\n<table>\n",
        device = escape(&meta.device),
    );
    for (label, value) in &details {
        let value = if *label == "Key identifier" {
            // The part recovery screens ask to compare, in bold.
            let short = meta.key_id.short();
            let rest = &meta.key_id.as_str()[short.len()..];
            format!(
                "<code><strong>{}</strong>{}</code>",
                escape(short),
                escape(rest)
            )
        } else {
            escape(value)
        };
        let _ = writeln!(html, "<tr><th>{label}</th><td>{value}</td></tr>");
    }
    let long = if grouped(meta.kind) { "" } else { " long" };
    let _ = write!(
        html,
        "</table>\n<p>Recovery key:</p>\n<div class=\"key{long}\">"
    );
    if grouped(meta.kind) {
        for (i, group) in secret.split('-').enumerate() {
            if i > 0 {
                html.push_str("<b>-</b>");
            }
            let _ = write!(html, "<span>{}</span>", escape(group));
        }
    } else {
        html.push_str(&escape(secret));
    }
    html.push_str("</div>\n");
    match &qr {
        Some(svg) => {
            let _ = writeln!(html, "<div class=\"qr\">{svg}</div>");
        }
        None => html.push_str("<p>(The key is too long for a QR code.)</p>\n"),
    }
    let _ = write!(
        html,
        "<p>{}</p>\n<p class=\"note\">{}</p>\n</body></html>\n",
        escape(&how_to_use(meta)),
        safety_note(meta.kind).join(" "),
    );
    html
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// --- PDF ---------------------------------------------------------------------------------

/// Characters of the key per line in the PDF: a BitLocker key (55) fits one line at 15 pt.
const PDF_KEY_LINE_CHARS: usize = 55;

fn render_pdf(meta: &DeviceMeta, secret: &str, record_id: &uuid::Uuid) -> Zeroizing<Vec<u8>> {
    let mut page = Page::new();
    let title = title(meta.kind);
    page.text(Font::HelveticaBold, 20.0, 20.0, 277.0, &[title]);
    page.text(Font::Helvetica, 13.0, 20.0, 268.0, &[&meta.device]);

    let chars: Vec<char> = secret.chars().collect();
    let key_lines: Vec<Zeroizing<String>> = chars
        .chunks(PDF_KEY_LINE_CHARS)
        .map(|line| Zeroizing::new(line.iter().collect()))
        .collect();
    let key_refs: Vec<&str> = key_lines.iter().map(|l| l.as_str()).collect();
    page.text(Font::CourierBold, 15.0, 20.0, 255.0, &key_refs);
    // 15 pt × 1.25 line height ≈ 6.6 mm a line.
    let mut top = 255.0 - 6.6 * key_lines.len() as f32 - 2.0;

    if secret.len() <= QR_MAX_BYTES {
        let modules = kit::qr_modules(secret);
        // 1.6 mm modules (as on the recovery kit), smaller for big codes: at most 60 mm wide.
        let module = (60.0 / modules.len() as f32).min(1.6);
        top -= page.qr(&modules, 20.0, top, module) + 10.0;
    } else {
        top -= 4.0;
    }

    let details = details(meta, record_id);
    let mut lines: Vec<String> = details
        .iter()
        .map(|(label, value)| format!("{label:<18}{value}"))
        .collect();
    lines.push(String::new());
    lines.push(how_to_use(meta));
    lines.push(String::new());
    lines.extend(safety_note(meta.kind).iter().map(|l| (*l).to_owned()));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    page.text(Font::Courier, 9.0, 20.0, top, &refs);
    page.finish(title)
}

// --- JSON --------------------------------------------------------------------------------

/// The JSON export; `device import` reads it back (it ignores `source` and `record_id`).
#[derive(serde::Serialize)]
struct JsonExport<'a> {
    device: &'a str,
    serial: &'a str,
    os: &'a str,
    volume: &'a str,
    volume_type: Option<&'static str>,
    kind: &'static str,
    key_id: &'a str,
    key: &'a str,
    source: &'a str,
    record_id: String,
}

fn render_json(
    meta: &DeviceMeta,
    secret: &str,
    record_id: &uuid::Uuid,
) -> Result<Zeroizing<Vec<u8>>, String> {
    let export = JsonExport {
        device: &meta.device,
        serial: &meta.serial,
        os: &meta.os,
        volume: &meta.volume,
        volume_type: meta.volume_type.map(VolumeType::as_str),
        kind: meta.kind.as_str(),
        key_id: meta.key_id.as_str(),
        key: secret,
        source: &meta.source,
        record_id: record_id.to_string(),
    };
    // JSON escaping grows text at most 6-fold (`\u001f`); 512 bytes cover names and layout.
    let text_len = meta.device.len()
        + meta.serial.len()
        + meta.os.len()
        + meta.volume.len()
        + meta.key_id.as_str().len()
        + secret.len()
        + meta.source.len();
    let mut out = Zeroizing::new(Vec::with_capacity(512 + 6 * text_len));
    serde_json::to_writer_pretty(&mut *out, &export).map_err(|e| e.to_string())?;
    out.push(b'\n');
    Ok(out)
}

// --- File names --------------------------------------------------------------------------

/// `text` with characters that some file system refuses (`<>:"/\|?*`, control characters)
/// replaced by `_`, leading dots (hidden files) and trailing dots and spaces (dropped by
/// Windows) removed, and at most `max_chars` characters.
fn sanitize(text: &str, max_chars: usize) -> String {
    let replaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .take(max_chars)
        .collect();
    replaced
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_files::{self, Defaults};
    use keyhaven_core::escrow::KeyId;

    /// Reads `bytes` back as `device import` does a file named `name`.
    fn import(name: &str, bytes: &[u8], defaults: &Defaults) -> device_files::Read {
        device_files::read(name, name, bytes, false, defaults)
    }

    // Valid, from docs/vectors/bitlocker-recovery-passwords.json.
    const KEY: &str = "531058-303050-716078-383614-460922-106975-083446-139161";
    const ID: &str = "6F1C2D3E-4A5B-4C6D-8E7F-90A1B2C3D4E5";

    fn meta() -> DeviceMeta {
        DeviceMeta {
            device: "FIN-LAPTOP-07".into(),
            serial: "5CG1234XYZ".into(),
            os: "Windows 11".into(),
            volume: "C:".into(),
            volume_type: Some(VolumeType::Os),
            kind: DeviceKind::BitLocker,
            key_id: KeyId::parse(ID, DeviceKind::BitLocker).unwrap(),
            source: "manage-bde".into(),
            added_at: 1_700_000_000,
        }
    }

    fn record() -> uuid::Uuid {
        "0191f0aa-1111-7222-8333-444455556666".parse().unwrap()
    }

    #[test]
    fn formats_parse_by_name() {
        for format in ExportFormat::ALL {
            assert_eq!(format.as_str().parse::<ExportFormat>(), Ok(format));
        }
        assert_eq!(ExportFormat::parse(" HTML "), Ok(ExportFormat::Html));
        assert_eq!(
            ExportFormat::parse("docx").unwrap_err(),
            "unknown export format \"docx\": use bitlocker-txt, html, pdf or json"
        );
    }

    #[test]
    fn bitlocker_txt_is_what_windows_writes_and_imports_back() {
        let bytes = render(ExportFormat::BitLockerTxt, &meta(), KEY, &record()).unwrap();
        let expected = BitLockerRecoveryFile {
            identifier: ID.parse().unwrap(),
            password: KEY.parse().unwrap(),
        }
        .to_windows_bytes();
        assert_eq!(bytes.as_slice(), expected.as_slice());
        assert_eq!(&bytes[..2], b"\xFF\xFE");
        let name = default_file_name(ExportFormat::BitLockerTxt, &meta());
        assert_eq!(name, format!("BitLocker Recovery Key {ID}.TXT"));

        let defaults = Defaults {
            device: Some("FIN-LAPTOP-07".into()),
            ..Defaults::default()
        };
        let device_files::Read {
            candidates,
            invalid,
        } = import(&name, &bytes, &defaults);
        assert!(invalid.is_empty(), "{invalid:?}");
        assert_eq!(candidates.len(), 1);
        assert_eq!(candidates[0].meta.key_id, meta().key_id);
        assert_eq!(candidates[0].secret.as_str(), KEY);
    }

    #[test]
    fn bitlocker_txt_refuses_other_kinds() {
        let mut luks = meta();
        luks.kind = DeviceKind::Luks;
        let err = render(ExportFormat::BitLockerTxt, &luks, "x", &record()).unwrap_err();
        assert!(err.contains("only for BitLocker keys"), "{err}");
        let typo = KEY.replace("716078", "716079");
        let err = render(ExportFormat::BitLockerTxt, &meta(), &typo, &record()).unwrap_err();
        assert!(err.ends_with("group 3 is not divisible by 11"), "{err}");
        assert!(!err.contains("716079"));
    }

    #[test]
    fn html_is_escaped_and_shows_key_and_qr() {
        let mut m = meta();
        m.device = "<script>alert('x')</script> & co".into();
        let html = render(ExportFormat::Html, &m, KEY, &record()).unwrap();
        let html = std::str::from_utf8(&html).unwrap();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        for group in KEY.split('-') {
            assert!(html.contains(&format!("<span>{group}</span>")), "{group}");
        }
        assert!(
            html.contains(&kit::qr_svg(KEY)),
            "inline SVG QR code of the key"
        );
        assert!(
            html.contains("<code><strong>6F1C2D3E</strong>-4A5B-4C6D-8E7F-90A1B2C3D4E5</code>")
        );
        for text in [
            "C: (operating-system volume)",
            "bitlocker",
            "2023-11-14",
            "safe",
        ] {
            assert!(html.contains(text), "{text}");
        }
        assert!(html.contains(&record().to_string()));
    }

    #[test]
    fn long_generic_keys_have_no_qr_code() {
        let mut m = meta();
        m.kind = DeviceKind::Generic;
        m.key_id = KeyId::parse("vault-7", DeviceKind::Generic).unwrap();
        let key = "correct horse battery staple ".repeat(40);
        let html = render(ExportFormat::Html, &m, &key, &record()).unwrap();
        let html = std::str::from_utf8(&html).unwrap();
        assert!(html.contains("too long for a QR code"));
        assert!(!html.contains("<svg"));
        let pdf = render(ExportFormat::Pdf, &m, &key, &record()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(
            default_file_name(ExportFormat::Json, &m),
            "FIN-LAPTOP-07 vault-7.json"
        );
    }

    #[test]
    fn pdf_is_one_page_with_the_key_and_qr() {
        let pdf = render(ExportFormat::Pdf, &meta(), KEY, &record()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(5).any(|w| w == b"%%EOF"), "complete");

        let pdf = render_pdf(&meta(), KEY, &record());
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains(KEY), "the key in large digits");
        assert!(text.contains("FIN-LAPTOP-07"));
        let dark = kit::qr_modules(KEY)
            .iter()
            .flatten()
            .filter(|d| **d)
            .count();
        let rectangles = text.lines().filter(|l| l.ends_with(" re f")).count();
        assert_eq!(rectangles, dark, "one filled rectangle per dark module");
    }

    #[test]
    fn json_round_trips() {
        let bytes = render(ExportFormat::Json, &meta(), KEY, &record()).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "device": "FIN-LAPTOP-07",
                "serial": "5CG1234XYZ",
                "os": "Windows 11",
                "volume": "C:",
                "volume_type": "os",
                "kind": "bitlocker",
                "key_id": ID,
                "key": KEY,
                "source": "manage-bde",
                "record_id": record().to_string(),
            })
        );
        assert!(bytes.starts_with(b"{\n  \""), "pretty-printed");

        // `device import` reads it back to the same metadata (its own source and date).
        let name = default_file_name(ExportFormat::Json, &meta());
        assert_eq!(name, "FIN-LAPTOP-07 6F1C2D3E.json");
        let device_files::Read {
            candidates,
            invalid,
        } = import(&name, &bytes, &Defaults::default());
        assert!(invalid.is_empty(), "{invalid:?}");
        let expected = DeviceMeta {
            source: "json".into(),
            added_at: 0,
            ..meta()
        };
        assert_eq!(candidates[0].meta, expected);
        assert_eq!(candidates[0].secret.as_str(), KEY);
    }

    #[test]
    fn file_names_are_safe() {
        let mut m = meta();
        m.device = "..\\..\\etc/passwd: \"x\"?*|<>\u{7}. ".into();
        for format in [ExportFormat::Html, ExportFormat::Pdf, ExportFormat::Json] {
            let name = default_file_name(format, &m);
            assert!(
                !name.contains(['/', '\\', ':', '"', '?', '*', '|', '<', '>', '\u{7}']),
                "{name}"
            );
            assert!(!name.starts_with('.'));
        }
        assert_eq!(
            default_file_name(ExportFormat::Html, &m),
            "_.._etc_passwd_ _x_______ 6F1C2D3E.html"
        );
        m.device = "...".into();
        assert_eq!(
            default_file_name(ExportFormat::Pdf, &m),
            "device 6F1C2D3E.pdf"
        );
    }
}
