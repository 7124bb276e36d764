//! The audit log, checked on this device: fetch a chain, recompute every event's hash and every
//! link, and compare it with the head this device pinned the last time (`docs/protocol.md`
//! §17).
//!
//! What a passing check proves, and what it does not: the server computes the hashes, so a
//! server (or anyone with write access to its database) that rewrites an event *and* recomputes
//! every hash after it produces a chain that checks. What the check catches is an edit that
//! leaves the hashes alone (a changed, removed or inserted event breaks the hash or the next
//! link), and, against the pinned head, any rewrite, truncation or fork of events this device
//! has already seen. It cannot tell whether an event that should exist was never written.

use keyhaven_core::ids::{AccountId, WorkspaceId};
use keyhaven_crypto::{Context, sha256};
use keyhaven_proto::AuditEvent;

use crate::Client;
use crate::flows::FlowError;

/// The position this device last verified in a chain: the last event's position and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditHead {
    /// Position of the last event.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
}

/// Why a chain does not check out. Every variant names the first event where it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The server returned an event of another chain.
    #[error("event {seq} belongs to another chain ({found}); the server mixed up its logs")]
    WrongChain {
        /// Its position.
        seq: u64,
        /// The chain it names.
        found: String,
    },
    /// Positions do not count up from 0 without gaps.
    #[error(
        "event {seq} is missing: the server returned position {found} in its place (an event \
         was removed or the log reordered)"
    )]
    Gap {
        /// The position expected.
        seq: u64,
        /// The position found.
        found: u64,
    },
    /// The event does not hash to its recorded hash: its contents changed after it was written.
    #[error("event {seq} ({kind}) does not match its hash: it was changed after it was recorded")]
    Tampered {
        /// Its position.
        seq: u64,
        /// Its kind, as it reads now.
        kind: String,
    },
    /// The event does not name the previous event's hash.
    #[error(
        "event {seq} ({kind}) does not link to event {prev}: an event before it was changed, \
         removed or inserted",
        prev = seq.saturating_sub(1)
    )]
    BrokenLink {
        /// Its position.
        seq: u64,
        /// Its kind.
        kind: String,
    },
    /// The chain is shorter than the head this device pinned.
    #[error(
        "the server rolled back or forked this audit log (it returned {len} events; this \
         device has seen {pinned_len})"
    )]
    Rollback {
        /// Events returned.
        len: u64,
        /// Events this device saw.
        pinned_len: u64,
    },
    /// The chain differs from the head this device pinned.
    #[error(
        "the server rolled back or forked this audit log (event {seq} differs from the one \
         this device saw)"
    )]
    Fork {
        /// Position of the pinned head.
        seq: u64,
    },
}

/// The chain of a workspace.
pub fn workspace_chain(ws: WorkspaceId) -> String {
    format!("workspace:{ws}")
}

/// The chain of an account.
pub fn account_chain(account: AccountId) -> String {
    format!("account:{account}")
}

/// A workspace's events, in order (owners and admins).
pub async fn workspace_events(
    client: &Client,
    ws: WorkspaceId,
) -> Result<Vec<AuditEvent>, FlowError> {
    Ok(client
        .get_all(&format!("/v1/workspaces/{ws}/audit"))
        .await?)
}

/// The signed-in account's events, in order.
pub async fn account_events(client: &Client) -> Result<Vec<AuditEvent>, FlowError> {
    Ok(client.get_all("/v1/account/audit").await?)
}

/// Record id → "key <identifier> of <device>": the server records only record ids in device-key
/// events (it never learns identifiers), so they are named on the device that can open them.
pub fn device_key_names(
    keys: &[crate::devices::DeviceKey],
) -> std::collections::HashMap<String, String> {
    keys.iter()
        .map(|k| {
            (
                k.view.id.clone(),
                format!("key {} of {}", k.meta.key_id.as_str(), k.meta.device),
            )
        })
        .collect()
}

