//! A malicious server learns nothing and forges nothing (issue 9): the real `keyhaven` binary
//! talks to the real server through a tampering proxy (`support::tamper`) that rewrites answers
//! as a breached server would, one attack class per test. Every forgery is well-formed (valid
//! JSON, decodable bytes), so each test shows the client's specific refusal; where it helps, the
//! same request through the honest proxy is the positive control.

mod support;

use serde_json::{Value, json};
use support::tamper::{Tamper, b64, unb64};
use support::{Db, PASSWORD, Server, User, ok, run, sign_up, stderr, stdout};

/// Points `user`'s saved session at `url` (the proxy), as if the server had always been there.
fn via(user: &User, url: &str) {
    let path = user.session_file();
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    saved["server"] = json!(url);
    std::fs::write(&path, serde_json::to_vec(&saved).unwrap()).unwrap();
}

/// Runs a command that must be refused; returns its stderr.
fn refused_with(user: &User, args: &[&str], env: &[(&str, &str)], needle: &str) -> String {
    let out = run(user, args, env, "value\n");
    assert_ne!(
        out.status.code(),
        Some(0),
        "{args:?} was accepted: {}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in: {err}"
    );
    err
}

fn add_secret(user: &User, name: &str, workspace: &str) {
    let out = run(
        user,
        &["secret", "add", name, "--workspace", workspace],
        &[],
        "hunter2\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

fn workspace_id(user: &User, name: &str) -> String {
    let list: Value = serde_json::from_str(&ok(user, &["workspace", "list", "--json"])).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Alice with workspaces Acme (two secrets, one device key) and Other (one secret), and the
/// proxy her session goes through.
struct Scene {
    server: Server,
    tamper: Tamper,
    alice: User,
    acme: String,
    other: String,
}

const DEVICE_KEY: &str = "236808-089419-192665-495704-618299-073414-538373-542366";
const DEVICE_ID: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";
const DEVICE_KEY_2: &str = "002475-590744-001463-604230-330539-061666-707498-574750";
const DEVICE_ID_2: &str = "1F8C3E21-0B7A-4C5D-9E6F-A1B2C3D4E5F6";

fn scene() -> Scene {
    let server = Server::start(Db::Sqlite);
    let (alice, _) = sign_up(&server, "alice@example.com");
    ok(&alice, &["workspace", "create", "Acme"]);
    ok(&alice, &["workspace", "create", "Other"]);
    add_secret(&alice, "prod-db", "Acme");
    add_secret(&alice, "stripe", "Acme");
    add_secret(&alice, "elsewhere", "Other");
    for (id, key) in [(DEVICE_ID, DEVICE_KEY), (DEVICE_ID_2, DEVICE_KEY_2)] {
        let out = run(
            &alice,
            &[
                "device",
                "add",
                "--workspace",
                "Acme",
                "--device",
                "FIN-LAPTOP-07",
                "--kind",
                "bitlocker",
                "--key-id",
                id,
            ],
            &[("KEYHAVEN_DEVICE_KEY", key)],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let acme = workspace_id(&alice, "Acme");
    let other = workspace_id(&alice, "Other");
    let tamper = Tamper::start(&server.url);
    via(&alice, &tamper.url);
    Scene {
        server,
        tamper,
        alice,
        acme,
        other,
    }
}

/// The honest answer to `GET path` with alice's session.
fn honest_get(scene: &Scene, path: &str) -> Value {
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(scene.alice.session_file()).unwrap())
            .unwrap();
    let token = saved["session_token"].as_str().unwrap().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        keyhaven_client::Client::new(&scene.server.url)
            .unwrap()
            .with_session(token)
            .get::<Value>(path)
            .await
            .unwrap()
    })
}

fn ends(suffix: impl Into<String>) -> impl Fn(&str) -> bool + Send + 'static {
    let suffix = suffix.into();
    move |path: &str| path.ends_with(&suffix)
}

#[test]
fn kdf_downgrade_and_ceiling_are_refused_before_the_password_is_used() {
    let server = Server::start(Db::Sqlite);
    let (alice, _) = sign_up(&server, "alice@example.com");
    let tamper = Tamper::start(&server.url);
    let login = |_: ()| {
        run(
            &alice,
            &[
                "login",
                "--server",
                &tamper.url,
                "--email",
                "alice@example.com",
            ],
            &[("KEYHAVEN_PASSWORD", PASSWORD)],
            "",
        )
    };
    // Positive control: through the honest proxy, the sign-in works.
    assert_eq!(login(()).status.code(), Some(0));
    for (memory, needle) in [
        (8 * 1024, "too weak"),
        (4_000_000_000_u64, "unreasonably high"),
    ] {
        tamper.honest();
        tamper.rewrite("POST", ends("/v1/login/start"), move |v| {
            v["ksf"]["memory_kib"] = json!(memory);
        });
        tamper.forget_requests();
        let out = login(());
        assert_ne!(out.status.code(), Some(0));
        assert!(stderr(&out).contains(needle), "{}", stderr(&out));
        assert!(
            !tamper
                .requests()
                .iter()
                .any(|(_, p)| p == "/v1/login/finish"),
            "nothing derived from the password was sent"
        );
    }
}

#[test]
fn account_keys_swapped_at_login_are_refused() {
    let server = Server::start(Db::Sqlite);
    let (alice, _) = sign_up(&server, "alice@example.com");
    let (_bob, _) = sign_up(&server, "bob@example.com");
    let tamper = Tamper::start(&server.url);
    // Another well-formed key pair: bob's public keys served as alice's.
    let bob_keys = std::sync::Arc::new(std::sync::Mutex::new(None::<Value>));
    {
        let bob_keys = std::sync::Arc::clone(&bob_keys);
        tamper.rewrite("POST", ends("/v1/login/finish"), move |v| {
            let mut held = bob_keys.lock().unwrap();
            if v["account"]["email"] == "bob@example.com" {
                *held = Some(v["account"]["public_keys"].clone());
            } else if let Some(keys) = held.clone() {
                v["account"]["public_keys"] = keys;
            }
        });
    }
    let bob = User::new(&server);
    let out = run(
        &bob,
        &[
            "login",
            "--server",
            &tamper.url,
            "--email",
            "bob@example.com",
        ],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        &alice,
        &[
            "login",
            "--server",
            &tamper.url,
            "--email",
            "alice@example.com",
        ],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("does not check out") && stderr(&out).contains("keys"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn forged_items_are_refused() {
    let s = scene();
    let items = format!("/v1/workspaces/{}/items", s.acme);
    let honest = honest_get(&s, &items);
    let other_items = honest_get(&s, &format!("/v1/workspaces/{}/items", s.other));
    // Positive control.
    let listed = ok(&s.alice, &["secret", "list", "--workspace", "Acme"]);
    assert!(
        listed.contains("prod-db") && listed.contains("stripe"),
        "{listed}"
    );

    // Item swap: each id served with the other item's ciphertext.
    s.tamper.rewrite("GET", ends("/items"), |v| {
        let first = v[0]["sealed"].clone();
        v[0]["sealed"] = v[1]["sealed"].clone();
        v[1]["sealed"] = first;
    });
    refused_with(
        &s.alice,
        &["secret", "get", "prod-db", "--workspace", "Acme"],
        &[],
        "the server mislabelled a secret",
    );
    s.tamper.honest();

    // An item of another workspace of alice's, whole (its own id), listed in this one.
    let foreign = other_items[0].clone();
    s.tamper.rewrite("GET", ends("/items"), move |v| {
        v.as_array_mut().unwrap().push(foreign.clone());
    });
    refused_with(
        &s.alice,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "another workspace",
    );
    s.tamper.honest();

    // An unknown format version.
    s.tamper.rewrite("GET", ends("/items"), |v| {
        let mut bytes = unb64(&v[0]["sealed"]);
        bytes[0] = 0x7f;
        v[0]["sealed"] = json!(b64(&bytes));
    });
    refused_with(
        &s.alice,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "unknown format version",
    );
    s.tamper.honest();

    // A changed byte in a field's ciphertext.
    s.tamper.rewrite("GET", ends("/items"), |v| {
        let mut bytes = unb64(&v[0]["sealed"]);
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        v[0]["sealed"] = json!(b64(&bytes));
    });
    refused_with(
        &s.alice,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "item",
    );
    s.tamper.honest();
    assert_eq!(honest_get(&s, &items), honest);
}

#[test]
fn roster_rollback_and_forged_entries_are_refused() {
    let s = scene();
    // The device pinned Acme's head; the server drops the newest entry.
    s.tamper.rewrite("GET", ends(s.acme.clone()), |v| {
        if let Some(roster) = v["roster"].as_array_mut() {
            roster.pop();
        }
    });
    refused_with(
        &s.alice,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "the server rolled back or forked this workspace's history",
    );
    s.tamper.honest();

    // A changed byte in an entry, seen by a device with no pin (a new sign-in elsewhere).
    let fresh = User::new(&s.server);
    let out = run(
        &fresh,
        &[
            "login",
            "--server",
            &s.tamper.url,
            "--email",
            "alice@example.com",
        ],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    s.tamper.rewrite("GET", ends(s.acme.clone()), |v| {
        let roster = v["roster"].as_array_mut().unwrap();
        let last = roster.last_mut().unwrap();
        let mut bytes = unb64(last);
        let end = bytes.len() - 1;
        bytes[end] ^= 0x01;
        *last = json!(b64(&bytes));
    });
    refused_with(
        &fresh,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "invalid signature",
    );
}

#[test]
fn replaced_key_shares_are_refused() {
    let s = scene();
    let mine = honest_get(&s, &format!("/v1/workspaces/{}/shares", s.other));
    // Alice's real share of the Other workspace's key, served as her share for Acme.
    let foreign = mine[0]["share"].clone();
    s.tamper.rewrite("GET", ends("/shares"), move |v| {
        for share in v.as_array_mut().unwrap() {
            share["share"] = foreign.clone();
        }
    });
    let err = refused_with(
        &s.alice,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "key share",
    );
    assert!(
        !err.contains("password reset"),
        "a server fault is not blamed on the user: {err}"
    );
}

#[test]
fn device_records_swapped_at_reveal_are_refused() {
    let s = scene();
    // The first key's reveal answered with the second record's secret envelope.
    let listing = honest_get(&s, &format!("/v1/workspaces/{}/devices", s.acme));
    assert_eq!(listing["keys"].as_array().unwrap().len(), 2);
    let shown = ok(
        &s.alice,
        &[
            "device",
            "reveal",
            "1f8c3e21",
            "--workspace",
            "Acme",
            "--reason",
            "capture",
        ],
    );
    assert!(shown.contains(DEVICE_KEY_2), "{shown}");
    let captured = std::sync::Arc::new(std::sync::Mutex::new(None::<Value>));
    {
        let captured = std::sync::Arc::clone(&captured);
        s.tamper.rewrite("POST", ends("/reveal"), move |v| {
            let mut held = captured.lock().unwrap();
            match held.clone() {
                None => *held = Some(v["secret"].clone()),
                Some(other) => v["secret"] = other,
            }
        });
    }
    ok(
        &s.alice,
        &[
            "device",
            "reveal",
            "1f8c3e21",
            "--workspace",
            "Acme",
            "--reason",
            "capture",
        ],
    );
    refused_with(
        &s.alice,
        &[
            "device",
            "reveal",
            "ac9d5655",
            "--workspace",
            "Acme",
            "--reason",
            "swap",
        ],
        &[],
        "the server served another record's key",
    );
}

#[test]
fn an_enrollment_agent_reads_nothing_from_the_server() {
    let s = scene();
    via(&s.alice, &s.server.url);
    let created = ok(
        &s.alice,
        &[
            "escrow",
            "token",
            "create",
            "--workspace",
            "Acme",
            "--expires",
            "1d",
        ],
    );
    let token = created
        .split_whitespace()
        .find(|w| w.starts_with("KHT2-"))
        .unwrap()
        .to_owned();
    let agent = User::new(&s.server);
    s.tamper.forget_requests();
    let out = run(
        &agent,
        &[
            "escrow",
            "submit",
            "--server",
            &s.tamper.url,
            "--device",
            "HR-01",
            "--kind",
            "bitlocker",
            "--key-id",
            "0B7A1F8C-3E21-4C5D-9E6F-A1B2C3D4E5F6",
        ],
        &[
            ("KEYHAVEN_ESCROW_TOKEN", &token),
            ("KEYHAVEN_DEVICE_KEY", DEVICE_KEY),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = s.tamper.requests();
    assert!(
        seen.iter()
            .all(|(m, p)| m == "POST" && p == "/v1/escrow/submit"),
        "the agent only submits: {seen:?}"
    );
}

#[test]
fn a_recovery_proof_for_a_wrong_key_is_never_sent() {
    let s = scene();
    let wrong = "111111-111111-111111-111111-111111-111111-111111-111111";
    s.tamper.forget_requests();
    s.tamper.rewrite("POST", ends("/recovery/validate"), |_| {});
    let out = run(
        &s.alice,
        &["recovery-key", "validate", "--workspace", "Acme"],
        &[("KEYHAVEN_RECOVERY_KEY", wrong)],
        "",
    );
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        !s.tamper
            .requests()
            .iter()
            .any(|(_, p)| p.ends_with("/recovery/validate")),
        "the client checks the key against the roster before it sends a proof"
    );
}

#[test]
fn the_server_cannot_switch_off_recovery_key_prompts() {
    let s = scene();
    // The server reports Acme's emailed temporary key as permanent and freshly validated.
    let acme = s.acme.clone();
    s.tamper.rewrite("GET", ends(acme), |v| {
        v["recovery"]["kind"] = json!("permanent");
        v["recovery"]["expires_at"] = Value::Null;
        v["recovery"]["last_validated_at"] = json!(4_000_000_000_i64);
    });
    let status: Value = serde_json::from_str(&ok(
        &s.alice,
        &["recovery-key", "status", "--workspace", "Acme", "--json"],
    ))
    .unwrap();
    assert_eq!(
        status["kind"], "temporary",
        "the signed roster says so: {status}"
    );
    assert!(status["expires_at"].as_u64().is_some(), "{status}");
    let set_at = status["last_validated_at"].as_u64().unwrap();
    assert!(
        set_at < 4_000_000_000,
        "the server's validation time is ignored: {status}"
    );
    // The sign-in prompt to replace the temporary key stays (prompts shown, as for a person).
    let out = run(
        &s.alice,
        &[
            "login",
            "--server",
            &s.tamper.url,
            "--email",
            "alice@example.com",
        ],
        &[
            ("KEYHAVEN_PASSWORD", PASSWORD),
            ("KEYHAVEN_SKIP_PROMPTS", "0"),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("the recovery key is temporary"), "{said}");
    s.tamper.honest();

    // A validation is recorded by a statement the recovery key signs: the status shows its
    // time; with the statement withheld, only the key's own setting time is left.
    let key = support::recovery_key_in(&support::mail(
        &s.server,
        "alice@example.com",
        "temporary recovery key of Acme",
    ));
    // A second later than the key's setting, so the two times differ.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = run(
        &s.alice,
        &["recovery-key", "validate", "--workspace", "Acme"],
        &[("KEYHAVEN_RECOVERY_KEY", &key)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let validated: Value = serde_json::from_str(&ok(
        &s.alice,
        &["recovery-key", "status", "--workspace", "Acme", "--json"],
    ))
    .unwrap();
    let at = validated["last_validated_at"].as_u64().unwrap();
    assert!(at > set_at, "the validation statement counts: {validated}");
    let acme = s.acme.clone();
    s.tamper.rewrite("GET", ends(acme), |v| {
        v["recovery"]["validation"] = Value::Null;
    });
    let withheld: Value = serde_json::from_str(&ok(
        &s.alice,
        &["recovery-key", "status", "--workspace", "Acme", "--json"],
    ))
    .unwrap();
    assert_eq!(withheld["last_validated_at"], json!(set_at), "{withheld}");
    // A statement signed by another key (Other's validation, replayed) does not count either.
    s.tamper.honest();
    let other_key = support::recovery_key_in(&support::mail(
        &s.server,
        "alice@example.com",
        "temporary recovery key of Other",
    ));
    let out = run(
        &s.alice,
        &["recovery-key", "validate", "--workspace", "Other"],
        &[("KEYHAVEN_RECOVERY_KEY", &other_key)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let other = honest_get(&s, &format!("/v1/workspaces/{}", s.other));
    let replayed = other["recovery"]["validation"].clone();
    assert!(replayed.is_string());
    let acme = s.acme.clone();
    s.tamper.rewrite("GET", ends(acme), move |v| {
        v["recovery"]["validation"] = replayed.clone();
    });
    let replay: Value = serde_json::from_str(&ok(
        &s.alice,
        &["recovery-key", "status", "--workspace", "Acme", "--json"],
    ))
    .unwrap();
    assert_eq!(replay["last_validated_at"], json!(set_at), "{replay}");
}

#[test]
fn a_workspace_that_takes_a_known_name_is_refused() {
    let s = scene();
    via(&s.alice, &s.server.url);
    // Mallory's own "Acme", which Alice joins (she is a member: only the name is borrowed).
    let (mallory, _) = sign_up(&s.server, "mallory@example.com");
    ok(&mallory, &["workspace", "create", "Acme"]);
    support::join(&s.server, &mallory, &s.alice, "alice@example.com", "member");
    let theirs = workspace_id(&mallory, "Acme");
    via(&s.alice, &s.tamper.url);
    // The server lists its "Acme" and hides Alice's: the name this device knows is kept.
    let mine = s.acme.clone();
    s.tamper.rewrite(
        "GET",
        |p: &str| p == "/v1/workspaces",
        move |v| {
            v.as_array_mut().unwrap().retain(|w| w["id"] != json!(mine));
        },
    );
    s.tamper.forget_requests();
    let err = refused_with(
        &s.alice,
        &["secret", "add", "prod-db-2", "--workspace", "Acme"],
        &[],
        "the server may be hiding it",
    );
    assert!(err.contains(&s.acme), "{err}");
    assert!(
        !s.tamper
            .requests()
            .iter()
            .any(|(m, p)| m == "PUT" || p.contains(&theirs)),
        "nothing was read from or written to the server's workspace"
    );
    s.tamper.honest();
    // Listed under Alice's Acme's name and opened by that name for the first time: refused.
    let their_id = theirs.clone();
    s.tamper.rewrite(
        "GET",
        |p: &str| p == "/v1/workspaces",
        move |v| {
            for w in v.as_array_mut().unwrap() {
                if w["id"] == json!(their_id) {
                    w["name"] = json!("Acme (yours)");
                }
            }
        },
    );
    refused_with(
        &s.alice,
        &["secret", "list", "--workspace", "Acme (yours)"],
        &[],
        "The server may be redirecting you",
    );
    s.tamper.honest();
    // Her own Acme still opens by name; Mallory's opens only by id, with its owner shown.
    let listed = ok(&s.alice, &["secret", "list", "--workspace", "Acme"]);
    assert!(listed.contains("prod-db"), "{listed}");
    let out = run(
        &s.alice,
        &["secret", "list", "--workspace", &theirs],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("First contact") && said.contains("mallory@example.com"),
        "{said}"
    );
    assert!(said.contains("has the name of another workspace"), "{said}");
}

/// Every roster entry of `ws` as served honestly, verified from genesis.
fn verified_roster(scene: &Scene, ws: &str) -> (keyhaven_core::roster::RosterState, Vec<Value>) {
    let view = honest_get(scene, &format!("/v1/workspaces/{ws}"));
    let entries: Vec<Value> = view["roster"].as_array().unwrap().clone();
    let bytes: Vec<Vec<u8>> = entries.iter().map(unb64).collect();
    let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    let id = keyhaven_core::ids::WorkspaceId(ws.parse().unwrap());
    (
        keyhaven_core::roster::verify_encoded(id, &refs, None).unwrap(),
        entries,
    )
}

#[test]
fn entries_and_shares_signed_by_a_key_the_server_controls_are_refused() {
    use keyhaven_core::account::AccountKeys;
    use keyhaven_core::ids::AccountId;
    use keyhaven_core::roster::{EntryBody, Role, Signer};
    use keyhaven_core::share::{KeyShare, ShareHeader, ShareRecipient, SharedKey};

    let s = scene();
    let (state, _) = verified_roster(&s, &s.acme);
    // A key pair of the server's own, well-formed, linked to the real head.
    let stranger = AccountKeys::generate();
    let stranger_id = AccountId(uuid::Uuid::from_bytes([0x5e; 16]));
    let forged = state
        .next_entry(
            state.last_timestamp + 1,
            Signer::Member(stranger_id),
            EntryBody::AddMember {
                account: stranger_id,
                email: "server@evil.test".into(),
                keys: stranger.public(),
                role: Role::Owner,
            },
        )
        .sign(&stranger.signing);
    let forged = json!(b64(&forged.to_bytes()));
    let acme = s.acme.clone();
    s.tamper.rewrite("GET", ends(acme), move |v| {
        v["roster"].as_array_mut().unwrap().push(forged.clone());
    });
    refused_with(
        &s.alice,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "is signed by someone who is not in the workspace",
    );
    s.tamper.honest();

    // A key share sealed to Alice, of a workspace key the server chose, signed by the server's
    // key: opening secrets with it would let the server read what she writes next.
    let alice_id = *state
        .members
        .iter()
        .find(|(_, m)| m.email == "alice@example.com")
        .unwrap()
        .0;
    let alice_keys = state.members[&alice_id].keys;
    let injected = KeyShare::seal(
        ShareHeader {
            workspace: state.workspace,
            recipient: ShareRecipient::Member(alice_id),
            key: SharedKey::Workspace(state.workspace_key_version),
            signer: Signer::Member(stranger_id),
            timestamp: state.last_timestamp + 1,
        },
        &alice_keys.encryption,
        &[7; 32],
        &stranger.signing,
    )
    .unwrap();
    let injected = json!(b64(&injected.to_bytes()));
    s.tamper.rewrite("GET", ends("/shares"), move |v| {
        for share in v.as_array_mut().unwrap() {
            share["share"] = injected.clone();
        }
    });
    let err = refused_with(
        &s.alice,
        &[
            "secret",
            "add",
            "written-under-a-server-key",
            "--workspace",
            "Acme",
        ],
        &[],
        "key share is signed by someone who may not hand out keys",
    );
    assert!(err.contains("server"), "{err}");
    s.tamper.honest();
    let listed = ok(&s.alice, &["secret", "list", "--workspace", "Acme"]);
    assert!(!listed.contains("written-under-a-server-key"), "{listed}");
}

#[test]
fn fields_kind_and_author_inside_an_item_are_bound() {
    use keyhaven_core::item::{ItemKind, SealedItem};

    let s = scene();
    let out = run(
        &s.alice,
        &[
            "secret",
            "add",
            "vpn",
            "--workspace",
            "Acme",
            "--username",
            "alice",
        ],
        &[],
        "s3cret\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = ok(
        &s.alice,
        &["secret", "get", "vpn", "--workspace", "Acme", "--json"],
    );
    assert!(shown.contains("s3cret"), "{shown}");
    // Only "vpn" has three fields (title, password, username); the others stay intact, and
    // they still open: one bad item does not hide the rest.
    let change = |edit: fn(&mut SealedItem)| {
        move |v: &mut Value| {
            for item in v.as_array_mut().unwrap() {
                let mut sealed = SealedItem::from_bytes(&unb64(&item["sealed"])).unwrap();
                if sealed.fields.len() == 3 {
                    edit(&mut sealed);
                    item["sealed"] = json!(b64(&sealed.to_bytes()));
                }
            }
        }
    };
    // The password's ciphertext served as the user name and the other way round.
    s.tamper.rewrite(
        "GET",
        ends("/items"),
        change(|sealed| {
            let first = sealed.fields[0].1.clone();
            sealed.fields[0].1 = sealed.fields[1].1.clone();
            sealed.fields[1].1 = first;
        }),
    );
    refused_with(
        &s.alice,
        &["secret", "get", "vpn", "--workspace", "Acme"],
        &[],
        "the item's signature does not verify",
    );
    s.tamper.honest();
    // The kind relabelled.
    s.tamper.rewrite(
        "GET",
        ends("/items"),
        change(|sealed| sealed.kind = ItemKind::Note),
    );
    refused_with(
        &s.alice,
        &["secret", "get", "vpn", "--workspace", "Acme"],
        &[],
        "the item's signature does not verify",
    );
    s.tamper.honest();
    // Another author claimed.
    s.tamper.rewrite(
        "GET",
        ends("/items"),
        change(|sealed| {
            sealed.author = keyhaven_core::ids::AccountId(uuid::Uuid::from_bytes([9; 16]));
        }),
    );
    refused_with(
        &s.alice,
        &["secret", "get", "vpn", "--workspace", "Acme"],
        &[],
        "the item's signature does not verify",
    );
}

#[test]
fn unknown_format_versions_are_refused_for_every_envelope() {
    let s = scene();
    let bump = |v: &mut Value| {
        let mut bytes = unb64(v);
        bytes[0] = 0x7f;
        *v = json!(b64(&bytes));
    };
    // A key share.
    s.tamper.rewrite("GET", ends("/shares"), move |v| {
        for share in v.as_array_mut().unwrap() {
            bump(&mut share["share"]);
        }
    });
    refused_with(
        &s.alice,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "unknown format version 127",
    );
    s.tamper.honest();
    // A roster entry (seen by a device without a pin).
    let fresh = User::new(&s.server);
    let out = run(
        &fresh,
        &[
            "login",
            "--server",
            &s.tamper.url,
            "--email",
            "alice@example.com",
        ],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let acme = s.acme.clone();
    s.tamper.rewrite("GET", ends(acme), move |v| {
        let roster = v["roster"].as_array_mut().unwrap();
        bump(roster.last_mut().unwrap());
    });
    refused_with(
        &fresh,
        &["secret", "list", "--workspace", "Acme"],
        &[],
        "unknown format version 127",
    );
    s.tamper.honest();
    // A device record header.
    s.tamper.rewrite("GET", ends("/devices"), move |v| {
        for key in v["keys"].as_array_mut().unwrap() {
            bump(&mut key["header"]);
        }
    });
    refused_with(
        &s.alice,
        &["device", "list", "--workspace", "Acme"],
        &[],
        "unknown format version 127",
    );
}

#[test]
fn an_invitee_key_substitution_shows_another_fingerprint() {
    use keyhaven_core::account::AccountKeys;

    let s = scene();
    via(&s.alice, &s.server.url);
    let (bob, _) = sign_up(&s.server, "bob@example.com");
    via(&s.alice, &s.tamper.url);
    ok(
        &s.alice,
        &["member", "invite", "bob@example.com", "--workspace", "Acme"],
    );
    let invitation = support::mail(&s.server, "bob@example.com", "invited you");
    let at = invitation.find("keyhaven member accept ").unwrap() + "keyhaven member accept ".len();
    let accepted = ok(&bob, &["member", "accept", &invitation[at..at + 36]]);
    let bobs = support::fingerprints(&accepted).pop().unwrap();
    // The server swaps in keys of its own for the accepted invitee.
    let server_keys = AccountKeys::generate().public();
    let mut w = keyhaven_core::codec::Writer::new();
    server_keys.encode(&mut w);
    let swapped = json!(b64(&w.finish()));
    let theirs = server_keys.fingerprint().to_string();
    s.tamper.rewrite("GET", ends("/members"), move |v| {
        for invitation in v["invitations"].as_array_mut().unwrap() {
            if invitation["public_keys"].is_string() {
                invitation["public_keys"] = swapped.clone();
            }
        }
    });
    // Without --yes the add stops at the fingerprint, which is not the one Bob saw.
    let out = run(
        &s.alice,
        &["member", "invite", "bob@example.com", "--workspace", "Acme"],
        &[],
        "",
    );
    let shown = stdout(&out);
    assert!(shown.contains(&theirs), "{shown}");
    assert!(!shown.contains(&bobs), "{shown}");
    let members = ok(&s.alice, &["member", "list", "--workspace", "Acme"]);
    assert!(
        members.contains("1 members (verified roster)"),
        "nobody was added: {members}"
    );
}

#[test]
fn an_item_rolled_back_to_an_older_revision_is_refused() {
    let s = scene();
    // This device lists revision 1, then writes revision 2.
    ok(&s.alice, &["secret", "list", "--workspace", "Acme"]);
    let old = honest_get(&s, &format!("/v1/workspaces/{}/items", s.acme));
    let out = run(
        &s.alice,
        &["secret", "edit", "prod-db", "--workspace", "Acme"],
        &[],
        "rotated\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The server serves the old, validly signed revision 1 again.
    s.tamper
        .rewrite("GET", ends("/items"), move |v| *v = old.clone());
    let err = refused_with(
        &s.alice,
        &["secret", "get", "prod-db", "--workspace", "Acme"],
        &[],
        "the server rolled back the secret \"prod-db\"",
    );
    assert!(
        err.contains("revision 1") && err.contains("revision 2"),
        "{err}"
    );
    // Positive control and the limit: a device that never saw revision 2 takes revision 1.
    let fresh = User::new(&s.server);
    let out = run(
        &fresh,
        &[
            "login",
            "--server",
            &s.tamper.url,
            "--email",
            "alice@example.com",
        ],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    ok(&fresh, &["workspace", "trust", &s.acme]);
    let shown = ok(&fresh, &["secret", "get", "prod-db", "--workspace", "Acme"]);
    assert!(shown.contains("hunter2"), "{shown}");
}

#[test]
fn a_device_opens_no_workspace_its_user_did_not_consent_to() {
    let s = scene();
    via(&s.alice, &s.server.url);
    // Mallory's workspace, which Alice joined on her laptop (accepting is her consent there).
    let (mallory, _) = sign_up(&s.server, "mallory@example.com");
    ok(&mallory, &["workspace", "create", "Projects"]);
    support::join(&s.server, &mallory, &s.alice, "alice@example.com", "member");
    let projects = workspace_id(&mallory, "Projects");
    ok(&s.alice, &["secret", "list", "--workspace", "Projects"]);
    // On a new device nothing of a workspace the server lists is used before she trusts it:
    // the server could have enrolled her anywhere.
    let phone = User::new(&s.server);
    support::log_in(&s.server, &phone, "alice@example.com", PASSWORD);
    let err = refused_with(
        &phone,
        &["secret", "list", "--workspace", "Projects"],
        &[],
        "you did not accept an invitation to it here",
    );
    assert!(
        err.contains("mallory@example.com") && err.contains("fingerprint"),
        "the owners are shown: {err}"
    );
    assert!(
        err.contains(&format!("keyhaven workspace trust {projects}")),
        "{err}"
    );
    let out = run(
        &phone,
        &["secret", "add", "planted", "--workspace", "Projects"],
        &[],
        "x\n",
    );
    assert_ne!(out.status.code(), Some(0), "nothing is written either");
    // After checking the fingerprint, she trusts it once on this device.
    let trusted = ok(&phone, &["workspace", "trust", &projects]);
    assert!(trusted.contains("trusted on this device"), "{trusted}");
    ok(&phone, &["secret", "list", "--workspace", "Projects"]);
}

#[test]
fn an_escrow_public_key_substituted_before_device_add_is_refused() {
    use keyhaven_core::roster::{EntryBody, SignedEntry};

    let s = scene();
    // A new device, so the check shown is the entry's signature, not the pin.
    let fresh = User::new(&s.server);
    support::log_in(&s.server, &fresh, "alice@example.com", PASSWORD);
    via(&fresh, &s.tamper.url);
    ok(&fresh, &["workspace", "trust", &s.acme]);
    // Forget the pin the trust step took (the consent stays).
    std::fs::remove_file(fresh.home.path().join("pins.json")).unwrap();
    let server_key = keyhaven_crypto::hpke::RecipientSecretKey::generate().public_key();
    let acme = s.acme.clone();
    s.tamper.rewrite("GET", ends(acme), move |v| {
        for entry in v["roster"].as_array_mut().unwrap() {
            let mut signed = SignedEntry::from_bytes(&unb64(entry)).unwrap();
            if let EntryBody::SetEscrowKey { public, .. } = &mut signed.entry.body {
                // The server's own key, under the owner's old signature.
                *public = server_key;
                *entry = json!(b64(&signed.to_bytes()));
            }
        }
    });
    s.tamper.forget_requests();
    let out = run(
        &fresh,
        &[
            "device",
            "add",
            "--workspace",
            "Acme",
            "--device",
            "NEW-LAPTOP",
            "--kind",
            "bitlocker",
            "--key-id",
            "0B7A1F8C-3E21-4C5D-9E6F-A1B2C3D4E5F6",
        ],
        &[("KEYHAVEN_DEVICE_KEY", DEVICE_KEY)],
        "",
    );
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("invalid signature"),
        "{}",
        stderr(&out)
    );
    assert!(
        !s.tamper
            .requests()
            .iter()
            .any(|(m, p)| m == "POST" && p.ends_with("/devices")),
        "no key was sealed to the server's key"
    );
}
