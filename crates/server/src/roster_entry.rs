//! What the server reads from a signed roster entry, without verifying it.
//!
//! The server does not link the code that verifies rosters (`keyhaven-core`), and it does not
//! need to: clients verify every entry themselves. It reads only the few fields at fixed
//! positions (`docs/protocol.md` §10.1–§10.3) that its own bookkeeping needs, so that its
//! membership mirror and its access checks follow the bytes the caller signed rather than a
//! separate claim in the request: the workspace, the position, the signing member, and for a
//! member change the account and role. A wrong reading here could only refuse service or
//! misplace the mirror; it can never make a client accept an entry.

/// The fixed-position fields of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFacts {
    /// Position in the roster.
    pub seq: u64,
    /// The signing member's account id (lower-case UUID), or `None` for the recovery authority.
    pub signer: Option<String>,
    /// What the entry does, as far as the server cares.
    pub body: Body,
}

/// The entry bodies the member endpoints accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Body tag 2.
    AddMember {
        /// Account id.
        account: String,
        /// Role name.
        role: &'static str,
    },
    /// Body tag 3.
    ChangeRole {
        /// Account id.
        account: String,
        /// Role name.
        role: &'static str,
    },
    /// Body tag 4.
    RemoveMember {
        /// Account id.
        account: String,
    },
    /// Body tag 5.
    RelinkMember {
        /// Account id.
        account: String,
    },
    /// Body tag 7.
    RotateWorkspaceKey {
        /// The new version.
        version: u32,
    },
    /// Body tag 8.
    SetEscrowKey {
        /// The new version.
        version: u32,
    },
    /// Genesis or a recovery-key change: never accepted by the member endpoints.
    Other,
}

/// Offsets of §10.1: version (1), workspace (16), seq (8), prev (32), timestamp (8), signer (17).
const WORKSPACE: usize = 1;
const SEQ: usize = 17;
const SIGNER: usize = 65;
const BODY: usize = 82;
const SIGNATURE: usize = 64;
const KEYS: usize = 64;

/// Reads `entry`, which must belong to `workspace_id` (lower-case hyphenated UUID).
pub fn read(entry: &[u8], workspace_id: &str) -> Result<EntryFacts, &'static str> {
    const MALFORMED: &str = "a roster entry is malformed";
    if entry.len() < BODY + 1 + SIGNATURE || entry[0] != 1 {
        return Err(MALFORMED);
    }
    if uuid_at(entry, WORKSPACE) != workspace_id {
        return Err("a roster entry names another workspace");
    }
    let seq = u64::from_be_bytes(entry[SEQ..SEQ + 8].try_into().expect("8 bytes"));
    let signer = match entry[SIGNER] {
        1 => Some(uuid_at(entry, SIGNER + 1)),
        2 => None,
        _ => return Err(MALFORMED),
    };
    let tag = entry[BODY];
    let fields = &entry[BODY + 1..entry.len() - SIGNATURE];
    let account = || uuid_at(entry, BODY + 1);
    let exact = |len: usize| {
        if fields.len() == len {
            Ok(())
        } else {
            Err(MALFORMED)
        }
    };
    let body = match tag {
        2 => {
            // account (16) || str(email) = u32be(len) || bytes || keys (64) || role (1)
            let email_len = fields
                .get(16..20)
                .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
                .ok_or(MALFORMED)?;
            exact(16 + 4 + email_len + KEYS + 1)?;
            Body::AddMember {
                account: account(),
                role: role(fields[fields.len() - 1])?,
            }
        }
        3 => {
            exact(16 + 1)?;
            Body::ChangeRole {
                account: account(),
                role: role(fields[16])?,
            }
        }
        4 => {
            exact(16)?;
            Body::RemoveMember { account: account() }
        }
        5 => {
            exact(16 + KEYS)?;
            Body::RelinkMember { account: account() }
        }
        7 => {
            exact(4)?;
            Body::RotateWorkspaceKey {
                version: u32::from_be_bytes(fields[..4].try_into().expect("4 bytes")),
            }
        }
        8 => {
            exact(4 + 32)?;
            Body::SetEscrowKey {
                version: u32::from_be_bytes(fields[..4].try_into().expect("4 bytes")),
            }
        }
        1 | 6 => Body::Other,
        _ => return Err(MALFORMED),
    };
    Ok(EntryFacts { seq, signer, body })
}

