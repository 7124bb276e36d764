//! Keyhaven's own vectors (`docs/vectors/*.json`): they lock the wire formats. A change that
//! breaks one of these tests is a format change and needs a new format version.

use keyhaven_core::ids::WorkspaceId;
use keyhaven_core::item::SealedItem;
use keyhaven_core::recovery_key::RecoveryKey;
use keyhaven_core::roster::{self, RosterHead, SignedEntry};
use keyhaven_core::share::KeyShare;
use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_crypto::{Context, SymmetricKey, envelope};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/../../docs/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn workspace(v: &Value) -> WorkspaceId {
    WorkspaceId(v["workspace_id"].as_str().unwrap().parse().unwrap())
}

fn entries(list: &Value) -> Vec<Vec<u8>> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| hex::decode(e.as_str().unwrap()).unwrap())
        .collect()
}

#[test]
fn recovery_key_text() {
    let v = load("recovery-key.json");
    let valid = v["valid"].as_array().unwrap();
    assert!(valid.len() >= 4);
    for case in valid {
        let secret: [u8; 16] = hex::decode(case["secret"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let text = case["text"].as_str().unwrap();
        assert_eq!(RecoveryKey::from_bytes(secret).encode().as_str(), text);
        assert_eq!(RecoveryKey::parse(text).unwrap().expose(), &secret);
        for alt in case["also_accepted"].as_array().unwrap() {
            assert_eq!(
                RecoveryKey::parse(alt.as_str().unwrap()).unwrap().expose(),
                &secret
            );
        }
    }
    let invalid = v["invalid"].as_array().unwrap();
    assert!(invalid.len() >= 4);
    for case in invalid {
        let err = RecoveryKey::parse(case["input"].as_str().unwrap()).unwrap_err();
        assert_eq!(err.to_string(), case["error"].as_str().unwrap());
    }
}

#[test]
fn derivations() {
    let v = load("derivations.json");
    let ws = workspace(&v);
    let r = &v["recovery"];
    let secret: [u8; 16] = hex::decode(r["secret"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let d = RecoveryKey::from_bytes(secret).derive(ws);
    assert_eq!(
        hex::encode(d.recipient.expose()),
        r["x25519_secret"].as_str().unwrap()
    );
    assert_eq!(
        hex::encode(d.public().0.to_bytes()),
        r["x25519_public"].as_str().unwrap()
    );
    assert_eq!(
        hex::encode(*d.authority.to_seed()),
        r["ed25519_seed"].as_str().unwrap()
    );
    assert_eq!(
        hex::encode(d.public().1.to_bytes()),
        r["ed25519_public"].as_str().unwrap()
    );
    assert_eq!(hex::encode(*d.proof), r["proof"].as_str().unwrap());
    assert_eq!(
        hex::encode(d.proof_verifier()),
        r["proof_verifier"].as_str().unwrap()
    );

    let a = &v["account_wrap"];
    let account: uuid::Uuid = a["account_id"].as_str().unwrap().parse().unwrap();
    let export = hex::decode(a["export_key"].as_str().unwrap()).unwrap();
    let wrap = keyhaven_crypto::kdf::derive_key(
        &export,
        account.as_bytes(),
        keyhaven_crypto::kdf::Label::AccountWrap,
    );
    assert_eq!(hex::encode(wrap.expose()), a["wrap_key"].as_str().unwrap());

    let i = &v["item_key"];
    let wk = SymmetricKey::from_bytes(hex32(&i["workspace_key"]));
    let item_key = keyhaven_core::item::derive_item_key(&wk, ws);
    assert_eq!(
        hex::encode(item_key.expose()),
        i["item_key"].as_str().unwrap()
    );

    let b = &v["blind_index"];
    let blind = keyhaven_core::blind_index::BlindIndexKey::derive(
        &RecipientSecretKey::from_bytes(hex32(&b["escrow_secret"])),
        ws,
    );
    let id: uuid::Uuid = b["identifier"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        hex::encode(blind.identifier(&id)),
        b["identifier_index"].as_str().unwrap()
    );
    assert_eq!(
        hex::encode(blind.identifier_prefix(&id)),
        b["prefix_index"].as_str().unwrap()
    );
    let name = b["device_name"].as_str().unwrap();
    assert_eq!(
        hex::encode(blind.device_name(name)),
        b["device_name_index"].as_str().unwrap()
    );
}

#[test]
fn envelopes() {
    let v = load("envelope.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for case in cases {
        let key = SymmetricKey::from_bytes(hex32(&case["key"]));
        let nonce: [u8; 24] = hex::decode(case["nonce"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let ctx = case["context_fields"].as_array().unwrap().iter().fold(
            Context::new(case["context_label"].as_str().unwrap()),
            |c, f| c.field(f.as_str().unwrap()),
        );
        assert_eq!(
            hex::encode(ctx.as_bytes()),
            case["context_encoding"].as_str().unwrap()
        );
        let plain = case["plaintext"].as_str().unwrap().as_bytes();
        let expected = hex::decode(case["envelope"].as_str().unwrap()).unwrap();
        assert_eq!(
            envelope::seal_with_nonce(&key, &ctx, plain, &nonce),
            expected
        );
        assert_eq!(
            envelope::open(&key, &ctx, &expected).unwrap().expose(),
            plain
        );
    }
}

#[test]
fn roster_chains() {
    let v = load("roster.json");
    let ws = workspace(&v);
    let cases = v["cases"].as_array().unwrap();
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    for required in [
        "valid",
        "forged-signature",
        "unauthorized-signer",
        "expired-recovery-authority",
        "rollback",
        "fork",
    ] {
        assert!(names.contains(&required), "roster.json lacks {required}");
    }
    for case in cases {
        let encoded = entries(&case["entries"]);
        // The encoding is canonical: decoding and re-encoding gives the same bytes.
        for bytes in &encoded {
            assert_eq!(&SignedEntry::from_bytes(bytes).unwrap().to_bytes(), bytes);
        }
        let pinned = case["pinned"].as_object().map(|p| RosterHead {
            seq: p["seq"].as_u64().unwrap(),
            hash: hex32(&p["hash"]),
        });
        let result = roster::verify_encoded(ws, &encoded, pinned.as_ref());
        let expect = case["expect"].as_str().unwrap();
        match result {
            Ok(state) => {
                assert_eq!(expect, "ok", "case {}", case["name"]);
                if case["name"] == "valid" {
                    let f = &v["valid_final_state"];
                    assert_eq!(
                        hex::encode(state.head.hash),
                        f["head_hash"].as_str().unwrap()
                    );
                    assert_eq!(state.head.seq, f["head_seq"].as_u64().unwrap());
                    let version = u64::from(state.workspace_key_version);
                    assert_eq!(version, f["workspace_key_version"].as_u64().unwrap());
                    assert_eq!(state.members.len(), f["members"].as_array().unwrap().len());
                    for m in f["members"].as_array().unwrap() {
                        let id = keyhaven_core::AccountId(
                            m["account"].as_str().unwrap().parse().unwrap(),
                        );
                        let member = &state.members[&id];
                        assert_eq!(member.email, m["email"].as_str().unwrap());
                        assert_eq!(format!("{:?}", member.role), m["role"].as_str().unwrap());
                    }
                }
            }
            Err(err) => assert_eq!(format!("{err:?}"), expect, "case {}", case["name"]),
        }
    }
}

#[test]
fn key_shares() {
    let v = load("share.json");
    let ws = workspace(&v);
    let state = roster::verify_encoded(ws, &entries(&v["roster"]), None).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let bytes = hex::decode(case["share"].as_str().unwrap()).unwrap();
        let share = KeyShare::from_bytes(&bytes).unwrap();
        assert_eq!(share.to_bytes(), bytes);
        let secret = RecipientSecretKey::from_bytes(hex32(&case["recipient_secret"]));
        let result = share.open(&state, &secret);
        let expect = &case["expect"];
        match (result, expect["key"].as_str(), expect["error"].as_str()) {
            (Ok(key), Some(hex_key), None) => assert_eq!(hex::encode(key.expose()), hex_key),
            (Err(err), None, Some(name)) => {
                assert_eq!(format!("{err:?}"), name, "case {}", case["name"]);
            }
            (other, _, _) => panic!("case {}: got {other:?}, expected {expect}", case["name"]),
        }
    }
}

#[test]
fn items() {
    let v = load("item.json");
    let ws = workspace(&v);
    let state = roster::verify_encoded(ws, &entries(&v["roster"]), None).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for case in cases {
        let bytes = hex::decode(case["item"].as_str().unwrap()).unwrap();
        let item = SealedItem::from_bytes(&bytes).unwrap();
        assert_eq!(item.to_bytes(), bytes);
        let version = item.place.key_version.to_string();
        let wk = SymmetricKey::from_bytes(hex32(&v["workspace_keys"][&version]));
        let expect = &case["expect"];
        match item.open(&wk, &state) {
            Ok(plain) => {
                assert_eq!(
                    plain.kind.as_str(),
                    expect["kind"].as_str().unwrap(),
                    "{}",
                    case["name"]
                );
                let fields = expect["fields"].as_object().unwrap();
                assert_eq!(plain.fields.len(), fields.len());
                for (name, value) in fields {
                    assert_eq!(
                        plain.fields[name].expose(),
                        value.as_str().unwrap().as_bytes()
                    );
                }
            }
            Err(err) => assert_eq!(
                Some(format!("{err:?}").as_str()),
                expect["error"].as_str(),
                "case {}",
                case["name"]
            ),
        }
    }
}
