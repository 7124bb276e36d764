//! Every BitLocker recovery password in `docs/vectors/bitlocker-recovery-passwords.json`
//! (published examples, with their sources) gives the recorded outcome.

use keyhaven_core::device::{BitLockerRecoveryPassword, GroupError};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../docs/vectors/bitlocker-recovery-passwords.json");

fn field<'a>(vector: &'a Value, name: &str) -> &'a Value {
    vector
        .get(name)
        .unwrap_or_else(|| panic!("vector without {name}: {vector}"))
}

fn number(vector: &Value, name: &str) -> usize {
    let n = field(vector, name)
        .as_u64()
        .unwrap_or_else(|| panic!("{name} is not a number"));
    usize::try_from(n).unwrap()
}

fn expected_error(vector: &Value) -> GroupError {
    match field(vector, "error").as_str().unwrap() {
        "WrongLength" => GroupError::WrongLength {
            found: number(vector, "found"),
        },
        "WrongGroupLength" => GroupError::WrongGroupLength {
            group: number(vector, "group"),
            found: number(vector, "found"),
        },
        "NotDivisibleBy11" => GroupError::NotDivisibleBy11 {
            group: number(vector, "group"),
        },
        "TooLarge" => GroupError::TooLarge {
            group: number(vector, "group"),
        },
        other => panic!("unknown error kind {other}"),
    }
}

#[test]
fn published_examples_give_the_recorded_outcome() {
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 10, "expected the full list of examples");
    let (mut valid, mut invalid) = (0, 0);
    for vector in vectors {
        let text = field(vector, "password").as_str().unwrap();
        assert!(
            !field(vector, "source").as_str().unwrap().is_empty(),
            "{text} has no source"
        );
        let parsed = BitLockerRecoveryPassword::parse(text);
        match field(vector, "expected").as_str().unwrap() {
            "valid" => {
                valid += 1;
                let password = parsed.unwrap_or_else(|e| panic!("{text}: {e}"));
                let key = hex::decode(field(vector, "key_hex").as_str().unwrap()).unwrap();
                assert_eq!(password.expose_key_bytes().as_slice(), key, "{text}");
                assert_eq!(password.expose_normalized().as_str(), text, "{text}");
            }
            "invalid" => {
                invalid += 1;
                assert_eq!(parsed.unwrap_err(), expected_error(vector), "{text}");
            }
            other => panic!("unknown outcome {other}"),
        }
    }
    assert!(valid > 0 && invalid > 0);
}
