//! Writes Keyhaven's own test vectors to `docs/vectors/`.
//!
//! Run with `cargo run -p keyhaven-core --example gen_vectors` from the repository root. The
//! committed files are authoritative: `crates/core/tests/vectors.rs` checks the code against
//! them, so a change that breaks one is a format change and needs a new format version.
//! Everything is deterministic except HPKE ephemeral keys and item nonces, which are random by
//! design; regenerating rewrites those bytes, and the tests check their meaning (they open).

use std::collections::BTreeMap;

use keyhaven_core::account::{AccountKeys, AccountPublicKeys};
use keyhaven_core::blind_index::BlindIndexKey;
use keyhaven_core::ids::{AccountId, ItemId, RecoveryKeyId, WorkspaceId};
use keyhaven_core::item::{ItemKind, ItemPlace, ItemPlain, SealedItem};
use keyhaven_core::recovery_key::RecoveryKey;
use keyhaven_core::roster::{
    self, EntryBody, RecoveryKeyRecord, RecoveryKind, Role, RosterState, SignedEntry, Signer,
};
use keyhaven_core::share::{KeyShare, ShareHeader, ShareRecipient, SharedKey};
use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_crypto::kdf::{self, Label};
use keyhaven_crypto::secret::SecretBytes;
use keyhaven_crypto::sign::SigningKey;
use keyhaven_crypto::{Context, SymmetricKey, envelope};
use serde_json::{Value, json};

const T0: u64 = 1_795_305_600; // 2026-11-22T00:00:00Z
const DAY: u64 = 86_400;

fn main() {
    let dir = std::path::Path::new("docs/vectors");
    assert!(dir.is_dir(), "run from the repository root");
    write(dir, "recovery-key.json", recovery_key_vectors());
    write(dir, "derivations.json", derivation_vectors());
    write(dir, "envelope.json", envelope_vectors());
    let fixture = Fixture::new();
    write(dir, "roster.json", fixture.roster_vectors());
    write(dir, "share.json", fixture.share_vectors());
    write(dir, "item.json", fixture.item_vectors());
}

fn write(dir: &std::path::Path, name: &str, value: Value) {
    let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
    std::fs::write(dir.join(name), text).unwrap();
    println!("wrote docs/vectors/{name}");
}

fn bytes16(n: u8) -> [u8; 16] {
    core::array::from_fn(|i| n.wrapping_mul(17).wrapping_add(i as u8))
}

fn bytes32(n: u8) -> [u8; 32] {
    core::array::from_fn(|i| n.wrapping_mul(31).wrapping_add(i as u8))
}

fn uuid(n: u8) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(bytes16(n)).into_uuid()
}

fn recovery_key_vectors() -> Value {
    let valid: Vec<Value> = [0u8, 1, 2, 0xff]
        .iter()
        .map(|&n| {
            let secret = if n == 0xff {
                [0xff; 16]
            } else if n == 0 {
                [0; 16]
            } else {
                bytes16(n)
            };
            let key = RecoveryKey::from_bytes(secret);
            let text = key.encode().to_string();
            json!({
                "secret": hex::encode(secret),
                "text": text,
                "also_accepted": [text.replace('-', " "), text.replace('-', ""),
                                  format!("  {}\n", text)],
            })
        })
        .collect();
    let good = RecoveryKey::from_bytes(bytes16(1)).encode().to_string();
    let mut invalid = Vec::new();
    let mut case =
        |input: String, error: &str| invalid.push(json!({"input": input, "error": error}));
    let mut g3 = good.clone();
    g3.replace_range(14..20, &bump(&good[14..20]));
    case(g3, "group 3 is not divisible by 11");
    let mut g1 = good.clone();
    g1.replace_range(0..6, "720896");
    case(g1, "group 1 is above 720885");
    case(
        good[..good.len() - 7].to_string(),
        "a recovery password has 48 digits, found 42",
    );
    let mut letter = good.clone();
    letter.replace_range(30..31, "O");
    case(letter, "group 5 contains 'O', which is not a digit");
    json!({
        "description": "Workspace recovery key text: 48 digits, 8 groups of 6, group i = 11 x the \
                        i-th little-endian 16-bit word of the 16-byte secret.",
        "valid": valid,
        "invalid": invalid,
    })
}