/// The role names of the §10.3 role tags (the names the server mirrors).
fn role(tag: u8) -> Result<&'static str, &'static str> {
    Ok(match tag {
        1 => "owner",
        2 => "admin",
        3 => "member",
        4 => "read-only",
        5 => "helpdesk",
        _ => return Err("a roster entry names an unknown role"),
    })
}

fn uuid_at(entry: &[u8], at: usize) -> String {
    let bytes: [u8; 16] = entry[at..at + 16].try_into().expect("16 bytes");
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: [u8; 16] = [0x11; 16];
    const ALICE: [u8; 16] = [0xa1; 16];
    const BOB: [u8; 16] = [0xb0; 16];

    fn ws() -> String {
        uuid::Uuid::from_bytes(WS).to_string()
    }

    /// An entry laid out as §10.1 says, with a zero signature.
    fn entry(seq: u64, body: &[u8]) -> Vec<u8> {
        let mut e = vec![1];
        e.extend_from_slice(&WS);
        e.extend_from_slice(&seq.to_be_bytes());
        e.extend_from_slice(&[7; 32]);
        e.extend_from_slice(&1_800_000_000u64.to_be_bytes());
        e.push(1);
        e.extend_from_slice(&ALICE);
        e.extend_from_slice(body);
        e.extend_from_slice(&[0; 64]);
        e
    }

    #[test]
    fn reads_member_changes() {
        let mut add = vec![2];
        add.extend_from_slice(&BOB);
        add.extend_from_slice(&7u32.to_be_bytes());
        add.extend_from_slice(b"b@x.org");
        add.extend_from_slice(&[9; 64]);
        add.push(5);
        let facts = read(&entry(4, &add), &ws()).unwrap();
        assert_eq!(facts.seq, 4);
        assert_eq!(
            facts.signer.as_deref(),
            Some(uuid::Uuid::from_bytes(ALICE).to_string().as_str())
        );
        let bob = uuid::Uuid::from_bytes(BOB).to_string();
        assert_eq!(
            facts.body,
            Body::AddMember {
                account: bob.clone(),
                role: "helpdesk"
            }
        );

        let mut change = vec![3];
        change.extend_from_slice(&BOB);
        change.push(4);
        assert_eq!(
            read(&entry(5, &change), &ws()).unwrap().body,
            Body::ChangeRole {
                account: bob.clone(),
                role: "read-only"
            }
        );
        let mut rotate = vec![7];
        rotate.extend_from_slice(&3u32.to_be_bytes());
        assert_eq!(
            read(&entry(6, &rotate), &ws()).unwrap().body,
            Body::RotateWorkspaceKey { version: 3 }
        );
    }

    #[test]
    fn refuses_what_does_not_fit() {
        let mut remove = vec![4];
        remove.extend_from_slice(&BOB);
        let good = entry(3, &remove);
        assert!(read(&good, &ws()).is_ok());
        let other = uuid::Uuid::from_bytes([0x22; 16]).to_string();
        assert!(read(&good, &other).is_err(), "another workspace");
        assert!(read(&good[..good.len() - 1], &ws()).is_err(), "truncated");
        let mut longer = remove.clone();
        longer.push(0);
        assert!(read(&entry(3, &longer), &ws()).is_err(), "trailing bytes");
        let mut bad_role = vec![3];
        bad_role.extend_from_slice(&BOB);
        bad_role.push(9);
        assert!(read(&entry(3, &bad_role), &ws()).is_err());
        assert!(read(&[], &ws()).is_err());
    }
}
