//! `keyhaven key check` through the real binary: output, JSON and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const VALID: &str = "050875-056529-062183-067837-073491-079145-084799-090453";

fn keyhaven(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyhaven"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn data(name: &str) -> String {
    format!(
        "{}/../core/tests/data/bitlocker-txt/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn valid_key_exits_zero_and_prints_normalized_key() {
    let spaced = VALID.replace('-', " ");
    let out = keyhaven(&["key", "check", &spaced], None);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("valid BitLocker recovery password\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("key:        {VALID}\n")),
        "{stdout}"
    );
}

#[test]
fn invalid_group_is_named_with_a_hint() {
    let bad = VALID.replace("062183", "062184");
    let out = keyhaven(&["key", "check", "--kind", "keyhaven", &bad], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr,
        "error: not a valid Keyhaven workspace recovery key: group 3 is not divisible by 11\n\
         hint: each group is a multiple of 11 no larger than 720885; re-check the six digits of group 3\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn json_reports_the_same() {
    let out = keyhaven(
        &["key", "check", "--json", "-"],
        Some(&VALID.replace("073491", "073490")),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["kind"], "bitlocker");
    assert_eq!(v["group"], 5);
    assert_eq!(v["error"], "group 5 is not divisible by 11");
    assert!(v["hint"].as_str().unwrap().contains("group 5"));

    let out = keyhaven(&["key", "check", "--json", VALID], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["key"], VALID);
}

#[test]
fn other_kinds() {
    let out = keyhaven(&["key", "check", "abcd-efgh-ijkl-mnop-qrst-uvwx"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("ABCD-EFGH-IJKL-MNOP-QRST-UVWX"));

    let luks = "cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv";
    let out = keyhaven(&["key", "check", luks], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("valid LUKS recovery key"));

    let out = keyhaven(
        &[
            "key",
            "check",
            "--kind",
            "luks",
            &luks.replace("jklnrtuv-cbde", "jklnrtuv-abde"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("group 3 contains 'a'"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bitlocker_file_prints_identifier() {
    let out = keyhaven(
        &[
            "key",
            "check",
            "--file",
            &data("windows-utf16le-bom-crlf.TXT"),
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "bitlocker");
    let id = v["identifier"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(id, id.to_uppercase());

    let out = keyhaven(
        &["key", "check", "--file", &data("utf16le-typo-group-5.txt")],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("group 5"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(
        keyhaven(&["key", "check", "--bogus"], None).status.code(),
        Some(2)
    );
    assert_eq!(
        keyhaven(&["key", "check", "--kind", "nope", VALID], None)
            .status
            .code(),
        Some(2)
    );
    let missing = keyhaven(&["key", "check", "--file", "/nonexistent/file.txt"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).starts_with("error: cannot read /nonexistent/file.txt"));
    let wrong = keyhaven(
        &[
            "key",
            "check",
            "--kind",
            "luks",
            "--file",
            &data("utf8-bom-crlf.txt"),
        ],
        None,
    );
    assert_eq!(wrong.status.code(), Some(2));
}

#[test]
fn help_documents_exit_codes() {
    let out = keyhaven(&["key", "check", "--help"], None);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for needle in [
        "Exit codes:",
        "0  success",
        "1  the input was read but is invalid",
        "2  usage error",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}");
    }
}
