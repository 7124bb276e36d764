//! `manage-bde -protectors -get` output samples.

use std::path::PathBuf;

use keyhaven_core::device::{GroupError, ManageBdeError, ManageBdeOutput, ProtectorId};

fn data(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "data",
        "manage-bde",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (volume, identifier, normalized password) for every numerical password.
fn summary(output: &ManageBdeOutput) -> Vec<(Option<String>, String, String)> {
    output
        .numerical_passwords()
        .map(|(volume, p)| {
            (
                volume.map(str::to_owned),
                p.id.to_string(),
                p.password.expose_normalized().to_string(),
            )
        })
        .collect()
}

#[test]
fn windows_11_os_volume() {
    let output = ManageBdeOutput::parse(&data("win11-os-volume-crlf.txt")).unwrap();
    assert_eq!(output.volume(), Some("C:"));
    assert_eq!(output.volumes[0].label.as_deref(), Some("OS"));
    assert_eq!(
        summary(&output),
        [(
            Some("C:".to_owned()),
            "4B82A66E-A0C0-4EF4-AB39-5C1D7E2F9A30".to_owned(),
            "599907-126192-034078-378543-435050-262383-683309-100661".to_owned()
        )]
    );
}

#[test]
fn two_volumes_in_utf16() {
    let output = ManageBdeOutput::parse(&data("two-volumes-utf16le-bom.txt")).unwrap();
    assert_eq!(output.volumes.len(), 2);
    assert_eq!(output.volumes[1].label.as_deref(), Some("DATA"));
    assert_eq!(
        summary(&output),
        [
            (
                Some("C:".to_owned()),
                "4B82A66E-A0C0-4EF4-AB39-5C1D7E2F9A30".to_owned(),
                "131450-120197-153989-250338-511368-495572-680944-381546".to_owned()
            ),
            (
                Some("D:".to_owned()),
                "D4689A81-901A-4151-9F26-0B7C3E5A1F42".to_owned(),
                "531058-303050-716078-383614-460922-106975-083446-139161".to_owned()
            ),
        ]
    );
}

#[test]
fn flat_output_skips_the_password_protector() {
    let output =
        ManageBdeOutput::parse(&data("flat-lf-password-protector-and-two-numerical.txt")).unwrap();
    assert_eq!(output.volume(), Some("E:"));
    let ids: Vec<String> = summary(&output).into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(
        ids,
        [
            "1A2B3C4D-5E6F-4A8B-9C0D-1E2F3A4B5C6D",
            "2B3C4D5E-6F7A-4B9C-8D1E-2F3A4B5C6D7E"
        ]
    );
}

#[test]
fn microsoft_docs_example_has_a_redacted_id() {
    assert_eq!(
        ManageBdeOutput::parse(&data("microsoft-docs-example.txt")),
        Err(ManageBdeError::InvalidId { protector: 1 })
    );
}

#[test]
fn typo_names_the_protector_and_group() {
    let id: ProtectorId = "4B82A66E-A0C0-4EF4-AB39-5C1D7E2F9A30".parse().unwrap();
    let error = ManageBdeOutput::parse(&data("typo-group-4.txt")).unwrap_err();
    assert_eq!(
        error,
        ManageBdeError::InvalidPassword {
            id,
            error: GroupError::NotDivisibleBy11 { group: 4 }
        }
    );
    assert_eq!(
        error.to_string(),
        "the password of numerical password 4B82A66E-A0C0-4EF4-AB39-5C1D7E2F9A30 is not valid: \
         group 4 is not divisible by 11"
    );
}
