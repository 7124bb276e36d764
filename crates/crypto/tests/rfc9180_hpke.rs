//! RFC 9180 (HPKE) test vectors for Keyhaven's suite, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
//! ChaCha20Poly1305, modes 0-3, through `hpke` 0.12.
//!
//! Data: `data/hpke-rfc9180-x25519-sha256-chacha20poly1305.json` (see `data/SOURCES.md`); its
//! SHA-256 is checked against the pinned value before it is parsed.
//!
//! What is verified, per vector:
//! - through `hpke`: `Kem::derive_keypair(ikmR / ikmE / ikmS)` gives skRm/pkRm, skEm/pkEm and
//!   skSm/pkSm; `setup_sender` (with an RNG that yields exactly ikmE, which `hpke` turns into the
//!   ephemeral key with `derive_keypair`, so the sender side is reproduced deterministically)
//!   gives `enc`; every encryption, in sequence order, is sealed by the sender context to the
//!   vector's ct and opened by the `setup_receiver(enc)` context to the vector's pt; every export
//!   matches on both sides; a tampered ciphertext is rejected.
//! - independently, from the RFC 9180 formulas with `hkdf`, `x25519-dalek` and
//!   `chacha20poly1305` (the primitives Keyhaven uses): the derived private keys, shared_secret,
//!   key_schedule_context, secret, key, base_nonce, exporter_secret, each per-sequence nonce and
//!   ciphertext, and each exported value. These intermediates are not exposed by `hpke`'s API.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use hkdf::Hkdf;
use hpke::aead::ChaCha20Poly1305 as HpkeChaCha20Poly1305;
use hpke::kdf::HkdfSha256 as HpkeHkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{CryptoRng, RngCore};
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, PskBundle, Serializable};
use serde::Deserialize;
use sha2::{Digest, Sha256};

type KemX25519 = X25519HkdfSha256;
type EncappedKey = <KemX25519 as hpke::Kem>::EncappedKey;
type PrivateKey = <KemX25519 as hpke::Kem>::PrivateKey;
type PublicKey = <KemX25519 as hpke::Kem>::PublicKey;

const DATA: &[u8] = include_bytes!("data/hpke-rfc9180-x25519-sha256-chacha20poly1305.json");
const DATA_SHA256: &str = "5337a8dc11009293d5d35ae63afb5d636cca8ee193ad8c01870b4c35dd303d08";

