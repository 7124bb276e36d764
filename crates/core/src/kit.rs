//! The recovery kit as plain text: what a user prints or saves next to the recovery key.

use crate::ids::RecoveryKeyId;
use crate::recovery_key::RecoveryKey;
use crate::roster::RecoveryKind;

/// What goes on a recovery kit besides the key.
#[derive(Debug, Clone)]
pub struct KitDetails<'a> {
    /// Workspace display name.
    pub workspace: &'a str,
    /// The server's public URL.
    pub server_url: &'a str,
    /// Printed beside the key.
    pub key_id: RecoveryKeyId,
    /// Temporary (with expiry) or permanent.
    pub kind: RecoveryKind,
    /// Unix seconds.
    pub created_at: u64,
}

/// Renders the text kit. The result holds the secret: keep it in zeroizing storage.
pub fn render_text(details: &KitDetails<'_>, key: &RecoveryKey) -> zeroize::Zeroizing<String> {
    let (kind, expiry) = match details.kind {
        RecoveryKind::Temporary { expires_at } => {
            ("temporary", format!("expires {}", format_date(expires_at)))
        }
        RecoveryKind::Permanent => ("permanent", "does not expire".to_string()),
    };
    let temporary_note = match details.kind {
        RecoveryKind::Temporary { .. } => {
            "\nThis temporary key was sent by email. Generate a permanent key\n\
             (keyhaven recovery-key generate) before it expires.\n"
        }
        RecoveryKind::Permanent => "",
    };
    zeroize::Zeroizing::new(format!(
        "KEYHAVEN RECOVERY KIT\n\
         =====================\n\
         \n\
         Workspace:     {workspace}\n\
         Server:        {server}\n\
         Key ID:        {id}\n\
         Kind:          {kind} ({expiry})\n\
         Created:       {created}\n\
         \n\
         Recovery key:\n\
         \n\
         \x20   {key}\n\
         \n\
         What it is for\n\
         --------------\n\
         This key (the emergency reset code) restores the link between an owner's\n\
         account and the workspace after a password reset. The server cannot open the\n\
         workspace: if every owner forgets their password and this key is lost, no\n\
         owner can get back in.\n\
         {temporary_note}\
         \n\
         How to use it\n\
         -------------\n\
         1. Reset your password: keyhaven password forgot --server {server} --email EMAIL\n\
         2. Enter the access code from the email: keyhaven password reset ...\n\
         3. Sign in, then run: keyhaven recovery-key use --workspace \"{workspace}\"\n\
         4. When asked, enter the recovery key whose ID starts with {short}.\n\
         \n\
         Keep this kit somewhere safe and offline. Where it is kept:\n\
         \n\
         ______________________________________________________________________\n",
        workspace = details.workspace,
        server = details.server_url,
        id = details.key_id.to_upper(),
        short = details.key_id.short(),
        created = format_date(details.created_at),
        key = key.encode().as_str(),
        temporary_note = temporary_note,
    ))
}

/// Renders the printable HTML kit: the key in large digits and as a QR code (which holds the
/// 48 digits, so a phone or scanner can type it), with everything the text kit says. The
/// result holds the secret: keep it in zeroizing storage.
pub fn render_html(details: &KitDetails<'_>, key: &RecoveryKey) -> zeroize::Zeroizing<String> {
    let encoded = key.encode();
    let qr = qr_svg(encoded.as_str());
    let text = render_text(details, key);
    let groups: String = encoded
        .split('-')
        .map(|g| format!("<span>{g}</span>"))
        .collect::<Vec<_>>()
        .join("<b>-</b>");
    zeroize::Zeroizing::new(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Keyhaven recovery kit: {workspace}</title>\
         <style>body{{font-family:sans-serif;max-width:46em;margin:2em auto}}\
         .key{{font:bold 26pt monospace;letter-spacing:.05em;margin:.5em 0}}\
         .key b{{color:#888;font-weight:normal}} .qr svg{{width:45mm;height:45mm}}\
         pre{{white-space:pre-wrap;font-size:10pt}} @media print{{button{{display:none}}}}</style>\
         </head><body>\n<h1>Keyhaven recovery kit</h1>\n\
         <p>Workspace <strong>{workspace}</strong> on {server}<br>Key ID <code>{id}</code></p>\n\
         <div class=\"key\">{groups}</div>\n<div class=\"qr\">{qr}</div>\n\
         <pre>{text}</pre>\n</body></html>\n",
        workspace = escape(details.workspace),
        server = escape(details.server_url),
        id = details.key_id.to_upper(),
        text = escape(&text),
    ))
}

/// The QR code of `data` as an SVG element (error correction M, quiet zone included).
pub fn qr_svg(data: &str) -> String {
    // 55 ASCII characters always fit a QR code; failure here would be a bug.
    let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
        .expect("a 55-character key fits a QR code");
    code.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .build()
}

/// The QR code of `data` as rows of dark (true) and light modules, for other renderers.
pub fn qr_modules(data: &str) -> Vec<Vec<bool>> {
    let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
        .expect("a 55-character key fits a QR code");
    let width = code.width();
    code.to_colors()
        .chunks(width)
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `YYYY-MM-DD` (UTC) of a Unix time, without a date library (Howard Hinnant's
/// civil-from-days algorithm).
pub fn format_date(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(951_782_400), "2000-02-29");
        assert_eq!(format_date(1_795_305_600), "2026-11-22");
    }

    #[test]
    fn html_kit_holds_key_qr_and_escaped_names() {
        let key = RecoveryKey::generate();
        let id = RecoveryKeyId::generate();
        let details = KitDetails {
            workspace: "R&D <team>",
            server_url: "https://vault.acme.test",
            key_id: id,
            kind: RecoveryKind::Permanent,
            created_at: 1_795_305_600,
        };
        let html = render_html(&details, &key);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("R&amp;D &lt;team&gt;"), "names are escaped");
        assert!(!html.contains("<team>"));
        for group in key.encode().split('-') {
            assert!(
                html.contains(&format!("<span>{group}</span>")),
                "large digits"
            );
        }
        assert!(
            html.contains(&qr_svg(key.encode().as_str())),
            "the QR code holds the key"
        );
        assert!(html.contains(&id.to_upper()));
        assert!(html.contains("Where it is kept"));
    }

    #[test]
    fn qr_modules_have_the_expected_shape() {
        let modules = qr_modules("050875-056529-062183-067837-073491-079145-084799-090453");
        // Digits and '-' are QR alphanumeric; version 3 at level M holds 61 of them: 29 × 29.
        assert_eq!(modules.len(), 29);
        assert!(modules.iter().all(|row| row.len() == 29));
        // Finder pattern: the top-left 7 modules of the first row are dark.
        assert!(modules[0][..7].iter().all(|&d| d));
        assert!(!modules[1][1], "inside the finder pattern's ring is light");
    }

    #[test]
    fn kit_holds_everything() {
        let key = RecoveryKey::generate();
        let id = RecoveryKeyId::generate();
        let details = KitDetails {
            workspace: "Acme",
            server_url: "https://vault.acme.test",
            key_id: id,
            kind: RecoveryKind::Temporary {
                expires_at: 1_795_305_600 + 30 * 86_400,
            },
            created_at: 1_795_305_600,
        };
        let text = render_text(&details, &key);
        for needle in [
            "Acme",
            "https://vault.acme.test",
            id.to_upper().as_str(),
            key.encode().as_str(),
            "temporary (expires 2026-12-22)",
            "Created:       2026-11-22",
            "Where it is kept",
        ] {
            assert!(text.contains(needle), "kit lacks {needle:?}");
        }
    }
}