/// Changes the last digit so the group is no longer a multiple of 11.
fn bump(group: &str) -> String {
    let mut digits: Vec<u8> = group.bytes().collect();
    digits[5] = if digits[5] == b'9' {
        b'0'
    } else {
        digits[5] + 1
    };
    String::from_utf8(digits).unwrap()
}

fn derivation_vectors() -> Value {
    let workspace = WorkspaceId(uuid(1));
    let key = RecoveryKey::from_bytes(bytes16(7));
    let d = key.derive(workspace);
    let (recipient, authority) = d.public();
    let export = [0x42u8; 64];
    let wrap = kdf::derive_key(&export, AccountId(uuid(2)).as_bytes(), Label::AccountWrap);
    let wk = SymmetricKey::from_bytes(bytes32(3));
    let item_key = keyhaven_core::item::derive_item_key(&wk, workspace);
    let escrow = RecipientSecretKey::from_bytes(bytes32(4));
    let blind = BlindIndexKey::derive(&escrow, workspace);
    let protector = uuid(9);
    json!({
        "workspace_id": workspace.to_string(),
        "recovery": {
            "secret": hex::encode(key.expose()),
            "x25519_secret": hex::encode(d.recipient.expose()),
            "x25519_public": hex::encode(recipient.to_bytes()),
            "ed25519_seed": hex::encode(*d.authority.to_seed()),
            "ed25519_public": hex::encode(authority.to_bytes()),
            "proof": hex::encode(*d.proof),
            "proof_verifier": hex::encode(d.proof_verifier()),
        },
        "account_wrap": {
            "account_id": AccountId(uuid(2)).to_string(),
            "export_key": hex::encode(export),
            "wrap_key": hex::encode(wrap.expose()),
        },
        "item_key": {"workspace_key": hex::encode(wk.expose()), "item_key": hex::encode(item_key.expose())},
        "blind_index": {
            "escrow_secret": hex::encode(escrow.expose()),
            "identifier": protector.hyphenated().to_string(),
            "identifier_index": hex::encode(blind.identifier(&protector)),
            "prefix_index": hex::encode(blind.identifier_prefix(&protector)),
            "device_name": "  Finance Laptop 07 ",
            "device_name_index": hex::encode(blind.device_name("  Finance Laptop 07 ")),
        },
    })
}

fn envelope_vectors() -> Value {
    let cases: Vec<Value> = [
        (
            "item-field",
            vec!["w".to_string(), "i".to_string()],
            "hello",
        ),
        ("account-keys", vec![], ""),
        (
            "test",
            vec!["a".to_string(), "".to_string(), "bc".to_string()],
            "multi\nline",
        ),
    ]
    .iter()
    .enumerate()
    .map(|(n, (label, fields, plain))| {
        let key = SymmetricKey::from_bytes(bytes32(n as u8 + 10));
        let nonce: [u8; 24] = core::array::from_fn(|i| (n * 24 + i) as u8);
        let ctx = fields.iter().fold(Context::new(label), |c, f| c.field(f));
        let sealed = envelope::seal_with_nonce(&key, &ctx, plain.as_bytes(), &nonce);
        json!({
            "key": hex::encode(key.expose()),
            "nonce": hex::encode(nonce),
            "context_label": label,
            "context_fields": fields,
            "context_encoding": hex::encode(ctx.as_bytes()),
            "plaintext": plain,
            "envelope": hex::encode(sealed),
        })
    })
    .collect();
    json!({
        "description": "XChaCha20-Poly1305 envelope v1: 0x01 || nonce(24) || ct || tag; \
                        AAD = 0x01 || context encoding.",
        "cases": cases,
    })
}

struct Person {
    id: AccountId,
    email: String,
    keys: AccountKeys,
}

impl Person {
    fn new(n: u8, name: &str) -> Self {
        Self {
            id: AccountId(uuid(100 + n)),
            email: format!("{name}@example.com"),
            keys: AccountKeys {
                encryption: RecipientSecretKey::from_bytes(bytes32(100 + n)),
                signing: SigningKey::from_seed(&bytes32(200 + n)),
            },
        }
    }
    fn public(&self) -> AccountPublicKeys {
        self.keys.public()
    }
}

