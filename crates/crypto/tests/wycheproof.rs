//! Wycheproof known-answer and edge-case vectors for the primitives Keyhaven uses, exercised
//! through the exact crates Keyhaven depends on (not through Keyhaven's own API), except for
//! Ed25519 verification, which Keyhaven implements itself (decision 0011) and is checked here
//! one signature at a time and in one batch.
//!
//! Source: the `wycheproof` crate (0.7, dev-dependency), which packages the JSON test sets of
//! C2SP/wycheproof. Every test in each set is accounted for: each test function asserts that the
//! number of cases it handled equals the set's `numberOfTests`, that at least one case was checked,
//! and that there were zero mismatches (all mismatches are listed before the assertion fails).

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use keyhaven_crypto::aead;
use keyhaven_crypto::sign::{self, Signature, SignedMessage, VerifyingKey};
use sha2::Sha256;
use wycheproof::TestResult;

/// Per-suite bookkeeping: how many cases were handled and what did not match.
struct Tally {
    suite: &'static str,
    total_in_set: usize,
    handled: usize,
    mismatches: Vec<String>,
    notes: Vec<String>,
}

impl Tally {
    fn new(suite: &'static str, total_in_set: usize) -> Self {
        Self {
            suite,
            total_in_set,
            handled: 0,
            mismatches: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn mismatch(&mut self, tc_id: usize, comment: &str, what: impl Into<String>) {
        self.mismatches
            .push(format!("tcId {tc_id} ({comment}): {}", what.into()));
    }

    fn finish(self) {
        for note in &self.notes {
            println!("[{}] note: {note}", self.suite);
        }
        for m in &self.mismatches {
            println!("[{}] MISMATCH {m}", self.suite);
        }
        println!(
            "[{}] checked {} of {} vectors, {} mismatches",
            self.suite,
            self.handled,
            self.total_in_set,
            self.mismatches.len()
        );
        assert!(self.handled > 0, "[{}] no vectors were checked", self.suite);
        assert_eq!(
            self.handled, self.total_in_set,
            "[{}] some vectors in the set were not handled",
            self.suite
        );
        assert!(
            self.mismatches.is_empty(),
            "[{}] {} mismatches: {:#?}",
            self.suite,
            self.mismatches.len(),
            self.mismatches
        );
    }
}

#[test]
fn wycheproof_xchacha20_poly1305() {
    use wycheproof::aead::{TestFlag, TestName, TestSet};

    let set = TestSet::load(TestName::XChaCha20Poly1305).expect("load xchacha20_poly1305");
    let mut tally = Tally::new("XChaCha20-Poly1305", set.number_of_tests);
    let (mut valid_ok, mut invalid_rejected, mut bad_nonce_len) = (0usize, 0usize, 0usize);
    let mut backends_agree = 0usize;

    for group in &set.test_groups {
        for t in &group.tests {
            tally.handled += 1;
            let c = t.comment.as_str();
            assert_eq!(t.nonce.len() * 8, group.nonce_size, "tcId {}", t.tc_id);

            // `XChaCha20Poly1305` only takes a 24-byte nonce (a typed `XNonce`), so a nonce of any
            // other length cannot even be passed to it. That is only correct if the vector
            // says the case is invalid.
            if t.nonce.len() != 24 {
                if t.result == TestResult::Invalid {
                    assert!(t.flags.contains(&TestFlag::InvalidNonceSize));
                    bad_nonce_len += 1;
                } else {
                    tally.mismatch(
                        t.tc_id,
                        c,
                        format!(
                            "{:?} case uses a {}-byte nonce the API cannot take",
                            t.result,
                            t.nonce.len()
                        ),
                    );
                }
                continue;
            }
            if group.tag_size != 128 || t.tag.len() != 16 {
                tally.mismatch(t.tc_id, c, "unexpected tag size (API has 16-byte tags)");
                continue;
            }

            let Ok(key) = <[u8; 32]>::try_from(t.key.as_slice()) else {
                if t.result == TestResult::Invalid {
                    invalid_rejected += 1;
                } else {
                    tally.mismatch(t.tc_id, c, "key rejected");
                }
                continue;
            };
            let nonce: [u8; 24] = t.nonce.as_slice().try_into().expect("checked above");
            let mut ct_tag = t.ct.to_vec();
            ct_tag.extend_from_slice(&t.tag);

            // Keyhaven's native backend (ring) must agree with the portable one (RustCrypto)
            // on every case; the portable result is what the rest of the test checks.
            let opened = aead::portable_open(&key, &nonce, &t.aad, &ct_tag).map(|p| p.to_vec());
            let native_opened = aead::open(&key, &nonce, &t.aad, &ct_tag).map(|p| p.to_vec());
            let mut sealed = Vec::new();
            aead::portable_seal(&key, &nonce, &t.aad, &t.pt, &mut sealed);
            let mut native_sealed = Vec::new();
            aead::seal(&key, &nonce, &t.aad, &t.pt, &mut native_sealed);
            if native_opened != opened || native_sealed != sealed {
                tally.mismatch(t.tc_id, c, "native and portable backends disagree");
                continue;
            }
            backends_agree += 1;

            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    let mut ok = true;
                    match opened {
                        Ok(pt) if pt == *t.pt => {}
                        Ok(_) => {
                            ok = false;
                            tally.mismatch(t.tc_id, c, "decrypted to the wrong plaintext");
                        }
                        Err(_) => {
                            ok = false;
                            tally.mismatch(t.tc_id, c, "valid ciphertext failed to decrypt");
                        }
                    }
                    if sealed != ct_tag {
                        ok = false;
                        tally.mismatch(t.tc_id, c, "encryption did not produce ct||tag");
                    }
                    valid_ok += usize::from(ok);
                }
                TestResult::Invalid => {
                    let mut ok = true;
                    if opened.is_ok() {
                        ok = false;
                        tally.mismatch(t.tc_id, c, "invalid ciphertext decrypted");
                    }
                    // The vector's ct||tag is wrong (e.g. a modified tag): encrypting the
                    // plaintext must not reproduce it.
                    if sealed == ct_tag {
                        ok = false;
                        tally.mismatch(t.tc_id, c, "encryption reproduced an invalid ct||tag");
                    }
                    invalid_rejected += usize::from(ok);
                }
            }
        }
    }

