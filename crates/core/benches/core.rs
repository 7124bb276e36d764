//! Criterion benchmarks for the client-side hot paths.
//!
//! `cargo bench -p keyhaven-core`. Figures go in the issue notes, never into timed tests.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keyhaven_core::account::AccountKeys;
use keyhaven_core::ids::{AccountId, ItemId, WorkspaceId};
use keyhaven_core::item::{ItemKind, ItemPlace, ItemPlain, SealedItem};
use keyhaven_core::recovery_key::RecoveryKey;
use keyhaven_core::roster::{
    self, EntryBody, Role, RosterState, SignedEntry, Signer, UnsignedEntry,
};
use keyhaven_core::share::{KeyShare, ShareHeader, ShareRecipient, SharedKey};
use keyhaven_crypto::secret::SecretBytes;
use keyhaven_crypto::{Context, SymmetricKey, envelope};

const T0: u64 = 1_795_305_600;

struct Fixture {
    workspace: WorkspaceId,
    owner: AccountId,
    owner_keys: AccountKeys,
    chain: Vec<SignedEntry>,
    state: RosterState,
}

/// A roster of `n` entries: genesis, then an owner adding members.
fn fixture(n: usize) -> Fixture {
    let workspace = WorkspaceId::generate();
    let owner = AccountId::generate();
    let owner_keys = AccountKeys::generate();
    let genesis = UnsignedEntry {
        workspace,
        seq: 0,
        prev: [0; 32],
        timestamp: T0,
        signer: Signer::Member(owner),
        body: EntryBody::Genesis {
            name: "bench".into(),
            owner,
            email: "owner@example.com".into(),
            keys: owner_keys.public(),
        },
    }
    .sign(&owner_keys.signing);
    let mut state = RosterState::from_genesis(workspace, &genesis).unwrap();
    let mut chain = vec![genesis];
    let member_keys = AccountKeys::generate().public();
    for i in 1..n {
        let body = EntryBody::AddMember {
            account: AccountId::generate(),
            email: format!("member{i}@example.com"),
            keys: member_keys,
            role: Role::Member,
        };
        let entry = state
            .next_entry(T0 + i as u64, Signer::Member(owner), body)
            .sign(&owner_keys.signing);
        state.apply(&entry).unwrap();
        chain.push(entry);
    }
    Fixture {
        workspace,
        owner,
        owner_keys,
        chain,
        state,
    }
}

fn items(c: &mut Criterion) {
    let f = fixture(1);
    let wk = SymmetricKey::generate();
    let mut group = c.benchmark_group("item");
    for size in [1024usize, 64 * 1024] {
        let mut fields = BTreeMap::new();
        fields.insert("note".to_string(), SecretBytes::new(vec![0x5a; size]));
        let plain = ItemPlain {
            kind: ItemKind::Note,
            fields,
        };
        let place = ItemPlace {
            workspace: f.workspace,
            id: ItemId::generate(),
            key_version: 1,
            revision: 1,
        };
        let sealed = SealedItem::seal(&wk, place, &plain, f.owner, &f.owner_keys.signing);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("encrypt", size), &plain, |b, plain| {
            b.iter(|| {
                SealedItem::seal(&wk, place, black_box(plain), f.owner, &f.owner_keys.signing)
            })
        });
        group.bench_with_input(BenchmarkId::new("decrypt", size), &sealed, |b, sealed| {
            b.iter(|| black_box(sealed).open(&wk, &f.state).unwrap())
        });
    }
    group.finish();

    // The AEAD alone, for the comparison with `openssl speed -evp chacha20-poly1305`.
    let mut group = c.benchmark_group("envelope");
    let key = SymmetricKey::generate();
    let ctx = Context::new("item-field").field("w").field("i");
    for size in [16 * 1024usize, 64 * 1024] {
        let data = vec![0x5a; size];
        let sealed = envelope::seal(&key, &ctx, &data);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("seal", size), &data, |b, data| {
            b.iter(|| envelope::seal(&key, &ctx, black_box(data)))
        });
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, sealed| {
            b.iter(|| envelope::open(&key, &ctx, black_box(sealed)).unwrap())
        });
    }
    group.finish();
}

