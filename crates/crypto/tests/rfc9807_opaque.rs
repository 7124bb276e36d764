//! RFC 9807 (OPAQUE) Appendix C test vectors for Keyhaven's OPAQUE suite, through the public API
//! of `opaque-ke` 4.0.1.
//!
//! Data: `data/opaque-rfc9807.json` (see `data/SOURCES.md`); its SHA-256 is checked against the
//! pinned value before it is parsed.
//!
//! Keyhaven's suite is ristretto255-SHA512 OPRF + 3DH over ristretto255 with SHA-512, with Argon2id
//! as key-stretching function (KSF). The RFC vectors use the Identity KSF, so this file defines a
//! test suite identical except for `type Ksf = Identity`. Only the ristretto255 / SHA-512 / 3DH
//! vectors are run; the curve25519 and P-256 vectors in the file are a different suite and are
//! listed as skipped.
//!
//! The protocol randomness of each vector (blinds, nonces, key-share seeds, masking nonce,
//! envelope nonce, fake masking key) is fed through an RNG that hands out exactly the scripted
//! chunks, in the order and with the lengths `opaque-ke` asks for them, and panics on anything
//! else; after each step the script must be exhausted. From reading the opaque-ke 4.0.1 and
//! voprf 0.5 sources, that order is:
//!
//! - `ClientRegistration::start`: blind (voprf `random_scalar` = curve25519-dalek
//!   `Scalar::random`, 64 bytes reduced mod l, so the 32-byte scalar is padded with 32 zero bytes).
//! - `ClientRegistration::finish`: envelope nonce (32).
//! - `ClientLogin::start`: blind (64, as above), client key-share seed (32), client nonce (32).
//! - `ServerLogin::start`: masking key of the fake record (64; always drawn, discarded when the
//!   real record is used), masking nonce (32), server key-share seed (32), server nonce (32).
//! - `ClientLogin::finish` (3DH) and the server-side registration steps draw nothing.
//!
//! For a fake (unknown-user) record the server's `ServerSetup` carries the fake client public key
//! (`dummy_pk`); it is built with `ServerSetup::deserialize(oprf_seed || server_sk || dummy_pk)`.

use std::collections::{BTreeMap, VecDeque};

use opaque_ke::keypair::PrivateKey;
use opaque_ke::ksf::Identity;
use opaque_ke::rand::{CryptoRng, RngCore};
use opaque_ke::{
    CipherSuite, ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialFinalization, CredentialRequest,
    CredentialResponse, Identifiers, RegistrationRequest, RegistrationResponse, RegistrationUpload,
    Ristretto255, ServerLogin, ServerLoginParameters, ServerRegistration, ServerSetup, TripleDh,
};
use serde::Deserialize;
use sha2::{Digest, Sha256, Sha512};

const DATA: &[u8] = include_bytes!("data/opaque-rfc9807.json");
const DATA_SHA256: &str = "d87a1d0e770e24b14050e6c19c4ac463a6eee576fbd263f5cf20da4d6acb05be";

/// Keyhaven's OPAQUE suite with the RFC vectors' Identity KSF in place of Argon2id.
struct Rfc9807Ristretto255;

impl CipherSuite for Rfc9807Ristretto255 {
    type OprfCs = Ristretto255;
    type KeyExchange = TripleDh<Ristretto255, Sha512>;
    type Ksf = Identity;
}

type Cs = Rfc9807Ristretto255;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    config: BTreeMap<String, String>,
    inputs: BTreeMap<String, String>,
    intermediates: BTreeMap<String, String>,
    outputs: BTreeMap<String, String>,
}

fn check_pinned_hash() {
    let got = hex::encode(Sha256::digest(DATA));
    assert_eq!(
        got, DATA_SHA256,
        "OPAQUE vector file does not match the SHA-256 pinned in data/SOURCES.md"
    );
}

fn load() -> Vec<Vector> {
    check_pinned_hash();
    serde_json::from_slice(DATA).expect("OPAQUE vector file parses")
}

fn field(map: &BTreeMap<String, String>, name: &str) -> Vec<u8> {
    let s = map
        .get(name)
        .unwrap_or_else(|| panic!("vector lacks {name}"));
    hex::decode(s).expect("vector field is valid hex")
}

