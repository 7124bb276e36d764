//! One-page PDF documents (ISO 32000-1) in the built-in fonts: text lines and filled squares
//! (QR code modules), which is all a recovery kit or a device-key export draws. Written by
//! hand rather than with a PDF library: the page needs ten objects, and the web vault
//! downloads every byte of this code (printpdf added 1.5 MB of WebAssembly; decision 0013).
//!
//! The content stream is not compressed, so the text (the key among it) is searchable and
//! copyable as in any PDF; every buffer that holds it zeroizes when dropped.

use std::fmt::Write as _;

use zeroize::Zeroizing;

/// A4, in points (1/72 inch).
const WIDTH_PT: f32 = 595.28;
const HEIGHT_PT: f32 = 841.89;
const PT_PER_MM: f32 = 72.0 / 25.4;

/// The built-in (standard 14) fonts a page uses; readers supply them, nothing is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    /// Helvetica.
    Helvetica,
    /// Helvetica Bold.
    HelveticaBold,
    /// Courier (fixed width).
    Courier,
    /// Courier Bold (fixed width).
    CourierBold,
}

impl Font {
    const ALL: [Font; 4] = [
        Font::Helvetica,
        Font::HelveticaBold,
        Font::Courier,
        Font::CourierBold,
    ];

    fn base_name(self) -> &'static str {
        match self {
            Font::Helvetica => "Helvetica",
            Font::HelveticaBold => "Helvetica-Bold",
            Font::Courier => "Courier",
            Font::CourierBold => "Courier-Bold",
        }
    }

    fn resource(self) -> &'static str {
        match self {
            Font::Helvetica => "F1",
            Font::HelveticaBold => "F2",
            Font::Courier => "F3",
            Font::CourierBold => "F4",
        }
    }
}

/// An A4 page being drawn, in millimetres from the bottom-left corner.
#[derive(Debug, Default)]
pub struct Page {
    content: Zeroizing<String>,
}

impl Page {
    /// A blank page; everything is drawn in black.
    pub fn new() -> Self {
        let mut content = Zeroizing::new(String::new());
        content.push_str("0 0 0 rg\n");
        Self { content }
    }

    /// Lines of text from (`x`, `y`) down (the first line's baseline at `y`), `size` points,
    /// 1.25 line height.
    pub fn text(&mut self, font: Font, size: f32, x: f32, y: f32, lines: &[&str]) {
        let c = &mut *self.content;
        let _ = writeln!(
            c,
            "BT\n/{} {size:.2} Tf\n{:.2} TL\n{:.2} {:.2} Td",
            font.resource(),
            size * 1.25,
            x * PT_PER_MM,
            y * PT_PER_MM
        );
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                c.push_str("T*\n");
            }
            c.push('(');
            escape_into(c, line);
            c.push_str(") Tj\n");
        }
        c.push_str("ET\n");
    }

    /// A filled square with its bottom-left corner at (`x`, `y`).
    pub fn square(&mut self, x: f32, y: f32, side: f32) {
        let _ = writeln!(
            self.content,
            "{:.3} {:.3} {:.3} {:.3} re f",
            x * PT_PER_MM,
            y * PT_PER_MM,
            side * PT_PER_MM,
            side * PT_PER_MM
        );
    }

    /// A QR code's dark modules as squares of `module` mm, its top-left corner at (`x`,
    /// `top`). Returns the code's height in mm.
    pub fn qr(&mut self, modules: &[Vec<bool>], x: f32, top: f32, module: f32) -> f32 {
        for (row, cells) in modules.iter().enumerate() {
            for (col, dark) in cells.iter().enumerate() {
                if *dark {
                    self.square(
                        x + module * col as f32,
                        top - module * (row as f32 + 1.0),
                        module,
                    );
                }
            }
        }
        module * modules.len() as f32
    }

    /// The complete one-page document, titled `title`.
    pub fn finish(self, title: &str) -> Zeroizing<Vec<u8>> {
        let mut objects: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let fonts: String = Font::ALL
            .iter()
            .enumerate()
            .map(|(i, f)| format!("/{} {} 0 R ", f.resource(), 5 + i))
            .collect();
        let plain = |text: String| Zeroizing::new(text.into_bytes());
        objects.push(plain("<< /Type /Catalog /Pages 2 0 R >>".into()));
        objects.push(plain("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into()));
        objects.push(plain(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH_PT} {HEIGHT_PT}] \
             /Resources << /Font << {fonts}>> >> /Contents 4 0 R >>"
        )));
        let mut stream =
            Zeroizing::new(format!("<< /Length {} >>\nstream\n", self.content.len()).into_bytes());
        stream.extend_from_slice(self.content.as_bytes());
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
        for font in Font::ALL {
            objects.push(plain(format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
                font.base_name()
            )));
        }
        let mut info = String::from("<< /Producer (Keyhaven) /Title (");
        escape_into(&mut info, title);
        info.push_str(") >>");
        objects.push(plain(info));

        // The second line's bytes above 127 mark the file as binary (ISO 32000-1, 7.5.2).
        let mut out = Zeroizing::new(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec());
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, object) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(object);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for offset in offsets {
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root 1 0 R /Info {} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1,
            objects.len()
        );
        out.extend_from_slice(table.as_bytes());
        out
    }
}