/// Ed25519 one by one against the batch verifier (on every core), and a whole list of items
/// opened one by one against `item::open_many`: what `secret list` does per item.
fn signatures(c: &mut Criterion) {
    use keyhaven_crypto::sign::{self, SignedMessage};

    let mut group = c.benchmark_group("ed25519");
    group.sample_size(20);
    let keys: Vec<_> = (0..4u8)
        .map(|n| keyhaven_crypto::sign::SigningKey::from_seed(&[n; 32]))
        .collect();
    let publics: Vec<_> = keys.iter().map(|k| k.verifying_key()).collect();
    for n in [64usize, 1024] {
        let messages: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 100]).collect();
        let sigs: Vec<_> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| keys[i % 4].sign(m))
            .collect();
        let items: Vec<SignedMessage<'_>> = messages
            .iter()
            .zip(&sigs)
            .enumerate()
            .map(|(i, (message, signature))| SignedMessage {
                key: &publics[i % 4],
                message,
                signature,
            })
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("one_by_one", n), &items, |b, items| {
            b.iter(|| {
                for i in items {
                    i.key.verify(i.message, i.signature).unwrap();
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("batch", n), &items, |b, items| {
            b.iter(|| {
                let verdicts = sign::verify_batch(black_box(items));
                assert!(verdicts.iter().all(Result::is_ok));
            })
        });
    }
    group.finish();

    let f = fixture(1);
    let wk = SymmetricKey::generate();
    let n = 10_000;
    let list: Vec<SealedItem> = (0..n)
        .map(|i| {
            let mut fields = BTreeMap::new();
            fields.insert(
                "title".to_string(),
                SecretBytes::new(format!("secret {i}").into()),
            );
            fields.insert("password".to_string(), SecretBytes::new(vec![0x5a; 24]));
            let place = ItemPlace {
                workspace: f.workspace,
                id: ItemId::generate(),
                key_version: 1,
                revision: 1,
            };
            let plain = ItemPlain {
                kind: ItemKind::Login,
                fields,
            };
            SealedItem::seal(&wk, place, &plain, f.owner, &f.owner_keys.signing)
        })
        .collect();
    let keys = BTreeMap::from([(1, wk.clone())]);
    let mut group = c.benchmark_group("item_list");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(BenchmarkId::new("open_one_by_one", n), |b| {
        b.iter(|| {
            for item in &list {
                item.open(&wk, &f.state).unwrap();
            }
        })
    });
    group.bench_function(BenchmarkId::new("open_many", n), |b| {
        b.iter(|| {
            let opened = keyhaven_core::item::open_many(black_box(&list), &keys, &f.state);
            assert!(opened.iter().all(Result::is_ok));
        })
    });
    group.finish();
}

fn recovery(c: &mut Criterion) {
    let key = RecoveryKey::generate();
    let workspace = WorkspaceId::generate();
    c.bench_function("recovery_key/derive", |b| {
        b.iter(|| black_box(&key).derive(workspace))
    });
    let text = key.encode();
    c.bench_function("recovery_key/parse", |b| {
        b.iter(|| RecoveryKey::parse(black_box(&text)).unwrap())
    });
}

fn shares(c: &mut Criterion) {
    let f = fixture(2);
    let (&member, m) = f
        .state
        .members
        .iter()
        .find(|(id, _)| **id != f.owner)
        .unwrap();
    let member_secret = AccountKeys::generate();
    // Re-key the fixture's member so we hold its secret: rebuild a 2-entry roster.
    let body = EntryBody::AddMember {
        account: member,
        email: m.email.clone(),
        keys: member_secret.public(),
        role: Role::Member,
    };
    let mut state = RosterState::from_genesis(f.workspace, &f.chain[0]).unwrap();
    let entry = state
        .next_entry(T0 + 1, Signer::Member(f.owner), body)
        .sign(&f.owner_keys.signing);
    state.apply(&entry).unwrap();
    let header = ShareHeader {
        workspace: f.workspace,
        recipient: ShareRecipient::Member(member),
        key: SharedKey::Workspace(1),
        signer: Signer::Member(f.owner),
        timestamp: T0 + 2,
    };
    let wk = SymmetricKey::generate();
    let public = member_secret.public().encryption;
    c.bench_function("share/seal", |b| {
        b.iter(|| KeyShare::seal(header, &public, wk.expose(), &f.owner_keys.signing).unwrap())
    });
    let share = KeyShare::seal(header, &public, wk.expose(), &f.owner_keys.signing).unwrap();
    c.bench_function("share/open", |b| {
        b.iter(|| {
            black_box(&share)
                .open(&state, &member_secret.encryption)
                .unwrap()
        })
    });
}

fn rosters(c: &mut Criterion) {
    let f = fixture(1000);
    let encoded: Vec<Vec<u8>> = f.chain.iter().map(SignedEntry::to_bytes).collect();
    c.bench_function("roster/verify_1000_entries", |b| {
        b.iter(|| {
            roster::verify_encoded(f.workspace, black_box(&encoded), Some(&f.state.head)).unwrap()
        })
    });
}

criterion_group!(benches, items, signatures, recovery, shares, rosters);
criterion_main!(benches);