struct Fixture {
    workspace: WorkspaceId,
    owner: Person,
    owner_new: AccountKeys,
    admin: Person,
    member: Person,
    helpdesk: Person,
    outsider: Person,
    recovery_id: RecoveryKeyId,
    recovery: RecoveryKey,
    permanent_id: RecoveryKeyId,
    permanent: RecoveryKey,
    escrow: RecipientSecretKey,
}

impl Fixture {
    fn new() -> Self {
        Self {
            workspace: WorkspaceId(uuid(50)),
            owner: Person::new(1, "owner"),
            owner_new: Person::new(11, "owner").keys,
            admin: Person::new(2, "admin"),
            member: Person::new(3, "member"),
            helpdesk: Person::new(4, "helpdesk"),
            outsider: Person::new(5, "outsider"),
            recovery_id: RecoveryKeyId(uuid(60)),
            recovery: RecoveryKey::from_bytes(bytes16(60)),
            permanent_id: RecoveryKeyId(uuid(61)),
            permanent: RecoveryKey::from_bytes(bytes16(61)),
            escrow: RecipientSecretKey::from_bytes(bytes32(70)),
        }
    }

    fn recovery_record(
        &self,
        id: RecoveryKeyId,
        key: &RecoveryKey,
        kind: RecoveryKind,
    ) -> RecoveryKeyRecord {
        let (recipient, authority) = key.derive(self.workspace).public();
        RecoveryKeyRecord {
            id,
            kind,
            recipient,
            authority,
        }
    }

    fn genesis(&self) -> SignedEntry {
        roster::UnsignedEntry {
            workspace: self.workspace,
            seq: 0,
            prev: [0; 32],
            timestamp: T0,
            signer: Signer::Member(self.owner.id),
            body: EntryBody::Genesis {
                name: "Acme".into(),
                owner: self.owner.id,
                email: self.owner.email.clone(),
                keys: self.owner.public(),
            },
        }
        .sign(&self.owner.keys.signing)
    }

    /// The valid chain, built step by step.
    fn valid_chain(&self) -> Vec<SignedEntry> {
        let mut chain = vec![self.genesis()];
        let mut state = RosterState::from_genesis(self.workspace, &chain[0]).unwrap();
        let temporary = RecoveryKind::Temporary {
            expires_at: T0 + 30 * DAY,
        };
        let authority = self.recovery.derive(self.workspace).authority;
        let steps: Vec<(u64, Signer, &SigningKey, EntryBody)> = vec![
            (
                T0,
                Signer::Member(self.owner.id),
                &self.owner.keys.signing,
                EntryBody::SetRecoveryKey(self.recovery_record(
                    self.recovery_id,
                    &self.recovery,
                    temporary,
                )),
            ),
            (
                T0,
                Signer::Member(self.owner.id),
                &self.owner.keys.signing,
                EntryBody::SetEscrowKey {
                    version: 1,
                    public: self.escrow.public_key(),
                },
            ),
            (
                T0 + 60,
                Signer::Member(self.owner.id),
                &self.owner.keys.signing,
                EntryBody::AddMember {
                    account: self.admin.id,
                    email: self.admin.email.clone(),
                    keys: self.admin.public(),
                    role: Role::Admin,
                },
            ),
            (
                T0 + 120,
                Signer::Member(self.admin.id),
                &self.admin.keys.signing,
                EntryBody::AddMember {
                    account: self.member.id,
                    email: self.member.email.clone(),
                    keys: self.member.public(),
                    role: Role::Member,
                },
            ),
            (
                T0 + 180,
                Signer::Member(self.owner.id),
                &self.owner.keys.signing,
                EntryBody::AddMember {
                    account: self.helpdesk.id,
                    email: self.helpdesk.email.clone(),
                    keys: self.helpdesk.public(),
                    role: Role::Helpdesk,
                },
            ),
            (
                T0 + 240,
                Signer::Member(self.admin.id),
                &self.admin.keys.signing,
                EntryBody::ChangeRole {
                    account: self.member.id,
                    role: Role::ReadOnly,
                },
            ),
            (
                T0 + 300,
                Signer::Member(self.admin.id),
                &self.admin.keys.signing,
                EntryBody::RotateWorkspaceKey { version: 2 },
            ),
            (
                T0 + DAY,
                Signer::RecoveryAuthority(self.recovery_id),
                &authority,
                EntryBody::RelinkMember {
                    account: self.owner.id,
                    keys: self.owner_new.public(),
                },
            ),
            (
                T0 + 2 * DAY,
                Signer::Member(self.owner.id),
                &self.owner_new.signing,
                EntryBody::SetRecoveryKey(self.recovery_record(
                    self.permanent_id,
                    &self.permanent,
                    RecoveryKind::Permanent,
                )),
            ),
            (
                T0 + 2 * DAY,
                Signer::Member(self.owner.id),
                &self.owner_new.signing,
                EntryBody::RemoveMember {
                    account: self.helpdesk.id,
                },
            ),
        ];
        for (timestamp, signer, key, body) in steps {
            let entry = state.next_entry(timestamp, signer, body).sign(key);
            state.apply(&entry).expect("the valid chain is valid");
            chain.push(entry);
        }
        chain
    }

