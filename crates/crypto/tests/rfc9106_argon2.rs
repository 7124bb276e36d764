//! RFC 9106 section 5.3 "Argon2id Test Vectors" (version 0x13), typed in from the RFC text
//! (<https://www.rfc-editor.org/rfc/rfc9106#section-5.3>):
//!
//! ```text
//! Memory: 32 KiB, Passes: 3, Parallelism: 4 lanes, Tag length: 32 bytes
//! Password[32]: 01 01 ... 01
//! Salt[16]: 02 02 ... 02
//! Secret[8]: 03 03 03 03 03 03 03 03
//! Associated data[12]: 04 04 04 04 04 04 04 04 04 04 04 04
//! Tag[32]:
//!     0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9
//!     d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59
//! ```
//!
//! Run through `argon2` 0.5 (the crate opaque-ke's `Ksf` impl uses) with
//! `Argon2::new_with_secret` and `Params` carrying the associated data. The RFC vector is the only
//! published one that exercises the secret and associated-data inputs, so the test also checks
//! that dropping either of them changes the tag (i.e. both inputs really reach the hash).

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};

const PASSWORD: [u8; 32] = [0x01; 32];
const SALT: [u8; 16] = [0x02; 16];
const SECRET: [u8; 8] = [0x03; 8];
const AD: [u8; 12] = [0x04; 12];
const TAG: &str = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659";

fn params(with_ad: bool) -> argon2::Params {
    let mut b = ParamsBuilder::new();
    b.m_cost(32).t_cost(3).p_cost(4).output_len(32);
    if with_ad {
        b.data(AssociatedData::new(&AD).expect("12 bytes <= MAX_DATA_LEN"));
    }
    b.build().expect("valid RFC 9106 parameters")
}

fn tag(secret: Option<&[u8]>, with_ad: bool) -> [u8; 32] {
    let ctx = match secret {
        Some(secret) => {
            Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, params(with_ad))
                .expect("8-byte secret is accepted")
        }
        None => Argon2::new(Algorithm::Argon2id, Version::V0x13, params(with_ad)),
    };
    let mut out = [0u8; 32];
    ctx.hash_password_into(&PASSWORD, &SALT, &mut out)
        .expect("hashing succeeds");
    out
}

#[test]
fn rfc9106_argon2id_section_5_3() {
    let expected = hex::decode(TAG).expect("hex");
    let got = tag(Some(&SECRET), true);
    let checked = 1usize;
    let mismatches = usize::from(got.as_slice() != expected.as_slice());
    println!(
        "[RFC 9106] checked {checked} Argon2id test vector (with secret and associated data), \
         {mismatches} mismatches; got {}",
        hex::encode(got)
    );
    assert_eq!(
        hex::encode(got),
        TAG,
        "Argon2id tag differs from RFC 9106 5.3"
    );

    // Both extra inputs must influence the output.
    assert_ne!(tag(None, true), got, "secret had no effect");
    assert_ne!(
        tag(Some(&SECRET), false),
        got,
        "associated data had no effect"
    );
}
