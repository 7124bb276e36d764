//! The shape of a sealed item (`docs/protocol.md` §12.3), checked before one is stored: the
//! server cannot verify the author's signature against keys it does not interpret, but it can
//! refuse bytes that no client could parse, and an item that names another workspace, id or
//! revision than the request it came with. One malformed item then never reaches the clients
//! that list the workspace.

use keyhaven_roster::codec::{DecodeError, Reader};

/// Why an item was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShapeError {
    /// The bytes do not decode as format version 1.
    #[error("the item is not a sealed item: {0}")]
    Malformed(#[from] DecodeError),
    /// The item names another workspace, id or revision than its request.
    #[error("the item names another {0} than the request")]
    Misplaced(&'static str),
    /// An item without fields.
    #[error("the item has no fields")]
    Empty,
}

/// Checks that `bytes` decode as a sealed item of `workspace`/`item` at `revision`.
pub fn check(
    bytes: &[u8],
    workspace: uuid::Uuid,
    item: uuid::Uuid,
    revision: u64,
) -> Result<(), ShapeError> {
    let mut r = Reader::new(bytes);
    r.version(1)?;
    if r.uuid()? != workspace {
        return Err(ShapeError::Misplaced("workspace"));
    }
    if r.uuid()? != item {
        return Err(ShapeError::Misplaced("item id"));
    }
    let _key_version = r.u32()?;
    if r.u64()? != revision {
        return Err(ShapeError::Misplaced("revision"));
    }
    let kind = r.u8()?;
    if !(1..=3).contains(&kind) {
        return Err(ShapeError::Malformed(DecodeError::UnknownTag {
            what: "item kind",
            tag: kind,
        }));
    }
    let _author = r.uuid()?;
    let count = r.u32()?;
    if count == 0 {
        return Err(ShapeError::Empty);
    }
    let mut previous: Option<&str> = None;
    for _ in 0..count {
        let name = r.str()?;
        if previous.is_some_and(|p| p >= name) {
            return Err(ShapeError::Malformed(DecodeError::Invalid("field order")));
        }
        previous = Some(name);
        r.bytes()?;
    }
    let _signature: [u8; 64] = r.array()?;
    r.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use keyhaven_roster::codec::Writer;

    use super::*;

    const WS: uuid::Uuid = uuid::Uuid::from_bytes([1; 16]);
    const ITEM: uuid::Uuid = uuid::Uuid::from_bytes([2; 16]);

    fn item(kind: u8, fields: &[&str]) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(1)
            .array(WS.as_bytes())
            .array(ITEM.as_bytes())
            .u32(1)
            .u64(3)
            .u8(kind)
            .array(&[4; 16])
            .u32(fields.len() as u32);
        for name in fields {
            w.str(name).bytes(&[5; 40]);
        }
        w.array(&[6; 64]);
        w.finish()
    }

    #[test]
    fn a_well_formed_item_passes_and_everything_else_is_named() {
        check(&item(1, &["password", "title"]), WS, ITEM, 3).unwrap();
        let malformed =
            |bytes: &[u8]| matches!(check(bytes, WS, ITEM, 3), Err(ShapeError::Malformed(_)));
        assert!(malformed(&[0, 0, 0]), "the issue's \"AAAA\"");
        assert!(malformed(&[]));
        let mut v2 = item(1, &["title"]);
        v2[0] = 2;
        assert!(malformed(&v2), "an unknown format version");
        assert!(malformed(&item(9, &["title"])), "an unknown kind");
        assert!(malformed(&item(1, &["title", "password"])), "field order");
        let mut long = item(1, &["title"]);
        long.push(0);
        assert!(malformed(&long), "trailing bytes");
        assert_eq!(check(&item(1, &[]), WS, ITEM, 3), Err(ShapeError::Empty));
        let other = uuid::Uuid::from_bytes([9; 16]);
        assert_eq!(
            check(&item(1, &["title"]), other, ITEM, 3),
            Err(ShapeError::Misplaced("workspace"))
        );
        assert_eq!(
            check(&item(1, &["title"]), WS, other, 3),
            Err(ShapeError::Misplaced("item id"))
        );
        assert_eq!(
            check(&item(1, &["title"]), WS, ITEM, 4),
            Err(ShapeError::Misplaced("revision"))
        );
    }
}