    /// `prefix` of the valid chain, then one more entry.
    fn extend(
        &self,
        prefix: usize,
        timestamp: u64,
        signer: Signer,
        key: &SigningKey,
        body: EntryBody,
    ) -> Vec<SignedEntry> {
        let mut chain: Vec<SignedEntry> = self.valid_chain()[..prefix].to_vec();
        let state = roster::verify(self.workspace, &chain, None).unwrap();
        chain.push(state.next_entry(timestamp, signer, body).sign(key));
        chain
    }

    fn roster_vectors(&self) -> Value {
        let valid = self.valid_chain();
        let state = roster::verify(self.workspace, &valid, None).unwrap();
        let mut cases = vec![case("valid", &valid, None, "ok")];

        let mut forged = valid.clone();
        forged[4].signature.0[10] ^= 0x01;
        cases.push(case(
            "forged-signature",
            &forged,
            None,
            "BadSignature { seq: 4 }",
        ));

        let unauthorized = self.extend(
            5,
            T0 + 200,
            Signer::Member(self.member.id),
            &self.member.keys.signing,
            EntryBody::AddMember {
                account: self.outsider.id,
                email: self.outsider.email.clone(),
                keys: self.outsider.public(),
                role: Role::Admin,
            },
        );
        cases.push(case(
            "unauthorized-signer",
            &unauthorized,
            None,
            "Unauthorized { seq: 5, reason: \"only owners and admins sign roster changes\" }",
        ));

        let outsider = self.extend(
            5,
            T0 + 200,
            Signer::Member(self.outsider.id),
            &self.outsider.keys.signing,
            EntryBody::RotateWorkspaceKey { version: 2 },
        );
        cases.push(case(
            "signer-not-in-workspace",
            &outsider,
            None,
            "UnknownSigner { seq: 5 }",
        ));

        let authority = self.recovery.derive(self.workspace).authority;
        let expired = self.extend(
            3,
            T0 + 31 * DAY,
            Signer::RecoveryAuthority(self.recovery_id),
            &authority,
            EntryBody::RelinkMember {
                account: self.owner.id,
                keys: self.owner_new.public(),
            },
        );
        cases.push(case(
            "expired-recovery-authority",
            &expired,
            None,
            "RecoveryKeyExpired { seq: 3 }",
        ));

        let not_owner = self.extend(
            5,
            T0 + 200,
            Signer::RecoveryAuthority(self.recovery_id),
            &authority,
            EntryBody::RelinkMember {
                account: self.member.id,
                keys: self.outsider.public(),
            },
        );
        cases.push(case(
            "recovery-authority-relinks-non-owner",
            &not_owner,
            None,
            "Unauthorized { seq: 5, reason: \"the recovery key may only relink owners\" }",
        ));

        let pinned = state.head;
        cases.push(case(
            "rollback",
            &valid[..8],
            Some(pinned),
            "Rollback { len: 8, pinned_len: 11 }",
        ));

        let pinned7 = roster::verify(self.workspace, &valid[..8], None)
            .unwrap()
            .head;
        let fork = self.extend(
            7,
            T0 + 301,
            Signer::Member(self.admin.id),
            &self.admin.keys.signing,
            EntryBody::RotateWorkspaceKey { version: 2 },
        );
        cases.push(case("fork", &fork, Some(pinned7), "Fork { seq: 7 }"));

        let mut broken = valid.clone();
        broken.remove(3);
        cases.push(case(
            "missing-entry",
            &broken,
            None,
            "BadSequence { seq: 4 }",
        ));

        cases.push(case("pinned-head-matches", &valid, Some(pinned7), "ok"));

        json!({
            "description": "Roster chains. Each case: the workspace id, entries (hex), an optional \
                            pinned head, and the expected result (\"ok\" or the Debug form of RosterError).",
            "workspace_id": self.workspace.to_string(),
            "valid_final_state": {
                "members": state.members.iter().map(|(id, m)| json!({"account": id.to_string(), "email": m.email, "role": format!("{:?}", m.role)})).collect::<Vec<_>>(),
                "workspace_key_version": state.workspace_key_version,
                "recovery_key_id": state.recovery.unwrap().id.to_upper(),
                "head_seq": state.head.seq,
                "head_hash": hex::encode(state.head.hash),
            },
            "cases": cases,
        })
    }

