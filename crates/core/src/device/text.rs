//! Shared text handling for the device-key parsers: byte-order-mark sniffing and the
//! "groups of characters separated by dashes" shape that all three key kinds share.
//!
//! Pure functions over byte slices and strings; the callers do the I/O.

use zeroize::Zeroizing;

/// Why a byte buffer could not be turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// The buffer looks like UTF-16 (byte-order mark or NUL bytes) but has an odd length.
    #[error("the text is UTF-16 but has an odd number of bytes")]
    OddUtf16Length,
    /// The buffer is UTF-16 but contains an unpaired surrogate.
    #[error("the text is UTF-16 but contains an invalid character")]
    InvalidUtf16,
    /// The buffer has no UTF-16 byte-order mark and is not valid UTF-8.
    #[error("the text is neither UTF-16 nor valid UTF-8")]
    InvalidUtf8,
}

/// Decodes text the way Windows tools write it.
///
/// - `FF FE` → UTF-16LE (Notepad's "Unicode", PowerShell 5 `Out-File`, BitLocker's `.txt`);
/// - `FE FF` → UTF-16BE;
/// - `EF BB BF` → UTF-8 with BOM;
/// - no BOM but a NUL in the second (first) byte → UTF-16LE (BE) without BOM;
/// - anything else must be UTF-8.
///
/// The result is zeroized on drop because these files carry recovery keys; the capacity is
/// reserved up front so no reallocation leaves a stray copy behind.
pub(crate) fn decode(bytes: &[u8]) -> Result<Zeroizing<String>, EncodingError> {
    match bytes {
        [0xFF, 0xFE, rest @ ..] => decode_utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => decode_utf16(rest, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, rest @ ..] => decode_utf8(rest),
        [first, 0, ..] if *first != 0 => decode_utf16(bytes, u16::from_le_bytes),
        [0, second, ..] if *second != 0 => decode_utf16(bytes, u16::from_be_bytes),
        _ => decode_utf8(bytes),
    }
}

fn decode_utf8(bytes: &[u8]) -> Result<Zeroizing<String>, EncodingError> {
    let text = std::str::from_utf8(bytes).map_err(|_| EncodingError::InvalidUtf8)?;
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    out.push_str(text);
    Ok(out)
}

fn decode_utf16(
    bytes: &[u8],
    unit: fn([u8; 2]) -> u16,
) -> Result<Zeroizing<String>, EncodingError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(EncodingError::OddUtf16Length);
    }
    // One UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4 bytes).
    let mut out = Zeroizing::new(String::with_capacity(bytes.len() / 2 * 3));
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    for c in char::decode_utf16(units) {
        out.push(c.map_err(|_| EncodingError::InvalidUtf16)?);
    }
    Ok(out)
}

/// Encodes ASCII/Unicode text as UTF-16LE with a byte-order mark, into a zeroizing buffer.
pub(crate) fn encode_utf16le_with_bom(text: &str) -> Zeroizing<Vec<u8>> {
    let units = text.encode_utf16().count();
    let mut out = Zeroizing::new(Vec::with_capacity(2 + 2 * units));
    out.extend_from_slice(&[0xFF, 0xFE]);
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// Lines of `text`, trimmed, split on LF or CRLF (and a stray CR), with a leading U+FEFF
/// removed in case the caller decoded the bytes without stripping the byte-order mark.
pub(crate) fn trimmed_lines(text: &str) -> impl Iterator<Item = &str> {
    text.trim_start_matches('\u{FEFF}')
        .split(['\n', '\r'])
        .map(str::trim)
}

/// If `line` starts with `label` (ASCII case-insensitive), the rest of the line.
pub(crate) fn strip_label<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let head = line.get(..label.len())?;
    head.eq_ignore_ascii_case(label)
        .then(|| &line[label.len()..])
}

/// Why text did not have the `groups × group_len` shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShapeError {
    /// A character that is neither accepted nor a separator; `group` is 1-based.
    Character { group: usize, found: char },
    /// The text is split into exactly `groups` parts but one has the wrong length.
    GroupLength { group: usize, found: usize },
    /// The number of accepted characters is wrong.
    Length { found: usize },
}

