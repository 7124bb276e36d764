//! Shared text handling for the device-key parsers: byte-order-mark sniffing and the
//! "groups of characters separated by dashes" shape that all three key kinds share.
//!
//! Pure functions over byte slices and strings; the callers do the I/O.

use zeroize::Zeroizing;

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