    fn share_vectors(&self) -> Value {
        let valid = self.valid_chain();
        let wk2 = SymmetricKey::from_bytes(bytes32(80));
        let header = |recipient, key, signer| ShareHeader {
            workspace: self.workspace,
            recipient,
            key,
            signer,
            timestamp: T0 + 3 * DAY,
        };
        let admin_signer = Signer::Member(self.admin.id);
        let to_member = KeyShare::seal(
            header(
                ShareRecipient::Member(self.member.id),
                SharedKey::Workspace(2),
                admin_signer,
            ),
            &self.member.public().encryption,
            wk2.expose(),
            &self.admin.keys.signing,
        )
        .unwrap();
        let to_recovery = KeyShare::seal(
            header(
                ShareRecipient::Recovery(self.permanent_id),
                SharedKey::Workspace(2),
                admin_signer,
            ),
            &self.permanent.derive(self.workspace).recipient.public_key(),
            wk2.expose(),
            &self.admin.keys.signing,
        )
        .unwrap();
        let escrow_to_admin = KeyShare::seal(
            header(
                ShareRecipient::Member(self.admin.id),
                SharedKey::Escrow(1),
                Signer::Member(self.owner.id),
            ),
            &self.admin.public().encryption,
            self.escrow.expose(),
            &self.owner_new.signing,
        )
        .unwrap();
        let by_member = KeyShare::seal(
            header(
                ShareRecipient::Member(self.admin.id),
                SharedKey::Workspace(2),
                Signer::Member(self.member.id),
            ),
            &self.admin.public().encryption,
            wk2.expose(),
            &self.member.keys.signing,
        )
        .unwrap();
        let future = KeyShare::seal(
            header(
                ShareRecipient::Member(self.member.id),
                SharedKey::Workspace(3),
                admin_signer,
            ),
            &self.member.public().encryption,
            wk2.expose(),
            &self.admin.keys.signing,
        )
        .unwrap();
        let mut tampered = to_member.clone();
        tampered.timestamp += 1;
        let escrow_to_readonly = KeyShare::seal(
            header(
                ShareRecipient::Member(self.member.id),
                SharedKey::Escrow(1),
                admin_signer,
            ),
            &self.member.public().encryption,
            self.escrow.expose(),
            &self.admin.keys.signing,
        )
        .unwrap();
        let share_case =
            |name: &str, share: &KeyShare, secret: &RecipientSecretKey, expect: Value| {
                json!({
                    "name": name,
                    "share": hex::encode(share.to_bytes()),
                    "recipient_secret": hex::encode(secret.expose()),
                    "expect": expect,
                })
            };
        let cases = vec![
            share_case(
                "workspace-key-to-member",
                &to_member,
                &self.member.keys.encryption,
                json!({"key": hex::encode(wk2.expose())}),
            ),
            share_case(
                "workspace-key-to-recovery-key",
                &to_recovery,
                &self.permanent.derive(self.workspace).recipient,
                json!({"key": hex::encode(wk2.expose())}),
            ),
            share_case(
                "escrow-key-to-admin",
                &escrow_to_admin,
                &self.admin.keys.encryption,
                json!({"key": hex::encode(self.escrow.expose())}),
            ),
            share_case(
                "signed-by-plain-member",
                &by_member,
                &self.admin.keys.encryption,
                json!({"error": "UnauthorizedSigner"}),
            ),
            share_case(
                "unknown-key-version",
                &future,
                &self.member.keys.encryption,
                json!({"error": "UnknownKeyVersion"}),
            ),
            share_case(
                "altered-after-signing",
                &tampered,
                &self.member.keys.encryption,
                json!({"error": "BadSignature"}),
            ),
            share_case(
                "escrow-key-to-read-only-member",
                &escrow_to_readonly,
                &self.member.keys.encryption,
                json!({"error": "RecipientNotEntitled"}),
            ),
        ];
        json!({
            "description": "Signed HPKE key shares checked against the valid roster of roster.json.",
            "workspace_id": self.workspace.to_string(),
            "roster": valid.iter().map(|e| hex::encode(e.to_bytes())).collect::<Vec<_>>(),
            "cases": cases,
        })
    }