const KEM_ID: u16 = 0x0020;
const KDF_ID: u16 = 0x0001;
const AEAD_ID: u16 = 0x0003;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    info: String,
    #[serde(rename = "ikmR")]
    ikm_r: String,
    #[serde(rename = "ikmE")]
    ikm_e: String,
    #[serde(rename = "ikmS")]
    ikm_s: Option<String>,
    #[serde(rename = "skRm")]
    sk_rm: String,
    #[serde(rename = "skEm")]
    sk_em: String,
    #[serde(rename = "skSm")]
    sk_sm: Option<String>,
    #[serde(rename = "pkRm")]
    pk_rm: String,
    #[serde(rename = "pkEm")]
    pk_em: String,
    #[serde(rename = "pkSm")]
    pk_sm: Option<String>,
    psk: Option<String>,
    psk_id: Option<String>,
    enc: String,
    shared_secret: String,
    key_schedule_context: String,
    secret: String,
    key: String,
    base_nonce: String,
    exporter_secret: String,
    encryptions: Vec<Encryption>,
    exports: Vec<Export>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Encryption {
    aad: String,
    ct: String,
    nonce: String,
    pt: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Export {
    exporter_context: String,
    #[serde(rename = "L")]
    len: usize,
    exported_value: String,
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("vector field is valid hex")
}

fn check_pinned_hash() {
    let got = hex::encode(Sha256::digest(DATA));
    assert_eq!(
        got, DATA_SHA256,
        "HPKE vector file does not match the SHA-256 pinned in data/SOURCES.md"
    );
}

fn load() -> Vec<Vector> {
    check_pinned_hash();
    serde_json::from_slice(DATA).expect("HPKE vector file parses")
}

/// An RNG that hands out exactly the scripted chunks, in order, one per `fill_bytes` call, and
/// panics on anything else. Used to feed `ikmE` to `setup_sender`.
struct ScriptedRng(std::collections::VecDeque<Vec<u8>>);

impl RngCore for ScriptedRng {
    fn next_u32(&mut self) -> u32 {
        panic!("unexpected next_u32")
    }
    fn next_u64(&mut self) -> u64 {
        panic!("unexpected next_u64")
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let chunk = self.0.pop_front().expect("RNG script exhausted");
        assert_eq!(chunk.len(), dest.len(), "RNG request of unexpected length");
        dest.copy_from_slice(&chunk);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), hpke::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for ScriptedRng {}

// ---------------------------------------------------------------------------------------------
// Independent RFC 9180 formulas (sections 4, 4.1, 5.1, 5.2, 5.3, 7.1.3)
// ---------------------------------------------------------------------------------------------

fn kem_suite_id() -> Vec<u8> {
    [b"KEM".as_slice(), &KEM_ID.to_be_bytes()].concat()
}

fn hpke_suite_id() -> Vec<u8> {
    [
        b"HPKE".as_slice(),
        &KEM_ID.to_be_bytes(),
        &KDF_ID.to_be_bytes(),
        &AEAD_ID.to_be_bytes(),
    ]
    .concat()
}

fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Vec<u8> {
    let labeled_ikm = [b"HPKE-v1".as_slice(), suite_id, label, ikm].concat();
    Hkdf::<Sha256>::extract(Some(salt), &labeled_ikm).0.to_vec()
}

fn labeled_expand(suite_id: &[u8], prk: &[u8], label: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let len16 = u16::try_from(len).expect("L fits in two bytes");
    let labeled_info = [
        len16.to_be_bytes().as_slice(),
        b"HPKE-v1",
        suite_id,
        label,
        info,
    ]
    .concat();
    let mut out = vec![0u8; len];
    Hkdf::<Sha256>::from_prk(prk)
        .expect("PRK is Nh bytes")
        .expand(&labeled_info, &mut out)
        .expect("L <= 255*Nh");
    out
}

/// DeriveKeyPair for X25519 (RFC 9180 7.1.3): returns (skX, pkX).
fn derive_keypair_x25519(ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
    let suite = kem_suite_id();
    let dkp_prk = labeled_extract(&suite, b"", b"dkp_prk", ikm);
    let sk: [u8; 32] = labeled_expand(&suite, &dkp_prk, b"sk", b"", 32)
        .try_into()
        .expect("32 bytes");
    let pk = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(sk));
    (sk, pk.to_bytes())
}

fn x25519(sk: &[u8], pk: &[u8]) -> [u8; 32] {
    let sk: [u8; 32] = sk.try_into().expect("32-byte private key");
    let pk: [u8; 32] = pk.try_into().expect("32-byte public key");
    let shared = x25519_dalek::StaticSecret::from(sk).diffie_hellman(&pk.into());
    assert!(shared.was_contributory(), "all-zero DH output");
    shared.to_bytes()
}

struct Schedule {
    shared_secret: Vec<u8>,
    key_schedule_context: Vec<u8>,
    secret: Vec<u8>,
    key: Vec<u8>,
    base_nonce: Vec<u8>,
    exporter_secret: Vec<u8>,
}

fn independent_schedule(v: &Vector) -> Schedule {
    let kem = kem_suite_id();
    let suite = hpke_suite_id();
    let (sk_e, pk_r, enc) = (unhex(&v.sk_em), unhex(&v.pk_rm), unhex(&v.enc));

    // Encap (4.1) / AuthEncap (4.1, modes 2 and 3).
    let mut dh = x25519(&sk_e, &pk_r).to_vec();
    let mut kem_context = [enc.as_slice(), &pk_r].concat();
    if let (Some(sk_s), Some(pk_s)) = (&v.sk_sm, &v.pk_sm) {
        dh.extend_from_slice(&x25519(&unhex(sk_s), &pk_r));
        kem_context.extend_from_slice(&unhex(pk_s));
    }
    let eae_prk = labeled_extract(&kem, b"", b"eae_prk", &dh);
    let shared_secret = labeled_expand(&kem, &eae_prk, b"shared_secret", &kem_context, 32);

    // KeySchedule (5.1).
    let psk = v.psk.as_deref().map(unhex).unwrap_or_default();
    let psk_id = v.psk_id.as_deref().map(unhex).unwrap_or_default();
    let psk_id_hash = labeled_extract(&suite, b"", b"psk_id_hash", &psk_id);
    let info_hash = labeled_extract(&suite, b"", b"info_hash", &unhex(&v.info));
    let key_schedule_context = [[v.mode].as_slice(), &psk_id_hash, &info_hash].concat();
    let secret = labeled_extract(&suite, &shared_secret, b"secret", &psk);
    let key = labeled_expand(&suite, &secret, b"key", &key_schedule_context, 32);
    let base_nonce = labeled_expand(&suite, &secret, b"base_nonce", &key_schedule_context, 12);
    let exporter_secret = labeled_expand(&suite, &secret, b"exp", &key_schedule_context, 32);

    Schedule {
        shared_secret,
        key_schedule_context,
        secret,
        key,
        base_nonce,
        exporter_secret,
    }
}

/// ComputeNonce (5.2): base_nonce XOR I2OSP(seq, Nn).
fn compute_nonce(base_nonce: &[u8], seq: u64) -> Vec<u8> {
    let mut nonce = base_nonce.to_vec();
    let seq_bytes = seq.to_be_bytes();
    let n = nonce.len();
    for (i, b) in seq_bytes.iter().enumerate() {
        nonce[n - 8 + i] ^= b;
    }
    nonce
}

// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Counts {
    vectors: usize,
    key_pairs: usize,
    schedule_fields: usize,
    encryptions: usize,
    exports: usize,
    tamper_rejections: usize,
}

