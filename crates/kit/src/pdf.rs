//! The recovery kit as a one-page PDF: the key in large digits, its QR code, and the text kit;
//! and the text helper other one-page documents (device-key exports) draw with.

use printpdf::{
    BuiltinFont, Color, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
    Rect, Rgb, TextItem,
};
use zeroize::Zeroizing;

/// Renders the recovery kit. `text_kit` is the text kit (it names the workspace, server, key ID,
/// kind, dates and instructions); `key` is the 48-digit key shown large and encoded in the QR
/// code.
pub fn recovery_kit(text_kit: &str, key: &str) -> Zeroizing<Vec<u8>> {
    render_with(text_kit, key, &PdfSaveOptions::default())
}

fn render_with(text_kit: &str, key: &str, options: &PdfSaveOptions) -> Zeroizing<Vec<u8>> {
    let mut ops = Vec::new();
    let black = Color::Rgb(Rgb {
        r: 0.0,
        g: 0.0,
        b: 0.0,
        icc_profile: None,
    });
    ops.push(Op::SetFillColor { col: black });
    text(
        &mut ops,
        BuiltinFont::HelveticaBold,
        20.0,
        Mm(20.0),
        Mm(277.0),
        &["Keyhaven recovery kit"],
    );
    text(
        &mut ops,
        BuiltinFont::CourierBold,
        15.0,
        Mm(20.0),
        Mm(262.0),
        &[key],
    );

    // QR code: 1.6 mm modules, top-left corner at (20 mm, 250 mm).
    let module = Mm(1.6);
    let modules = keyhaven_core::kit::qr_modules(key);
    for (row, cells) in modules.iter().enumerate() {
        for (col, dark) in cells.iter().enumerate() {
            if *dark {
                let x = Mm(20.0 + module.0 * col as f32);
                let y = Mm(250.0 - module.0 * (row as f32 + 1.0));
                ops.push(Op::DrawRectangle {
                    rectangle: Rect::from_xywh(
                        Pt::from(x),
                        Pt::from(y),
                        Pt::from(module),
                        Pt::from(module),
                    ),
                });
            }
        }
    }
    let lines: Vec<&str> = text_kit.lines().collect();
    let top = 250.0 - 1.6 * modules.len() as f32 - 10.0;
    text(
        &mut ops,
        BuiltinFont::Courier,
        8.5,
        Mm(20.0),
        Mm(top),
        &lines,
    );

    let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);
    let mut warnings = Vec::new();
    let bytes = PdfDocument::new("Keyhaven recovery kit")
        .with_pages(vec![page])
        .save(options, &mut warnings);
    Zeroizing::new(bytes)
}

/// Lines of text from (`x`, `y`) down, in a built-in font (no font file is embedded).
pub fn text(ops: &mut Vec<Op>, font: BuiltinFont, size: f32, x: Mm, y: Mm, lines: &[&str]) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetTextCursor {
        pos: Point::new(x, y),
    });
    ops.push(Op::SetFont {
        font: PdfFontHandle::Builtin(font),
        size: Pt(size),
    });
    ops.push(Op::SetLineHeight {
        lh: Pt(size * 1.25),
    });
    for line in lines {
        ops.push(Op::ShowText {
            items: vec![TextItem::Text((*line).to_owned())],
        });
        ops.push(Op::AddLineBreak);
    }
    ops.push(Op::EndTextSection);
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "050875-056529-062183-067837-073491-079145-084799-090453";

    #[test]
    fn a_complete_pdf() {
        let pdf = recovery_kit("KEYHAVEN RECOVERY KIT\nWorkspace: Acme", KEY);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(5).any(|w| w == b"%%EOF"), "complete");
    }

    #[test]
    fn the_page_draws_every_dark_module_and_shows_the_key() {
        let options = PdfSaveOptions {
            optimize: false,
            ..PdfSaveOptions::default()
        };
        let pdf = render_with("KEYHAVEN RECOVERY KIT", KEY, &options);
        let text = String::from_utf8_lossy(&pdf);
        let dark = keyhaven_core::kit::qr_modules(KEY)
            .iter()
            .flatten()
            .filter(|d| **d)
            .count();
        assert!(dark > 200, "a 29 x 29 code has hundreds of dark modules");
        let rectangles = text
            .lines()
            .filter(|l| l.trim_end().ends_with(" re"))
            .count();
        assert_eq!(rectangles, dark, "one filled rectangle per dark module");
        assert!(text.contains(KEY), "the key is on the page in large digits");
    }
}