    fn item_vectors(&self) -> Value {
        let valid = self.valid_chain();
        let wk2 = SymmetricKey::from_bytes(bytes32(80));
        let place = ItemPlace {
            workspace: self.workspace,
            id: ItemId(uuid(90)),
            key_version: 2,
            revision: 3,
        };
        let mut fields = BTreeMap::new();
        fields.insert(
            "password".to_string(),
            SecretBytes::new(b"correct horse battery staple".to_vec()),
        );
        fields.insert(
            "title".to_string(),
            SecretBytes::new(b"Payroll admin".to_vec()),
        );
        fields.insert(
            "username".to_string(),
            SecretBytes::new(b"ops@acme.test".to_vec()),
        );
        let plain = ItemPlain {
            kind: ItemKind::Login,
            fields,
        };
        let item = SealedItem::seal(&wk2, place, &plain, self.admin.id, &self.admin.keys.signing);
        // An authorized writer (the admin) swaps two field ciphertexts and signs honestly:
        // the signature verifies, and the per-field associated data makes decryption fail.
        let mut swapped = item.clone();
        let (a, b) = (swapped.fields[0].1.clone(), swapped.fields[1].1.clone());
        swapped.fields[0].1 = b;
        swapped.fields[1].1 = a;
        swapped.sign(&self.admin.keys.signing);
        let mut forged = item.clone();
        forged.signature = self.outsider.keys.signing.sign(b"anything");
        let by_reader = SealedItem::seal(
            &wk2,
            place,
            &plain,
            self.member.id,
            &self.member.keys.signing,
        );
        let wk1 = SymmetricKey::from_bytes(bytes32(81));
        let old_owner = SealedItem::seal(
            &wk1,
            ItemPlace {
                key_version: 1,
                ..place
            },
            &plain,
            self.owner.id,
            &self.owner.keys.signing,
        );
        json!({
            "description": "Sealed item revisions checked against the valid roster of roster.json.",
            "workspace_id": self.workspace.to_string(),
            "roster": valid.iter().map(|e| hex::encode(e.to_bytes())).collect::<Vec<_>>(),
            "workspace_keys": {"1": hex::encode(wk1.expose()), "2": hex::encode(wk2.expose())},
            "cases": [
                {"name": "login-by-admin", "item": hex::encode(item.to_bytes()),
                 "expect": {"kind": "login", "fields": {"password": "correct horse battery staple", "title": "Payroll admin", "username": "ops@acme.test"}}},
                {"name": "fields-swapped-and-signed-by-writer", "item": hex::encode(swapped.to_bytes()), "expect": {"error": "Decryption"}},
                {"name": "signed-by-stranger", "item": hex::encode(forged.to_bytes()), "expect": {"error": "BadSignature"}},
                {"name": "signed-by-read-only-member", "item": hex::encode(by_reader.to_bytes()), "expect": {"error": "BadSignature"}},
                {"name": "signed-by-owner-key-before-relink", "item": hex::encode(old_owner.to_bytes()),
                 "expect": {"kind": "login", "fields": {"password": "correct horse battery staple", "title": "Payroll admin", "username": "ops@acme.test"}}},
            ],
        })
    }
}

fn case(
    name: &str,
    entries: &[SignedEntry],
    pinned: Option<roster::RosterHead>,
    expect: &str,
) -> Value {
    json!({
        "name": name,
        "entries": entries.iter().map(|e| hex::encode(e.to_bytes())).collect::<Vec<_>>(),
        "pinned": pinned.map(|p| json!({"seq": p.seq, "hash": hex::encode(p.hash)})),
        "expect": expect,
    })
}