fn check(label: &str, got: &[u8], want: &[u8], mismatches: &mut Vec<String>) {
    if got != want {
        mismatches.push(format!(
            "{label}: got {}, want {}",
            hex::encode(got),
            hex::encode(want)
        ));
    }
}

#[test]
fn hpke_vector_file_matches_pinned_sha256() {
    check_pinned_hash();
}

#[test]
fn rfc9180_hpke_x25519_sha256_chacha20poly1305() {
    let vectors = load();
    let mut counts = Counts::default();
    let mut mismatches = Vec::new();
    let mut modes_seen = Vec::new();

    for v in &vectors {
        let m = &mut mismatches;
        let tag = format!("mode {}", v.mode);
        assert_eq!(
            (v.kem_id, v.kdf_id, v.aead_id),
            (KEM_ID, KDF_ID, AEAD_ID),
            "{tag}: not Keyhaven's suite"
        );
        modes_seen.push(v.mode);

        // Key pairs through hpke, and independently.
        let mut key_pair = |name: &str, ikm: &str, sk_want: &str, pk_want: &str| {
            let (sk, pk) = KemX25519::derive_keypair(&unhex(ikm));
            check(
                &format!("{tag} sk{name}m"),
                &sk.to_bytes(),
                &unhex(sk_want),
                m,
            );
            check(
                &format!("{tag} pk{name}m"),
                &pk.to_bytes(),
                &unhex(pk_want),
                m,
            );
            let (sk2, pk2) = derive_keypair_x25519(&unhex(ikm));
            check(
                &format!("{tag} sk{name}m (independent)"),
                &sk2,
                &unhex(sk_want),
                m,
            );
            check(
                &format!("{tag} pk{name}m (independent)"),
                &pk2,
                &unhex(pk_want),
                m,
            );
            counts.key_pairs += 1;
            (sk, pk)
        };
        let (sk_r, pk_r) = key_pair("R", &v.ikm_r, &v.sk_rm, &v.pk_rm);
        key_pair("E", &v.ikm_e, &v.sk_em, &v.pk_em);
        let sender_keys: Option<(PrivateKey, PublicKey)> = match (&v.ikm_s, &v.sk_sm, &v.pk_sm) {
            (Some(ikm), Some(sk), Some(pk)) => Some(key_pair("S", ikm, sk, pk)),
            (None, None, None) => None,
            _ => panic!("{tag}: partial sender key fields"),
        };

        let psk = v.psk.as_deref().map(unhex);
        let psk_id = v.psk_id.as_deref().map(unhex);
        let bundle = match (&psk, &psk_id) {
            (Some(psk), Some(psk_id)) => Some(PskBundle { psk, psk_id }),
            (None, None) => None,
            _ => panic!("{tag}: psk without psk_id or vice versa"),
        };
        let (mode_s, mode_r) = match (v.mode, bundle, sender_keys) {
            (0, None, None) => (OpModeS::Base, OpModeR::Base),
            (1, Some(b), None) => (OpModeS::Psk(b), OpModeR::Psk(b)),
            (2, None, Some((sk, pk))) => (OpModeS::Auth((sk, pk.clone())), OpModeR::Auth(pk)),
            (3, Some(b), Some((sk, pk))) => (
                OpModeS::AuthPsk((sk, pk.clone()), b),
                OpModeR::AuthPsk(pk, b),
            ),
            _ => panic!("{tag}: fields do not fit the mode"),
        };
        let info = unhex(&v.info);

        // Sender: hpke draws the ephemeral key as derive_keypair(32 random bytes) = ikmE.
        let mut rng = ScriptedRng([unhex(&v.ikm_e)].into());
        let (enc, mut sender) =
            hpke::setup_sender::<HpkeChaCha20Poly1305, HpkeHkdfSha256, KemX25519, _>(
                &mode_s, &pk_r, &info, &mut rng,
            )
            .expect("setup_sender");
        assert!(rng.0.is_empty(), "{tag}: ikmE was not consumed");
        check(&format!("{tag} enc"), &enc.to_bytes(), &unhex(&v.enc), m);

        // Receiver, from the vector's enc.
        let enc_in = EncappedKey::from_bytes(&unhex(&v.enc)).expect("enc parses");
        let mut receiver = hpke::setup_receiver::<HpkeChaCha20Poly1305, HpkeHkdfSha256, KemX25519>(
            &mode_r, &sk_r, &enc_in, &info,
        )
        .expect("setup_receiver");

        // Independent key schedule.
        let s = independent_schedule(v);
        for (name, got, want) in [
            ("shared_secret", &s.shared_secret, &v.shared_secret),
            (
                "key_schedule_context",
                &s.key_schedule_context,
                &v.key_schedule_context,
            ),
            ("secret", &s.secret, &v.secret),
            ("key", &s.key, &v.key),
            ("base_nonce", &s.base_nonce, &v.base_nonce),
            ("exporter_secret", &s.exporter_secret, &v.exporter_secret),
        ] {
            check(&format!("{tag} {name} (independent)"), got, &unhex(want), m);
            counts.schedule_fields += 1;
        }
        let aead = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&s.key).expect("32-byte key");

        // Encryptions, in sequence order (the contexts keep their own counters).
        for (seq, e) in v.encryptions.iter().enumerate() {
            let (pt, aad, ct) = (unhex(&e.pt), unhex(&e.aad), unhex(&e.ct));
            let etag = format!("{tag} seq {seq}");
            let sealed = sender.seal(&pt, &aad).expect("seal");
            check(&format!("{etag} sender ct"), &sealed, &ct, m);
            match receiver.open(&ct, &aad) {
                Ok(opened) => check(&format!("{etag} receiver pt"), &opened, &pt, m),
                Err(err) => m.push(format!("{etag}: receiver open failed: {err}")),
            }
            let nonce = compute_nonce(&s.base_nonce, seq as u64);
            check(
                &format!("{etag} nonce (independent)"),
                &nonce,
                &unhex(&e.nonce),
                m,
            );
            let ct2 = aead
                .encrypt(
                    chacha20poly1305::Nonce::from_slice(&nonce),
                    Payload {
                        msg: &pt,
                        aad: &aad,
                    },
                )
                .expect("encrypt");
            check(&format!("{etag} ct (independent)"), &ct2, &ct, m);
            counts.encryptions += 1;
        }

        // Exports.
        for (i, x) in v.exports.iter().enumerate() {
            let (ctx, want) = (unhex(&x.exporter_context), unhex(&x.exported_value));
            let xtag = format!("{tag} export {i}");
            let mut out = vec![0u8; x.len];
            sender.export(&ctx, &mut out).expect("sender export");
            check(&format!("{xtag} sender"), &out, &want, m);
            receiver.export(&ctx, &mut out).expect("receiver export");
            check(&format!("{xtag} receiver"), &out, &want, m);
            let indep = labeled_expand(&hpke_suite_id(), &s.exporter_secret, b"sec", &ctx, x.len);
            check(&format!("{xtag} (independent)"), &indep, &want, m);
            counts.exports += 1;
        }

        // A fresh receiver must reject the first ciphertext with one bit flipped.
        let mut fresh = hpke::setup_receiver::<HpkeChaCha20Poly1305, HpkeHkdfSha256, KemX25519>(
            &mode_r, &sk_r, &enc_in, &info,
        )
        .expect("setup_receiver");
        let first = &v.encryptions[0];
        let mut tampered = unhex(&first.ct);
        tampered[0] ^= 0x01;
        if fresh.open(&tampered, &unhex(&first.aad)).is_ok() {
            m.push(format!("{tag}: tampered ciphertext opened"));
        } else {
            counts.tamper_rejections += 1;
        }

        counts.vectors += 1;
    }

    for x in &mismatches {
        println!("[RFC 9180] MISMATCH {x}");
    }
    println!(
        "[RFC 9180] checked {} vectors (modes {:?}): {} key pairs, {} key-schedule values, {} \
         encryptions (sender seal, receiver open, independent nonce and ct each), {} exports \
         (sender, receiver, independent each), {} tampered ciphertexts rejected; {} mismatches",
        counts.vectors,
        modes_seen,
        counts.key_pairs,
        counts.schedule_fields,
        counts.encryptions,
        counts.exports,
        counts.tamper_rejections,
        mismatches.len()
    );
    assert!(counts.vectors > 0 && counts.encryptions > 0 && counts.exports > 0);
    modes_seen.sort_unstable();
    assert_eq!(modes_seen, [0, 1, 2, 3], "expected one vector per mode 0-3");
    assert!(mismatches.is_empty(), "mismatches: {mismatches:#?}");
}