fn opt_field(map: &BTreeMap<String, String>, name: &str) -> Option<Vec<u8>> {
    map.get(name)
        .map(|s| hex::decode(s).expect("vector field is valid hex"))
}

/// A 32-byte scalar as the 64-byte input `Scalar::random` reduces (wide reduction mod l): the
/// scalar is canonical, so zero-padding the high half yields the same scalar.
fn wide(scalar: &[u8]) -> Vec<u8> {
    assert_eq!(scalar.len(), 32);
    let mut v = scalar.to_vec();
    v.resize(64, 0);
    v
}

/// Hands out exactly the scripted chunks, in order; panics on an unexpected request.
struct ScriptedRng {
    script: VecDeque<(&'static str, Vec<u8>)>,
}

impl ScriptedRng {
    fn new(script: Vec<(&'static str, Vec<u8>)>) -> Self {
        Self {
            script: script.into(),
        }
    }

    fn assert_exhausted(&self, step: &str) {
        let left: Vec<_> = self.script.iter().map(|(name, _)| *name).collect();
        assert!(left.is_empty(), "{step}: randomness not consumed: {left:?}");
    }
}

impl RngCore for ScriptedRng {
    fn next_u32(&mut self) -> u32 {
        panic!("unexpected next_u32")
    }
    fn next_u64(&mut self) -> u64 {
        panic!("unexpected next_u64")
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let (name, chunk) = self
            .script
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request for {} random bytes", dest.len()));
        assert_eq!(
            chunk.len(),
            dest.len(),
            "random-byte request order/length differs from the script at {name}"
        );
        dest.copy_from_slice(&chunk);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), opaque_ke::rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for ScriptedRng {}

fn server_setup(oprf_seed: &[u8], server_sk: &[u8], dummy_pk: &[u8]) -> ServerSetup<Cs> {
    ServerSetup::<Cs>::deserialize(&[oprf_seed, server_sk, dummy_pk].concat())
        .expect("server setup from the vector's seed and keys")
}

struct Checker {
    name: String,
    compared: usize,
    mismatches: Vec<String>,
}

impl Checker {
    fn eq(&mut self, what: &str, got: &[u8], want: &[u8]) {
        self.compared += 1;
        if got != want {
            self.mismatches.push(format!(
                "{} {what}: got {}, want {}",
                self.name,
                hex::encode(got),
                hex::encode(want)
            ));
        }
    }
}

/// Registration and login with a real record, every message and key compared as it is produced.
fn run_real(v: &Vector, c: &mut Checker) {
    let (i, im, o) = (&v.inputs, &v.intermediates, &v.outputs);
    let password = field(i, "password");
    let credential_identifier = field(i, "credential_identifier");
    let context = hex::decode(&v.config["Context"]).expect("hex context");
    let client_identity = opt_field(i, "client_identity");
    let server_identity = opt_field(i, "server_identity");
    let ids = Identifiers {
        client: client_identity.as_deref(),
        server: server_identity.as_deref(),
    };
    let server_pk = field(i, "server_public_key");

    // The dummy public key is irrelevant for a real record; use the server's own.
    let setup = server_setup(
        &field(i, "oprf_seed"),
        &field(i, "server_private_key"),
        &server_pk,
    );
    c.eq(
        "server_public_key",
        &setup.keypair().public().serialize(),
        &server_pk,
    );

    // Registration.
    let mut rng = ScriptedRng::new(vec![(
        "blind_registration",
        wide(&field(i, "blind_registration")),
    )]);
    let reg_start = ClientRegistration::<Cs>::start(&mut rng, &password).expect("reg start");
    rng.assert_exhausted("ClientRegistration::start");
    let registration_request = field(o, "registration_request");
    c.eq(
        "registration_request",
        &reg_start.message.serialize(),
        &registration_request,
    );

    let request = RegistrationRequest::<Cs>::deserialize(&registration_request).expect("parse");
    let reg_response = ServerRegistration::<Cs>::start(&setup, request, &credential_identifier)
        .expect("server reg start");
    let registration_response = field(o, "registration_response");
    c.eq(
        "registration_response",
        &reg_response.message.serialize(),
        &registration_response,
    );

    let mut rng = ScriptedRng::new(vec![("envelope_nonce", field(i, "envelope_nonce"))]);
    let reg_finish = reg_start
        .state
        .finish(
            &mut rng,
            &password,
            RegistrationResponse::deserialize(&registration_response).expect("parse"),
            ClientRegistrationFinishParameters::new(ids, None),
        )
        .expect("reg finish");
    rng.assert_exhausted("ClientRegistration::finish");
    let registration_upload = field(o, "registration_upload");
    c.eq(
        "registration_upload",
        &reg_finish.message.serialize(),
        &registration_upload,
    );
    // The upload is client_public_key || masking_key || envelope: tie it to the intermediates.
    c.eq(
        "registration_upload = client_public_key || masking_key || envelope (intermediates)",
        &[
            field(im, "client_public_key"),
            field(im, "masking_key"),
            field(im, "envelope"),
        ]
        .concat(),
        &registration_upload,
    );
    c.eq(
        "export_key (registration)",
        &reg_finish.export_key,
        &field(o, "export_key"),
    );
    let record = ServerRegistration::finish(
        RegistrationUpload::<Cs>::deserialize(&registration_upload).expect("parse"),
    );

    // Login.
    let mut rng = ScriptedRng::new(vec![
        ("blind_login", wide(&field(i, "blind_login"))),
        ("client_keyshare_seed", field(i, "client_keyshare_seed")),
        ("client_nonce", field(i, "client_nonce")),
    ]);
    let login_start = ClientLogin::<Cs>::start(&mut rng, &password).expect("login start");
    rng.assert_exhausted("ClientLogin::start");
    let ke1 = field(o, "KE1");
    c.eq("KE1", &login_start.message.serialize(), &ke1);

    let server_params = ServerLoginParameters {
        context: Some(&context),
        identifiers: ids,
    };
    let mut rng = ScriptedRng::new(vec![
        (
            "fake-record masking key (discarded for a real record)",
            vec![0xa5; 64],
        ),
        ("masking_nonce", field(i, "masking_nonce")),
        ("server_keyshare_seed", field(i, "server_keyshare_seed")),
        ("server_nonce", field(i, "server_nonce")),
    ]);
    let server_start = ServerLogin::start(
        &mut rng,
        &setup,
        Some(record),
        CredentialRequest::<Cs>::deserialize(&ke1).expect("parse"),
        &credential_identifier,
        server_params.clone(),
    )
    .expect("server login start");
    rng.assert_exhausted("ServerLogin::start");
    let ke2 = field(o, "KE2");
    c.eq("KE2", &server_start.message.serialize(), &ke2);

    let mut rng = ScriptedRng::new(vec![]);
    let client_finish = login_start
        .state
        .finish(
            &mut rng,
            &password,
            CredentialResponse::<Cs>::deserialize(&ke2).expect("parse"),
            ClientLoginFinishParameters::new(Some(&context), ids, None),
        )
        .expect("client login finish");
    let ke3 = field(o, "KE3");
    c.eq("KE3", &client_finish.message.serialize(), &ke3);
    c.eq(
        "session_key (client)",
        &client_finish.session_key,
        &field(o, "session_key"),
    );
    c.eq(
        "export_key (login)",
        &client_finish.export_key,
        &field(o, "export_key"),
    );
    c.eq(
        "server_public_key (client, from the envelope)",
        &client_finish.server_s_pk.serialize(),
        &server_pk,
    );

    let server_finish = server_start
        .state
        .finish(
            CredentialFinalization::<Cs>::deserialize(&ke3).expect("parse"),
            server_params,
        )
        .expect("server login finish");
    c.eq(
        "session_key (server)",
        &server_finish.session_key,
        &field(o, "session_key"),
    );
}

/// Login attempt for an unknown user: the server answers from a fake record.
fn run_fake(v: &Vector, c: &mut Checker) {
    let (i, o) = (&v.inputs, &v.outputs);
    let context = hex::decode(&v.config["Context"]).expect("hex context");
    let client_identity = opt_field(i, "client_identity");
    let server_identity = opt_field(i, "server_identity");
    let ids = Identifiers {
        client: client_identity.as_deref(),
        server: server_identity.as_deref(),
    };
    let fake_client_pk = field(i, "client_public_key");
    c.eq(
        "client_public_key = client_private_key * G",
        &PrivateKey::<Ristretto255>::deserialize(&field(i, "client_private_key"))
            .expect("fake client private key")
            .public_key()
            .serialize(),
        &fake_client_pk,
    );

    let setup = server_setup(
        &field(i, "oprf_seed"),
        &field(i, "server_private_key"),
        &fake_client_pk,
    );
    c.eq(
        "server_public_key",
        &setup.keypair().public().serialize(),
        &field(i, "server_public_key"),
    );

    let mut rng = ScriptedRng::new(vec![
        ("masking_key (fake record)", field(i, "masking_key")),
        ("masking_nonce", field(i, "masking_nonce")),
        ("server_keyshare_seed", field(i, "server_keyshare_seed")),
        ("server_nonce", field(i, "server_nonce")),
    ]);
    let server_start = ServerLogin::start(
        &mut rng,
        &setup,
        None,
        CredentialRequest::<Cs>::deserialize(&field(i, "KE1")).expect("parse KE1"),
        &field(i, "credential_identifier"),
        ServerLoginParameters {
            context: Some(&context),
            identifiers: ids,
        },
    )
    .expect("server login start with a fake record");
    rng.assert_exhausted("ServerLogin::start (fake record)");
    c.eq(
        "KE2 (fake record)",
        &server_start.message.serialize(),
        &field(o, "KE2"),
    );
}

#[test]
fn opaque_vector_file_matches_pinned_sha256() {
    check_pinned_hash();
}

#[test]
fn rfc9807_opaque_ristretto255_sha512_3dh() {
    let vectors = load();
    let (mut real, mut fake, mut compared) = (0usize, 0usize, 0usize);
    let mut mismatches = Vec::new();
    let mut skipped = Vec::new();

    for (n, v) in vectors.iter().enumerate() {
        let cfg = &v.config;
        let is_fake = match cfg["Fake"].as_str() {
            "True" => true,
            "False" => false,
            other => panic!("vector {n}: Fake = {other}"),
        };
        let ours = cfg["Group"] == "ristretto255"
            && cfg["OPRF"] == "ristretto255-SHA512"
            && cfg["Hash"] == "SHA512"
            && cfg["KDF"] == "HKDF-SHA512"
            && cfg["MAC"] == "HMAC-SHA512"
            && cfg["Name"] == "3DH";
        if !ours {
            skipped.push(format!(
                "vector {n}: Group {}, OPRF {}, fake {is_fake}",
                cfg["Group"], cfg["OPRF"]
            ));
            continue;
        }
        assert_eq!(cfg["KSF"], "Identity", "vector {n}");

        let with_ids = v.inputs.contains_key("client_identity");
        let mut checker = Checker {
            name: format!(
                "vector {n} ({}, identities {})",
                if is_fake {
                    "fake record"
                } else {
                    "real record"
                },
                if with_ids { "given" } else { "default" }
            ),
            compared: 0,
            mismatches: Vec::new(),
        };
        if is_fake {
            run_fake(v, &mut checker);
            fake += 1;
        } else {
            run_real(v, &mut checker);
            real += 1;
        }
        println!(
            "[RFC 9807] {}: {} values compared, {} mismatches",
            checker.name,
            checker.compared,
            checker.mismatches.len()
        );
        compared += checker.compared;
        mismatches.extend(checker.mismatches);
    }

    for s in &skipped {
        println!("[RFC 9807] skipped (not Keyhaven's suite) {s}");
    }
    for m in &mismatches {
        println!("[RFC 9807] MISMATCH {m}");
    }
    println!(
        "[RFC 9807] checked {} ristretto255/SHA-512/3DH vectors ({real} real record, {fake} fake \
         record), {compared} values compared, {} skipped, {} mismatches",
        real + fake,
        skipped.len(),
        mismatches.len()
    );
    assert!(real > 0, "no real-record vector was checked");
    assert!(fake > 0, "no fake-record vector was checked");
    assert!(mismatches.is_empty(), "mismatches: {mismatches:#?}");
}
