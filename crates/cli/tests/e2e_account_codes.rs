//! End to end, with the real binary: the Microsoft account's 25-character recovery code (the
//! "Microsoft recovery key" of the seed that is not the 48-digit BitLocker key) is checked
//! offline, escrowed for its account, found and revealed by the account, and exported.

mod support;

use support::{Db, Server, ok, refused, run, sign_up, stderr, stdout};

const CODE: &str = "8TVAK-3CQJZ-YXJ2U-6KB7D-NNSV4";
const ACCOUNT: &str = "alice@outlook.com";

#[test]
fn a_microsoft_account_recovery_code_is_kept_like_a_device_key() {
    let server = Server::start(Db::Sqlite);
    let (alice, _) = sign_up(&server, "alice@example.com");
    ok(&alice, &["workspace", "create", "Acme"]);

    // Offline: told apart from a FileVault key by its shape, a mistyped group named.
    let checked = ok(
        &alice,
        &["key", "check", "--json", "8tvak 3cqjz yxj2u 6kb7d nnsv4"],
    );
    let report: serde_json::Value = serde_json::from_str(&checked).unwrap();
    assert_eq!(report["kind"], "microsoft-account", "{checked}");
    assert_eq!(report["key"], CODE, "normalized to upper case in groups");
    let out = run(
        &alice,
        &["key", "check", "8TVAK-3CQJZ-YX_2U-6KB7D-NNSV4"],
        &[],
        "",
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("group 3") || stderr(&out).contains("group 3"));

    // Escrowed for the account it unlocks (no key identifier needed), typed in lower case.
    let out = run(
        &alice,
        &[
            "device",
            "add",
            "--kind",
            "microsoft-account",
            "--device",
            ACCOUNT,
        ],
        &[("KEYHAVEN_DEVICE_KEY", "8tvak3cqjzyxj2u6kb7dnnsv4")],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Another kind still needs its identifier.
    let out = run(
        &alice,
        &["device", "add", "--kind", "filevault", "--device", "MAC-1"],
        &[("KEYHAVEN_DEVICE_KEY", "GYVE-2KM5-OX2J-LEAZ-BF49-ZTUD")],
        "",
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("--key-id is required"),
        "{}",
        stderr(&out)
    );

    let listed = ok(&alice, &["device", "list", "--device", ACCOUNT, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(list[0]["kind"], "microsoft-account");
    assert_eq!(list[0]["key_id"], ACCOUNT);
    assert!(!listed.contains("8TVAK"), "a list never holds the code");

    // Revealed by naming the account, with a reason: audited, marked for rotation.
    let revealed = ok(
        &alice,
        &[
            "device",
            "reveal",
            ACCOUNT,
            "--reason",
            "lost phone, ticket 12",
        ],
    );
    assert!(revealed.contains(CODE), "{revealed}");
    let rotate = ok(&alice, &["device", "list", "--needs-rotation", "--json"]);
    assert!(rotate.contains(ACCOUNT), "{rotate}");
    let audit = ok(&alice, &["audit", "list", "--json"]);
    assert!(audit.contains("lost phone, ticket 12"), "{audit}");
    assert!(
        !audit.contains("8TVAK"),
        "the audit log never holds the code"
    );

    // Exported as a printable page that says what it is and whose account.
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("code.html");
    ok(
        &alice,
        &[
            "device",
            "export",
            ACCOUNT,
            "--format",
            "html",
            "--out",
            out_path.to_str().unwrap(),
        ],
    );
    let page = std::fs::read_to_string(&out_path).unwrap();
    assert!(page.contains("Microsoft account recovery code"), "{page}");
    assert!(page.contains(ACCOUNT) && page.contains("8TVAK"), "{page}");
    // The Windows .txt format is for BitLocker keys only.
    let refusal = refused(
        &alice,
        &[
            "device",
            "export",
            ACCOUNT,
            "--format",
            "bitlocker-txt",
            "--out",
            dir.path().join("x.txt").to_str().unwrap(),
        ],
    );
    assert!(refusal.contains("for BitLocker keys"), "{refusal}");
}