    println!(
        "[XChaCha20-Poly1305] valid: {valid_ok} decrypted and re-encrypted correctly; \
         invalid: {invalid_rejected} rejected by decryption, {bad_nonce_len} with a nonce \
         length other than 24 bytes (not representable as XNonce, expected failure); \
         native and portable backends agree on {backends_agree}"
    );
    assert_eq!(
        backends_agree,
        valid_ok + invalid_rejected,
        "every 24-byte case ran on both backends"
    );
    tally.finish();
}

#[test]
fn wycheproof_x25519() {
    use wycheproof::MontgomeryCurve;
    use wycheproof::xdh::{TestFlag, TestName, TestSet};
    use x25519_dalek::{PublicKey, StaticSecret};

    let set = TestSet::load(TestName::X25519).expect("load x25519");
    let mut tally = Tally::new("X25519", set.number_of_tests);
    let (mut valid, mut acceptable, mut invalid) = (0usize, 0usize, 0usize);
    let (mut zero_shared, mut low_order_public) = (0usize, 0usize);

    tally.notes.push(
        "x25519-dalek does not reject low-order or non-canonical public keys: it computes the \
         RFC 7748 function for every input, so every case (valid and acceptable) is checked by \
         comparing the shared secret; an all-zero result is detectable with \
         SharedSecret::was_contributory(), which callers must check"
            .into(),
    );

    for group in &set.test_groups {
        assert_eq!(group.curve, MontgomeryCurve::X25519);
        for t in &group.tests {
            tally.handled += 1;
            let c = t.comment.as_str();
            let (Ok(sk), Ok(pk)) = (
                <[u8; 32]>::try_from(t.private_key.as_slice()),
                <[u8; 32]>::try_from(t.public_key.as_slice()),
            ) else {
                if t.result == TestResult::Invalid {
                    invalid += 1;
                } else {
                    tally.mismatch(t.tc_id, c, "key of the wrong length in a non-invalid case");
                }
                continue;
            };

            let shared = StaticSecret::from(sk).diffie_hellman(&PublicKey::from(pk));
            let all_zero = t.shared_secret.iter().all(|&b| b == 0);
            let mut ok = true;
            if shared.as_bytes().as_slice() != t.shared_secret.as_slice() {
                ok = false;
                tally.mismatch(t.tc_id, c, "shared secret differs");
            }
            if shared.was_contributory() == all_zero {
                ok = false;
                tally.mismatch(
                    t.tc_id,
                    c,
                    "was_contributory() disagrees with the all-zero expectation",
                );
            }
            if all_zero {
                zero_shared += 1;
            }
            if t.flags.contains(&TestFlag::LowOrderPublic) {
                low_order_public += 1;
            }
            if !ok {
                continue;
            }
            match t.result {
                TestResult::Valid => valid += 1,
                TestResult::Acceptable => acceptable += 1,
                // An "invalid" X25519 case with a given shared secret would still be a
                // computation we can compare; there are none in this set.
                TestResult::Invalid => invalid += 1,
            }
        }
    }

    println!(
        "[X25519] shared secret matched: {valid} valid, {acceptable} acceptable; {invalid} \
         invalid; {zero_shared} cases have an all-zero shared secret (was_contributory() == \
         false for exactly those); {low_order_public} flagged LowOrderPublic"
    );
    tally.finish();
}

