//! Device records and enrollment-token grants against a real verified roster (the shared
//! fixture): sealing, verification, opening, and the forgeries a server could try.

#[allow(dead_code, reason = "this test binary uses part of the shared fixture")]
mod common;

use common::FIXTURE;
use keyhaven_core::escrow::{
    Author, DeviceKeyPlain, DeviceKind, DeviceMeta, EscrowError, KeyId, RecordSigner,
    SealedDeviceKey, TokenGrant, TokenSecret, VolumeType,
};
use keyhaven_crypto::sign::SigningKey;
use zeroize::Zeroizing;

fn meta() -> DeviceMeta {
    DeviceMeta {
        device: "FIN-LAPTOP-07".into(),
        serial: "5CG1234XYZ".into(),
        os: "Windows 11".into(),
        volume: "C:".into(),
        volume_type: Some(VolumeType::Os),
        kind: DeviceKind::BitLocker,
        key_id: KeyId::parse(
            "{ac9d5655-f7ca-4d1d-902f-1b6087118138}",
            DeviceKind::BitLocker,
        )
        .unwrap(),
        source: "typed".into(),
        added_at: 1_700_000_000,
    }
}

fn plain() -> DeviceKeyPlain {
    DeviceKeyPlain {
        meta: meta(),
        secret: DeviceKind::BitLocker
            .normalize_secret("236808-089419-192665-495704-618299-073414-538373-542366")
            .unwrap(),
    }
}

#[test]
fn seal_verify_open_and_tamper() {
    let f = &*FIXTURE;
    let roster = f.final_state();
    let ws = f.workspace;
    let escrow_public = f.escrow.public_key();
    let id = uuid::Uuid::from_bytes([7; 16]);
    let signer = RecordSigner {
        author: Author::Member(f.admin.id),
        key: &f.admin.keys.signing,
    };
    let plain = plain();
    let (header, secret) =
        SealedDeviceKey::seal(ws, id, (1, &escrow_public), &plain, &signer).unwrap();
    let decoded = SealedDeviceKey::from_bytes(&header.to_bytes()).unwrap();
    assert_eq!(decoded, header);
    decoded.verify(roster, &[]).unwrap();
    assert_eq!(decoded.open_meta(&f.escrow).unwrap(), plain.meta);
    assert_eq!(
        decoded.open_secret(&f.escrow, &secret).unwrap().as_str(),
        "236808-089419-192665-495704-618299-073414-538373-542366"
    );

    // Another record's secret is refused before decryption.
    let other_id = uuid::Uuid::from_bytes([8; 16]);
    let (_, other_secret) =
        SealedDeviceKey::seal(ws, other_id, (1, &escrow_public), &plain, &signer).unwrap();
    assert_eq!(
        decoded.open_secret(&f.escrow, &other_secret),
        Err(EscrowError::SecretMismatch)
    );

    // Signed by a key the roster does not know, or by a plain member.
    let stranger = SigningKey::generate();
    let forged = RecordSigner {
        author: Author::Member(f.admin.id),
        key: &stranger,
    };
    let (bad, _) = SealedDeviceKey::seal(ws, id, (1, &escrow_public), &plain, &forged).unwrap();
    assert_eq!(bad.verify(roster, &[]), Err(EscrowError::BadSignature));

    // Moving the header to another record id breaks the signature and the decryption.
    let mut moved = header.clone();
    moved.id = other_id;
    assert_eq!(moved.verify(roster, &[]), Err(EscrowError::BadSignature));
    assert_eq!(moved.open_meta(&f.escrow), Err(EscrowError::Decryption));

    // An escrow version the roster never reached.
    let mut future = header.clone();
    future.escrow_version = roster.escrow_keys.len() as u32 + 1;
    assert_eq!(
        future.verify(roster, &[]),
        Err(EscrowError::UnknownEscrowVersion)
    );

    // Every single-bit flip of the header is refused by decoding or verification.
    let bytes = header.to_bytes();
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        if let Ok(h) = SealedDeviceKey::from_bytes(&flipped) {
            assert!(h.verify(roster, &[]).is_err(), "bit {bit}");
        }
    }
}

#[test]
fn token_records_need_a_verified_grant() {
    let f = &*FIXTURE;
    let roster = f.final_state();
    let ws = f.workspace;
    let token = TokenSecret::generate(ws, [1; 32]);
    let parsed = TokenSecret::parse(&token.expose_text()).unwrap();
    assert_eq!(parsed.id, token.id);
    assert_eq!(*parsed.auth(), *token.auth());
    assert!(!format!("{parsed:?}").contains(&token.expose_text()[5..30]));
    let plain = DeviceKeyPlain {
        meta: meta(),
        secret: Zeroizing::new("secret".into()),
    };
    let token_key = token.signing_key();
    let signer = RecordSigner {
        author: Author::Token(token.id),
        key: &token_key,
    };
    let (header, _) = SealedDeviceKey::seal(
        ws,
        uuid::Uuid::from_bytes([3; 16]),
        (1, &f.escrow.public_key()),
        &plain,
        &signer,
    )
    .unwrap();
    assert_eq!(header.verify(roster, &[]), Err(EscrowError::BadSignature));

    let grant = TokenGrant::sign(ws, &token, 2_000_000_000, f.admin.id, &f.admin.keys.signing);
    let grant = TokenGrant::from_bytes(&grant.to_bytes()).unwrap();
    header.verify(roster, std::slice::from_ref(&grant)).unwrap();

    // A grant signed by a plain member, or by a key the roster does not know, is worthless.
    let by_member = TokenGrant::sign(
        ws,
        &token,
        2_000_000_000,
        f.member.id,
        &f.member.keys.signing,
    );
    assert_eq!(by_member.verify(roster), Err(EscrowError::BadSignature));
    let fake = TokenGrant::sign(
        ws,
        &token,
        2_000_000_000,
        f.admin.id,
        &SigningKey::generate(),
    );
    assert_eq!(fake.verify(roster), Err(EscrowError::BadSignature));
    assert_eq!(
        header.verify(roster, &[fake]),
        Err(EscrowError::BadSignature)
    );

    // The resubmission tag is stable per token and key, and differs across tokens.
    let tag = token.resubmission_tag(&plain.meta, "secret");
    assert_eq!(tag, parsed.resubmission_tag(&plain.meta, "secret"));
    let other = TokenSecret::generate(ws, [1; 32]);
    assert_ne!(tag, other.resubmission_tag(&plain.meta, "secret"));
}
