//! RFC 5869 Appendix A test cases 1-3 (HKDF with SHA-256), typed in from the RFC text
//! (<https://www.rfc-editor.org/rfc/rfc5869#appendix-A>), run through `hkdf` 0.12 with
//! `sha2::Sha256` exactly as Keyhaven uses them. Both the extract output (PRK) and the expand
//! output (OKM) are compared, and expand is also run from the published PRK alone.

use hkdf::Hkdf;
use sha2::Sha256;

struct Case {
    name: &'static str,
    ikm: &'static str,
    salt: &'static str,
    info: &'static str,
    len: usize,
    prk: &'static str,
    okm: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "A.1 Test Case 1 (basic)",
        ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        salt: "000102030405060708090a0b0c",
        info: "f0f1f2f3f4f5f6f7f8f9",
        len: 42,
        prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
        okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf\
              34007208d5b887185865",
    },
    Case {
        name: "A.2 Test Case 2 (longer inputs/outputs)",
        ikm: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
              202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\
              404142434445464748494a4b4c4d4e4f",
        salt: "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f\
               808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\
               a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        info: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf\
               d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef\
               f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        len: 82,
        prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
        okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
              59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
              cc30c58179ec3e87c14c01d5c1f3434f1d87",
    },
    Case {
        name: "A.3 Test Case 3 (zero-length salt and info)",
        ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        salt: "",
        info: "",
        len: 42,
        prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
        okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d\
              9d201395faa4b61a96c8",
    },
];

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("test data is valid hex")
}

#[test]
fn rfc5869_hkdf_sha256_appendix_a() {
    let mut checked = 0usize;
    let mut mismatches = Vec::new();

    for case in CASES {
        let (ikm, salt, info) = (unhex(case.ikm), unhex(case.salt), unhex(case.info));
        let (prk, okm) = (unhex(case.prk), unhex(case.okm));
        assert_eq!(
            okm.len(),
            case.len,
            "{}: L does not match the OKM length",
            case.name
        );

        // RFC 5869 2.2: "if not provided, [salt] is set to a string of HashLen zeros"; the
        // zero-length salt of test case 3 is passed as `None` (and must agree with `Some(&[])`).
        let salt_opt = if salt.is_empty() {
            None
        } else {
            Some(salt.as_slice())
        };
        let (got_prk, hk) = Hkdf::<Sha256>::extract(salt_opt, &ikm);
        if got_prk.as_slice() != prk.as_slice() {
            mismatches.push(format!("{}: PRK differs", case.name));
        }
        let mut got = vec![0u8; case.len];
        hk.expand(&info, &mut got).expect("L <= 255*HashLen");
        if got != okm {
            mismatches.push(format!("{}: OKM differs", case.name));
        }

        let mut from_prk = vec![0u8; case.len];
        Hkdf::<Sha256>::from_prk(&prk)
            .expect("PRK is HashLen bytes")
            .expand(&info, &mut from_prk)
            .expect("L <= 255*HashLen");
        if from_prk != okm {
            mismatches.push(format!("{}: OKM from the published PRK differs", case.name));
        }

        if salt.is_empty() {
            let (prk_empty_salt, _) = Hkdf::<Sha256>::extract(Some(&[]), &ikm);
            if prk_empty_salt.as_slice() != prk.as_slice() {
                mismatches.push(format!("{}: Some(empty salt) differs from None", case.name));
            }
        }
        checked += 1;
    }

    for m in &mismatches {
        println!("[RFC 5869] MISMATCH {m}");
    }
    println!(
        "[RFC 5869] checked {checked} HKDF-SHA256 test cases (PRK and OKM each), {} mismatches",
        mismatches.len()
    );
    assert_eq!(checked, 3, "expected RFC 5869 test cases 1-3");
    assert!(mismatches.is_empty(), "mismatches: {mismatches:#?}");
}