#[test]
fn wycheproof_ed25519_verify_single_and_batched() {
    use wycheproof::EdwardsCurve;
    use wycheproof::eddsa::{TestName, TestSet};

    let set = TestSet::load(TestName::Ed25519).expect("load ed25519");
    let mut tally = Tally::new("Ed25519 verify", set.number_of_tests);
    let (mut valid_accepted, mut invalid_rejected) = (0usize, 0usize);
    let mut acceptable_cases: Vec<String> = Vec::new();
    // Every well-formed (key, message, signature) of the whole set, with its one-by-one verdict,
    // for the batch check at the end.
    let mut batchable: Vec<(VerifyingKey, Vec<u8>, Signature, bool, usize)> = Vec::new();

    for group in &set.test_groups {
        assert_eq!(group.key.curve, EdwardsCurve::Ed25519);
        let key = <[u8; 32]>::try_from(group.key.pk.as_slice())
            .ok()
            .and_then(|pk| VerifyingKey::from_bytes(&pk).ok());
        for t in &group.tests {
            tally.handled += 1;
            let c = t.comment.as_str();
            let signature = <[u8; 64]>::try_from(t.sig.as_slice()).ok().map(Signature);
            let verdict = match (&key, &signature) {
                (Some(key), Some(sig)) => {
                    let ok = key.verify(&t.msg, sig).is_ok();
                    batchable.push((*key, t.msg.to_vec(), *sig, ok, t.tc_id));
                    ok
                }
                _ => false,
            };
            match t.result {
                TestResult::Valid => {
                    if verdict {
                        valid_accepted += 1;
                    } else {
                        tally.mismatch(t.tc_id, c, "valid signature rejected");
                    }
                }
                TestResult::Invalid => {
                    if verdict {
                        tally.mismatch(t.tc_id, c, "invalid signature accepted");
                    } else {
                        invalid_rejected += 1;
                    }
                }
                TestResult::Acceptable => acceptable_cases.push(format!(
                    "tcId {} ({c}, flags {:?}): verify {}",
                    t.tc_id,
                    t.flags,
                    if verdict { "accepts" } else { "rejects" }
                )),
            }
        }
    }

    // The batch verifier, given every case at once (valid and invalid mixed, several keys),
    // reaches each case's one-by-one verdict.
    let items: Vec<SignedMessage<'_>> = batchable
        .iter()
        .map(|(key, msg, sig, _, _)| SignedMessage {
            key,
            message: msg,
            signature: sig,
        })
        .collect();
    let batched = sign::verify_batch(&items);
    assert_eq!(batched.len(), batchable.len());
    for ((_, _, _, single, tc_id), batch) in batchable.iter().zip(&batched) {
        if batch.is_ok() != *single {
            tally.mismatch(*tc_id, "batch", "batch verdict differs from one-by-one");
        }
    }
    assert!(batched.iter().any(|r| r.is_ok()) && batched.iter().any(|r| r.is_err()));

    println!(
        "[Ed25519 verify] valid accepted: {valid_accepted}; invalid rejected: \
         {invalid_rejected}; acceptable-flagged cases: {}; batched alike: {}",
        acceptable_cases.len(),
        batched.len()
    );
    for a in &acceptable_cases {
        println!("[Ed25519 verify] acceptable: {a}");
    }
    tally.finish();
}