/// `text` as the inside of a PDF string in WinAnsiEncoding: `\`, `(` and `)` escaped, Latin-1
/// letters as octal escapes, anything the built-in fonts cannot show as `?`.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            '\u{a0}'..='\u{ff}' => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            _ => out.push('?'),
        }
    }
}

/// The recovery kit: the key in large digits, its QR code, and the text kit. `text_kit` names
/// the workspace, server, key ID, kind, dates and instructions; `key` is the 48-digit key.
pub fn recovery_kit(text_kit: &str, key: &str) -> Zeroizing<Vec<u8>> {
    let mut page = Page::new();
    page.text(
        Font::HelveticaBold,
        20.0,
        20.0,
        277.0,
        &["Keyhaven recovery kit"],
    );
    page.text(Font::CourierBold, 15.0, 20.0, 262.0, &[key]);
    // QR code: 1.6 mm modules, top-left corner at (20 mm, 250 mm).
    let height = page.qr(&keyhaven_core::kit::qr_modules(key), 20.0, 250.0, 1.6);
    let lines: Vec<&str> = text_kit.lines().collect();
    page.text(Font::Courier, 8.5, 20.0, 250.0 - height - 10.0, &lines);
    page.finish("Keyhaven recovery kit")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "050875-056529-062183-067837-073491-079145-084799-090453";

    /// The objects the cross-reference table points at, checked against the file's bytes.
    fn check_structure(pdf: &[u8]) {
        let find = |needle: &[u8]| pdf.windows(needle.len()).rposition(|w| w == needle);
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let after = find(b"startxref\n").expect("startxref") + b"startxref\n".len();
        let start: usize = std::str::from_utf8(&pdf[after..])
            .ok()
            .and_then(|rest| rest.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("a startxref offset");
        assert!(
            pdf[start..].starts_with(b"xref\n0 10\n"),
            "startxref points at xref"
        );
        let table = std::str::from_utf8(&pdf[start..]).expect("an ASCII table");
        let entries: Vec<&str> = table.lines().skip(3).take(9).collect();
        for (i, entry) in entries.iter().enumerate() {
            let offset: usize = entry[..10].parse().expect("a 10-digit offset");
            let expected = format!("{} 0 obj\n", i + 1);
            assert!(
                pdf[offset..].starts_with(expected.as_bytes()),
                "object {} at offset {offset}",
                i + 1
            );
        }
        let text = String::from_utf8_lossy(pdf);
        let length: usize = text
            .split("/Length ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a stream length");
        let body = find(b">>\nstream\n").expect("a stream") + b">>\nstream\n".len();
        assert_eq!(
            &pdf[body + length..body + length + 10],
            b"\nendstream",
            "exact length"
        );
    }

    #[test]
    fn a_complete_well_formed_pdf() {
        let pdf = recovery_kit("KEYHAVEN RECOVERY KIT\nWorkspace: Acme", KEY);
        check_structure(&pdf);
    }

    #[test]
    fn the_page_draws_every_dark_module_and_shows_the_key() {
        let pdf = recovery_kit("KEYHAVEN RECOVERY KIT", KEY);
        let text = String::from_utf8_lossy(&pdf);
        let dark = keyhaven_core::kit::qr_modules(KEY)
            .iter()
            .flatten()
            .filter(|d| **d)
            .count();
        assert!(dark > 200, "a 29 x 29 code has hundreds of dark modules");
        let squares = text.lines().filter(|l| l.ends_with(" re f")).count();
        assert_eq!(squares, dark, "one filled square per dark module");
        assert!(
            text.contains(&format!("({KEY}) Tj")),
            "the key in large digits"
        );
    }

    #[test]
    fn text_is_escaped_and_latin1_kept() {
        let mut page = Page::new();
        page.text(Font::Courier, 9.0, 20.0, 20.0, &["a (b) \\ c", "Zoë", "名"]);
        let pdf = page.finish("Title (1)");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(a \\(b\\) \\\\ c) Tj"), "{text}");
        assert!(text.contains("(Zo\\353) Tj"), "ë is WinAnsi 0o353: {text}");
        assert!(text.contains("(?) Tj"), "no built-in glyph: {text}");
        assert!(text.contains("/Title (Title \\(1\\))"), "{text}");
        check_structure(&pdf);
    }
}