/// The named device keys an event's details mention (at most 20 of a batch).
pub fn named_keys(
    event: &AuditEvent,
    names: &std::collections::HashMap<String, String>,
) -> Vec<String> {
    let Ok(details) = serde_json::from_str::<serde_json::Value>(&event.details) else {
        return Vec::new();
    };
    let mut ids: Vec<&str> = details["device_key"].as_str().into_iter().collect();
    if let Some(list) = details["device_keys"].as_array() {
        ids.extend(list.iter().filter_map(|v| v.as_str()).take(20));
    }
    ids.iter()
        .filter_map(|id| names.get(*id).cloned())
        .collect()
}

/// Actor → who, for the accounts the verified `roster` lists (`account:<id>` → their email):
/// the server records account ids only. Actors it does not list stay as recorded.
pub fn actor_names(
    roster: &keyhaven_core::roster::RosterState,
) -> std::collections::HashMap<String, String> {
    roster
        .members
        .iter()
        .map(|(id, m)| (format!("account:{id}"), m.email.clone()))
        .collect()
}

/// An event's actor in words: its name in `names`, else as recorded.
pub fn actor_name<'a>(
    actor: &'a str,
    names: &'a std::collections::HashMap<String, String>,
) -> &'a str {
    names.get(actor).map_or(actor, String::as_str)
}

/// The hash of an event, recomputed from its fields:
///
/// ```text
/// SHA-256(context("audit-event", chain, u64be(seq), i64be(at), actor, kind, details,
///                 prev_hash))
/// ```
///
/// with `context` the length-prefixed encoding of `docs/protocol.md` §3. Written here from the
/// specification, apart from the server's code; both check the worked example of §17.
pub fn event_hash(event: &AuditEvent) -> [u8; 32] {
    let encoded = Context::new("audit-event")
        .field(&event.chain)
        .field_u64(event.seq)
        .field(event.at.to_be_bytes())
        .field(&event.actor)
        .field(&event.kind)
        .field(&event.details)
        .field(&event.prev_hash.0);
    sha256(encoded.as_bytes())
}

