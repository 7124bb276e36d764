//! The CLI's conveniences: completion scripts for each shell and the manual pages.

mod support;

use std::process::Command;

fn keyhaven(args: &[&str]) -> std::process::Output {
    Command::new(support::BIN).args(args).output().unwrap()
}

#[test]
fn completions_for_each_shell_name_the_commands() {
    for (shell, marker) in [
        ("bash", "_keyhaven()"),
        ("zsh", "#compdef keyhaven"),
        ("fish", "complete -c keyhaven"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = keyhaven(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {marker:?} missing");
        for command in ["recovery-key", "device", "server"] {
            assert!(text.contains(command), "{shell} completes {command}");
        }
    }
    let out = keyhaven(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_manual_page_is_roff_and_one_page_per_command_can_be_written() {
    let out = keyhaven(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH keyhaven"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("recovery\\-key") || page.contains("recovery-key"));

    let dir = tempfile::tempdir().unwrap();
    let out = keyhaven(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    for page in [
        "keyhaven.1",
        "keyhaven-server.1",
        "keyhaven-server-backup.1",
        "keyhaven-device.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page} written");
    }
}
