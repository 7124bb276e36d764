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
    let token = TokenSecret::generate(ws, (1, f.escrow.public_key()));
    let parsed = TokenSecret::parse(&token.expose_text()).unwrap();
    assert_eq!(parsed.id, token.id);
    assert_eq!(parsed.escrow.0, 1);
    assert_eq!(parsed.escrow.1.to_bytes(), f.escrow.public_key().to_bytes());
    // The retired format and damaged text are refused with a reason.
    let v1 = token.expose_text().replacen("KHT2-", "KHT1-", 1);
    assert!(TokenSecret::parse(&v1).unwrap_err().contains("new one"));
    let short = &token.expose_text()[..40];
    assert!(TokenSecret::parse(short).unwrap_err().contains("damaged"));
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
    let other = TokenSecret::generate(ws, (1, f.escrow.public_key()));
    assert_ne!(tag, other.resubmission_tag(&plain.meta, "secret"));
}

/// Decision 0005: the recovery key receives every escrow-key version, so the emergency reset
/// restores device keys too. A share from an owner or admin opens to the escrow private key
/// the roster names; one that carries another key, or is signed by a non-manager, does not.
#[test]
fn escrow_shares_to_the_recovery_key_open_after_checks() {
    use keyhaven_core::roster::Signer;
    use keyhaven_core::share::{KeyShare, ShareError, ShareHeader, ShareRecipient, SharedKey};
    use keyhaven_crypto::hpke::RecipientSecretKey;

    let f = &*FIXTURE;
    let roster = f.final_state();
    let recipient = f.recovery.derive(f.workspace).recipient;
    let header = |signer| ShareHeader {
        workspace: f.workspace,
        recipient: ShareRecipient::Recovery(f.recovery_id),
        key: SharedKey::Escrow(1),
        signer,
        timestamp: roster.last_timestamp,
    };
    let admin = Signer::Member(f.admin.id);
    let share = KeyShare::seal(
        header(admin),
        &recipient.public_key(),
        f.escrow.expose(),
        &f.admin.keys.signing,
    )
    .unwrap();
    let decoded = KeyShare::from_bytes(&share.to_bytes()).unwrap();
    let opened = decoded.open(roster, &recipient).unwrap();
    assert_eq!(opened.expose(), f.escrow.expose());

    // Another X25519 key, correctly sealed and signed, is not the roster's escrow key.
    let other = RecipientSecretKey::from_bytes([9; 32]);
    let wrong = KeyShare::seal(
        header(admin),
        &recipient.public_key(),
        other.expose(),
        &f.admin.keys.signing,
    )
    .unwrap();
    assert_eq!(
        wrong.open(roster, &recipient).err(),
        Some(ShareError::WrongKey)
    );

    // A plain member hands out nothing, not even to the recovery key.
    let by_member = KeyShare::seal(
        header(Signer::Member(f.member.id)),
        &recipient.public_key(),
        f.escrow.expose(),
        &f.member.keys.signing,
    )
    .unwrap();
    assert_eq!(
        by_member.verify(roster).err(),
        Some(ShareError::UnauthorizedSigner)
    );

    // An escrow version the roster does not have.
    let unknown = KeyShare::seal(
        ShareHeader {
            key: SharedKey::Escrow(2),
            ..header(admin)
        },
        &recipient.public_key(),
        f.escrow.expose(),
        &f.admin.keys.signing,
    )
    .unwrap();
    assert_eq!(
        unknown.verify(roster).err(),
        Some(ShareError::UnknownKeyVersion)
    );
}

/// Decision 0005: a relink (new keys after a password reset) does not void the shares an owner
/// or admin signed before it, or the emergency reset would take every member's access with
/// it. A key the signer never held while managing is still refused.
#[test]
fn shares_signed_before_the_signers_relink_still_verify() {
    use keyhaven_core::roster::Signer;
    use keyhaven_core::share::{KeyShare, ShareError, ShareHeader, ShareRecipient, SharedKey};

    let f = &*FIXTURE;
    let roster = f.final_state();
    // The fixture's owner was relinked: the roster's current key is `owner_new`.
    assert_eq!(
        roster.members[&f.owner.id].keys.signing,
        f.owner_new.public().signing
    );
    let header = ShareHeader {
        workspace: f.workspace,
        recipient: ShareRecipient::Member(f.admin.id),
        key: SharedKey::Escrow(1),
        signer: Signer::Member(f.owner.id),
        timestamp: roster.last_timestamp,
    };
    let to = f.admin.keys.encryption.public_key();
    let before = KeyShare::seal(header, &to, f.escrow.expose(), &f.owner.keys.signing).unwrap();
    let opened = before.open(roster, &f.admin.keys.encryption).unwrap();
    assert_eq!(opened.expose(), f.escrow.expose());

    let stranger = KeyShare::seal(header, &to, f.escrow.expose(), &f.member.keys.signing).unwrap();
    assert_eq!(
        stranger.verify(roster).err(),
        Some(ShareError::BadSignature)
    );
}