/// Whether `c` separates groups: a hyphen, any Unicode whitespace (spaces, tabs, NBSP), or one
/// of the dashes word processors substitute for a hyphen (U+2010..U+2015, U+2212).
pub(crate) fn is_separator(c: char) -> bool {
    c == '-' || c.is_whitespace() || matches!(c, '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// Reads `text` as `groups` groups of `group_len` characters into `out`
/// (`out.len() == groups * group_len`), each character mapped by `accept`.
///
/// Accepted layouts: groups separated by [`is_separator`] runs, or no separators at all, with
/// surrounding whitespace ignored. When the text is split into exactly `groups` parts, a part of
/// the wrong length is reported as that group; otherwise only the total count matters, so a
/// misplaced separator is harmless (each group still carries its own check where the format has
/// one).
pub(crate) fn read_groups(
    text: &str,
    groups: usize,
    group_len: usize,
    accept: impl Fn(char) -> Option<u8>,
    out: &mut [u8],
) -> Result<(), ShapeError> {
    debug_assert_eq!(out.len(), groups * group_len);
    let mut count = 0usize;
    // Lengths of the separated parts seen so far (only the first `groups` are kept).
    let mut parts = 0usize;
    let mut part_lens = [0usize; 8];
    let mut current = 0usize;
    let mut saw_separator = false;
    for c in text.trim().chars() {
        if let Some(value) = accept(c) {
            if let Some(slot) = out.get_mut(count) {
                *slot = value;
            }
            count += 1;
            current += 1;
        } else if is_separator(c) {
            saw_separator = true;
            if current > 0 {
                if let Some(len) = part_lens.get_mut(parts) {
                    *len = current;
                }
                parts += 1;
                current = 0;
            }
        } else {
            let group = if saw_separator {
                parts + 1
            } else {
                count / group_len + 1
            };
            return Err(ShapeError::Character {
                group: group.min(groups),
                found: c,
            });
        }
    }
    if current > 0 {
        if let Some(len) = part_lens.get_mut(parts) {
            *len = current;
        }
        parts += 1;
    }
    if parts == groups
        && groups <= part_lens.len()
        && let Some(index) = part_lens[..groups].iter().position(|&len| len != group_len)
    {
        return Err(ShapeError::GroupLength {
            group: index + 1,
            found: part_lens[index],
        });
    }
    if count != out.len() {
        return Err(ShapeError::Length { found: count });
    }
    Ok(())
}

/// Writes `chars` (ASCII) as groups of `group_len` joined by `-`.
pub(crate) fn join_groups(chars: &[u8], group_len: usize) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(chars.len() + chars.len() / group_len));
    for (i, group) in chars.chunks(group_len).enumerate() {
        if i > 0 {
            out.push('-');
        }
        out.extend(group.iter().map(|&b| char::from(b)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_boms() {
        assert_eq!(decode(b"\xEF\xBB\xBFab").unwrap().as_str(), "ab");
        assert_eq!(decode(b"\xFF\xFEa\0b\0").unwrap().as_str(), "ab");
        assert_eq!(decode(b"\xFE\xFF\0a\0b").unwrap().as_str(), "ab");
        assert_eq!(decode(b"a\0b\0").unwrap().as_str(), "ab");
        assert_eq!(decode(b"ab").unwrap().as_str(), "ab");
        assert_eq!(decode(b"").unwrap().as_str(), "");
    }

    #[test]
    fn rejects_bad_encodings() {
        assert_eq!(decode(b"\xFF\xFEa"), Err(EncodingError::OddUtf16Length));
        assert_eq!(
            decode(b"\xFF\xFE\x00\xD8"),
            Err(EncodingError::InvalidUtf16)
        );
        assert_eq!(decode(b"\xC3("), Err(EncodingError::InvalidUtf8));
    }

    #[test]
    fn encodes_utf16le() {
        assert_eq!(
            encode_utf16le_with_bom("A\r\n").as_slice(),
            b"\xFF\xFEA\0\r\0\n\0"
        );
    }

    #[test]
    fn labels_are_case_insensitive() {
        assert_eq!(strip_label("IDENTIFIER: x", "identifier:"), Some(" x"));
        assert_eq!(strip_label("Ident", "identifier:"), None);
        assert_eq!(strip_label("é", "e"), None);
    }

    fn digits(text: &str) -> Result<Vec<u8>, ShapeError> {
        let mut out = vec![0; 6];
        read_groups(text, 3, 2, |c| c.to_digit(10).map(|d| d as u8), &mut out).map(|()| out)
    }

    #[test]
    fn group_shapes() {
        assert_eq!(digits("12-34-56").unwrap(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(digits(" 12 34\t56 ").unwrap(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(digits("123456").unwrap(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(digits("1-23456").unwrap(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(
            digits("12-345-6"),
            Err(ShapeError::GroupLength { group: 2, found: 3 })
        );
        assert_eq!(digits("12-34"), Err(ShapeError::Length { found: 4 }));
        assert_eq!(
            digits("12-3x-56"),
            Err(ShapeError::Character {
                group: 2,
                found: 'x'
            })
        );
        assert_eq!(
            digits("123x56"),
            Err(ShapeError::Character {
                group: 2,
                found: 'x'
            })
        );
        assert_eq!(
            digits("1234567890x"),
            Err(ShapeError::Character {
                group: 3,
                found: 'x'
            })
        );
    }
}