#[test]
fn wycheproof_hkdf_sha256() {
    use wycheproof::hkdf::{TestName, TestSet};

    let set = TestSet::load(TestName::HkdfSha256).expect("load hkdf_sha256");
    let mut tally = Tally::new("HKDF-SHA256", set.number_of_tests);
    let (mut valid_ok, mut invalid_rejected) = (0usize, 0usize);

    for group in &set.test_groups {
        for t in &group.tests {
            tally.handled += 1;
            let c = t.comment.as_str();
            let hk = Hkdf::<Sha256>::new(Some(&t.salt), &t.ikm);
            let mut okm = vec![0u8; t.size];
            let res = hk.expand(&t.info, &mut okm);
            match t.result {
                TestResult::Valid | TestResult::Acceptable => match res {
                    Ok(()) if okm == *t.okm => valid_ok += 1,
                    Ok(()) => tally.mismatch(t.tc_id, c, "okm differs"),
                    Err(_) => tally.mismatch(t.tc_id, c, "expand failed for a valid size"),
                },
                TestResult::Invalid => {
                    if res.is_err() {
                        invalid_rejected += 1;
                    } else {
                        tally.mismatch(t.tc_id, c, "expand accepted an invalid request");
                    }
                }
            }
        }
    }

    println!(
        "[HKDF-SHA256] valid okm matched: {valid_ok}; invalid (output too long) rejected: \
         {invalid_rejected}"
    );
    tally.finish();
}

#[test]
fn wycheproof_hmac_sha256() {
    use wycheproof::mac::{TestName, TestSet};

    let set = TestSet::load(TestName::HmacSha256).expect("load hmac_sha256");
    let mut tally = Tally::new("HMAC-SHA256", set.number_of_tests);
    let (mut valid_ok, mut invalid_rejected, mut truncated) = (0usize, 0usize, 0usize);

    for group in &set.test_groups {
        for t in &group.tests {
            tally.handled += 1;
            let c = t.comment.as_str();
            assert_eq!(t.tag.len() * 8, group.tag_size, "tcId {}", t.tc_id);
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(&t.key).expect("HMAC takes any key");
            mac.update(&t.msg);
            let full = mac.clone().finalize().into_bytes();
            let prefix_matches = full.get(..t.tag.len()) == Some(t.tag.as_slice());
            // Full-length tags go through `verify_slice`, truncated ones through
            // `verify_truncated_left` (both constant-time).
            let verified = if t.tag.len() == full.len() {
                mac.verify_slice(&t.tag).is_ok()
            } else {
                truncated += 1;
                mac.verify_truncated_left(&t.tag).is_ok()
            };
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    if prefix_matches && verified {
                        valid_ok += 1;
                    } else {
                        tally.mismatch(t.tc_id, c, "valid tag not reproduced/verified");
                    }
                }
                TestResult::Invalid => {
                    if !prefix_matches && !verified {
                        invalid_rejected += 1;
                    } else {
                        tally.mismatch(t.tc_id, c, "invalid tag accepted");
                    }
                }
            }
        }
    }

    println!(
        "[HMAC-SHA256] valid tags reproduced and verified: {valid_ok}; invalid tags rejected: \
         {invalid_rejected}; {truncated} cases use a truncated (128-bit) tag"
    );
    tally.finish();
}
