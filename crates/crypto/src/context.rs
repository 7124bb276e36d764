//! Canonical encoding of the context a ciphertext or signature is bound to.
//!
//! Every envelope's associated data, every HPKE `info` and every signed message is a
//! [`Context`]: a purpose label followed by the fields that identify *where* the bytes belong
//! (workspace id, item id, field name, key version, …). Each part is length-prefixed, so no two
//! different field lists encode to the same bytes (`["ab", "c"]` ≠ `["a", "bc"]`), which is what
//! stops a server from moving a ciphertext to another item, field, workspace or key version.
//!
//! Encoding (see `docs/protocol.md`):
//!
//! ```text
//! "KH1" || u32be(len(label)) || label || for each field: u32be(len(field)) || field
//! ```

/// A purpose label plus the ordered fields that bind bytes to their place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    encoded: Vec<u8>,
}

/// Prefix of every encoded context: names the encoding itself, version 1.
const MAGIC: &[u8; 3] = b"KH1";

impl Context {
    /// Starts a context for `label`, one of the labels listed in `docs/protocol.md`.
    pub fn new(label: &str) -> Self {
        let mut encoded = Vec::with_capacity(64);
        encoded.extend_from_slice(MAGIC);
        push_field(&mut encoded, label.as_bytes());
        Self { encoded }
    }

    /// Appends one field.
    #[must_use]
    pub fn field(mut self, value: impl AsRef<[u8]>) -> Self {
        push_field(&mut self.encoded, value.as_ref());
        self
    }

    /// Appends an unsigned integer field (8 bytes, big-endian).
    #[must_use]
    pub fn field_u64(self, value: u64) -> Self {
        self.field(value.to_be_bytes())
    }

    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }
}

fn push_field(out: &mut Vec<u8>, value: &[u8]) {
    let len = u32::try_from(value.len()).expect("context fields are far below 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_length_prefixed() {
        let a = Context::new("item").field("ab").field("c");
        let b = Context::new("item").field("a").field("bc");
        assert_ne!(a, b);
    }

    #[test]
    fn known_encoding() {
        let ctx = Context::new("x").field([7u8]).field_u64(2);
        let expected: Vec<u8> = [
            b"KH1".as_slice(),
            &[0, 0, 0, 1, b'x'],
            &[0, 0, 0, 1, 7],
            &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2],
        ]
        .concat();
        assert_eq!(ctx.as_bytes(), expected.as_slice());
    }
}
