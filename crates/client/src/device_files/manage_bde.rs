//! `manage-bde -protectors -get` output (as PowerShell 5 redirects it: UTF-16LE with a BOM),
//! parsed by core's [`ManageBdeOutput`]: one key per numerical-password protector, each on
//! the volume the output names. The output names no device, so `--device` must.

use keyhaven_core::device::{ManageBdeError, ManageBdeOutput};

use super::{Defaults, NO_DEVICE_IN_FILE, Read, Row, bitlocker_kind, build};

const SOURCE: &str = "manage-bde";

pub(super) fn read(origin: &str, text: &str, defaults: &Defaults, found: &mut Read) {
    let output = match ManageBdeOutput::parse_str(text) {
        Ok(output) => output,
        Err(ManageBdeError::InvalidPassword { id, error }) => {
            // The core parser refuses the whole output; the identifier says which protector.
            return found.bad(
                origin,
                format!("numerical password {id}: recovery key: {error}"),
            );
        }
        Err(e) => return found.bad(origin, e.to_string()),
    };
    let kind = match bitlocker_kind(defaults) {
        Ok(kind) => kind,
        Err(reason) => return found.bad(origin, reason),
    };
    if defaults.device.is_none() {
        return found.bad(origin, NO_DEVICE_IN_FILE);
    }
    let protectors: Vec<_> = output.numerical_passwords().collect();
    let several = protectors.len() > 1;
    for (i, (volume, protector)) in protectors.into_iter().enumerate() {
        let key_id = protector.id.to_string();
        let key = protector.password.expose_normalized();
        let row = Row {
            volume,
            key_id: Some(key_id.as_str()),
            key: Some(key.as_str()),
            ..Row::default()
        };
        let origin = if several {
            format!("{origin}#{}", i + 1)
        } else {
            origin.to_owned()
        };
        found.push(
            origin,
            build(&row, kind, SOURCE, defaults, NO_DEVICE_IN_FILE),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        ID_A, ID_B, KEY_A, KEY_B, assert_no_key_material, device, read,
    };
    use super::super::{Defaults, NO_DEVICE_IN_FILE};

    const MANAGE_BDE: &str = "BitLocker Drive Encryption: Configuration Tool version 10.0.26100\r
Copyright (C) 2013 Microsoft Corporation. All rights reserved.\r
\r
Volume D: [Data]\r
All Key Protectors\r
\r
    TPM:\r
      ID: {EBDEC50E-0666-4674-9EF4-0123456789AB}\r
      PCR Validation Profile:\r
        7, 11\r
\r
    Numerical Password:\r
      ID: {4B82A66E-A0C0-4EF4-AB39-0123456789AB}\r
      Password:\r
        471207-278498-422125-177177-561902-537405-468006-693451\r
      Backup type:\r
        AD backup\r
\r
    Numerical Password:\r
      ID: {AC9D5655-F7CA-4D1D-902F-1B6087118138}\r
      Password:\r
        132858-327525-689172-680790-354607-080454-642268-377564\r
\r
";

    #[test]
    fn manage_bde_output_with_two_protectors() {
        // PowerShell 5 redirection writes UTF-16LE with a BOM.
        let mut bytes = vec![0xFF, 0xFE];
        for unit in MANAGE_BDE.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let found = read("bde.txt", &bytes, &device("SRV-01"));
        assert!(found.invalid.is_empty(), "{:?}", found.invalid);
        let got: Vec<_> = found
            .candidates
            .iter()
            .map(|c| {
                (
                    c.origin.as_str(),
                    c.meta.volume.as_str(),
                    c.meta.key_id.as_str(),
                    c.secret.as_str(),
                    c.meta.source.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("bde.txt#1", "D:", ID_B, KEY_B, "manage-bde"),
                ("bde.txt#2", "D:", ID_A, KEY_A, "manage-bde"),
            ]
        );
        let found = read("bde.txt", MANAGE_BDE.as_bytes(), &Defaults::default());
        assert_eq!(found.invalid.len(), 1, "one reason for the whole file");
        assert_eq!(found.invalid[0].reason, NO_DEVICE_IN_FILE);
        let bad = MANAGE_BDE.replace("422125", "422126");
        let found = read("bde.txt", bad.as_bytes(), &device("SRV-01"));
        assert_eq!(
            found.invalid[0].reason,
            format!("numerical password {ID_B}: recovery key: group 3 is not divisible by 11")
        );
        assert_no_key_material(&found);
    }
}