/// Checks a whole chain as the server returned it: every event of `chain`, positions 0, 1, …,
/// each linked to the previous event's hash (32 zero bytes before event 0) and hashing to its
/// recorded hash; then, if this device pinned a head, that the chain still holds that exact
/// event. Returns the new head to pin (`None` for an empty chain).
pub fn verify(
    chain: &str,
    events: &[AuditEvent],
    pinned: Option<&AuditHead>,
) -> Result<Option<AuditHead>, AuditError> {
    let mut prev = [0u8; 32];
    let mut head = None;
    for (index, event) in (0u64..).zip(events) {
        if event.chain != chain {
            return Err(AuditError::WrongChain {
                seq: index,
                found: event.chain.clone(),
            });
        }
        if event.seq != index {
            return Err(AuditError::Gap {
                seq: index,
                found: event.seq,
            });
        }
        if event.prev_hash.0 != prev {
            return Err(AuditError::BrokenLink {
                seq: index,
                kind: event.kind.clone(),
            });
        }
        let hash = event_hash(event);
        if event.hash.0 != hash {
            return Err(AuditError::Tampered {
                seq: index,
                kind: event.kind.clone(),
            });
        }
        prev = hash;
        head = Some(AuditHead { seq: index, hash });
    }
    if let Some(pinned) = pinned {
        let len = events.len() as u64;
        match events.get(usize::try_from(pinned.seq).unwrap_or(usize::MAX)) {
            None => {
                return Err(AuditError::Rollback {
                    len,
                    pinned_len: pinned.seq + 1,
                });
            }
            // Every hash was recomputed above, so the recorded one is the event's own.
            Some(event) if event.hash.0 != pinned.hash => {
                return Err(AuditError::Fork { seq: pinned.seq });
            }
            Some(_) => {}
        }
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use keyhaven_proto::Bytes;

    use super::*;

    const CHAIN: &str = "workspace:00000000-0000-4000-8000-000000000001";

    fn event(seq: u64, prev: [u8; 32], kind: &str) -> AuditEvent {
        let mut e = AuditEvent {
            chain: CHAIN.into(),
            seq,
            at: 1_795_305_600 + seq as i64,
            actor: "account:00000000-0000-4000-8000-00000000000a".into(),
            kind: kind.into(),
            details: format!(r#"{{"n":{seq}}}"#),
            prev_hash: Bytes(prev.to_vec()),
            hash: Bytes::default(),
        };
        e.hash = Bytes(event_hash(&e).to_vec());
        e
    }

    fn chain(n: u64) -> Vec<AuditEvent> {
        let mut out: Vec<AuditEvent> = Vec::new();
        for seq in 0..n {
            let prev = out
                .last()
                .map_or([0; 32], |e| e.hash.0.clone().try_into().unwrap());
            out.push(event(seq, prev, "item-added"));
        }
        out
    }

    fn head(events: &[AuditEvent], seq: u64) -> AuditHead {
        AuditHead {
            seq,
            hash: events[seq as usize].hash.0.clone().try_into().unwrap(),
        }
    }

    /// The worked example of `docs/protocol.md` §17, also checked by the server.
    #[test]
    fn known_hash() {
        let e = AuditEvent {
            chain: CHAIN.into(),
            seq: 1,
            at: 1_795_305_600,
            actor: "account:00000000-0000-4000-8000-00000000000a".into(),
            kind: "item-added".into(),
            details: r#"{"item":"00000000-0000-4000-8000-0000000000ff","revision":1}"#.into(),
            prev_hash: Bytes(vec![0x11; 32]),
            hash: Bytes::default(),
        };
        let hex: String = event_hash(&e).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba925ad76fecd28a63691956f19d2eaa07331aca83070bb9c5f9f1566891b2b0"
        );
    }

    #[test]
    fn an_intact_chain_checks_and_gives_its_head() {
        let events = chain(4);
        assert_eq!(
            verify(CHAIN, &events, None).unwrap(),
            Some(head(&events, 3))
        );
        assert_eq!(verify(CHAIN, &[], None).unwrap(), None);
        for seq in 0..4 {
            assert!(verify(CHAIN, &events, Some(&head(&events, seq))).is_ok());
        }
    }

    #[test]
    fn the_first_broken_event_is_named() {
        let events = chain(4);

        let mut edited = events.clone();
        edited[2].details = r#"{"n":99}"#.into();
        assert_eq!(
            verify(CHAIN, &edited, None),
            Err(AuditError::Tampered {
                seq: 2,
                kind: "item-added".into()
            })
        );

        // Rehashing the edited event moves the break to the next link.
        edited[2].hash = Bytes(event_hash(&edited[2]).to_vec());
        assert_eq!(
            verify(CHAIN, &edited, None),
            Err(AuditError::BrokenLink {
                seq: 3,
                kind: "item-added".into()
            })
        );

        let mut removed = events.clone();
        removed.remove(1);
        assert_eq!(
            verify(CHAIN, &removed, None),
            Err(AuditError::Gap { seq: 1, found: 2 })
        );

        let mut moved = events.clone();
        moved[0].chain = "workspace:other".into();
        assert!(matches!(
            verify(CHAIN, &moved, None),
            Err(AuditError::WrongChain { seq: 0, .. })
        ));
    }

    #[test]
    fn a_pinned_head_catches_truncation_and_rewrites() {
        let events = chain(4);
        let pinned = head(&events, 3);
        assert_eq!(
            verify(CHAIN, &events[..3], Some(&pinned)),
            Err(AuditError::Rollback {
                len: 3,
                pinned_len: 4
            })
        );
        // A rewritten history with every hash recomputed checks on its own, but not against
        // the pin.
        let mut rewritten = chain(4);
        rewritten[3] = event(3, head(&rewritten, 2).hash, "item-deleted");
        assert!(verify(CHAIN, &rewritten, None).is_ok());
        assert_eq!(
            verify(CHAIN, &rewritten, Some(&pinned)),
            Err(AuditError::Fork { seq: 3 })
        );
        assert!(
            verify(CHAIN, &rewritten, Some(&head(&events, 2))).is_ok(),
            "events after the pin are new to this device"
        );
    }
}
