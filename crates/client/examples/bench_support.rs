//! Helpers for `scripts/bench-server.sh` (not part of the product):
//!
//! - `bench_support seed URL EMAIL WORKSPACE_ID COUNT` signs in (password from
//!   KEYHAVEN_PASSWORD) and adds COUNT secrets through the real client flows (encrypted and
//!   signed on the client, as `keyhaven secret add` does).
//! - `bench_support signins URL EMAIL SECONDS` keeps 8 sign-ins in flight for SECONDS (the
//!   load beside the item reads) and prints how many completed.
//! - `bench_support kdf` prints the milliseconds Argon2id takes with the default parameters,
//!   through the same OPAQUE registration path a login uses, so login time can be compared
//!   with the key-stretching time alone.
//! - `bench_support find-paths URL EMAIL WORKSPACE_ID PREFIX...` signs in, opens the escrow
//!   key as `keyhaven device find` does, and prints the request path the client sends for each
//!   8-character prefix (the blind-index lookup), one per line, for wrk to replay.

use std::collections::BTreeMap;

use keyhaven_client::Client;
use keyhaven_client::flows;
use keyhaven_client::workspaces::{self, Me};
use keyhaven_core::ids::{AccountId, WorkspaceId};
use keyhaven_core::item::ItemKind;
use keyhaven_crypto::opaque::{self, KsfParams};
use keyhaven_crypto::secret::SecretBytes;
use zeroize::Zeroizing;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("seed") if args.len() == 6 => {
            let client = Client::new(&args[2])?;
            let password = Zeroizing::new(std::env::var("KEYHAVEN_PASSWORD")?);
            let logged_in = flows::login(&client, &args[3], password).await?;
            let client = client.with_session(logged_in.session_token.to_string());
            let me = Me {
                id: AccountId(logged_in.account.id.parse()?),
                email: logged_in.account.email.clone(),
                keys: logged_in.keys,
            };
            let ws = WorkspaceId(args[4].parse()?);
            let opened = std::sync::Arc::new(workspaces::open(&client, &me, ws, None).await?);
            let me = std::sync::Arc::new(me);
            let count: usize = args[5].parse()?;
            // Several adds in flight, so seeding 100,000 secrets takes minutes, not an hour.
            let mut in_flight = tokio::task::JoinSet::new();
            for i in 0..count {
                if in_flight.len() >= 16 {
                    in_flight.join_next().await.expect("not empty")??;
                }
                let (client, me, opened) = (client.clone(), me.clone(), opened.clone());
                in_flight.spawn(async move {
                    let mut fields = BTreeMap::new();
                    fields.insert(
                        "password".to_owned(),
                        SecretBytes::new(format!("password-{i:06}").into_bytes()),
                    );
                    workspaces::add_secret(
                        &client,
                        &me,
                        &opened,
                        &format!("secret-{i:06}"),
                        ItemKind::Login,
                        fields,
                    )
                    .await
                    .map(drop)
                });
            }
            while let Some(done) = in_flight.join_next().await {
                done??;
            }
            println!("seeded {count}");
        }
        Some("signins") if args.len() == 5 => {
            let seconds: u64 = args[4].parse()?;
            let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
            let mut workers = tokio::task::JoinSet::new();
            for worker in 0..8u8 {
                let (url, email) = (args[2].clone(), args[3].clone());
                workers.spawn(async move {
                    let mut done = 0u64;
                    while std::time::Instant::now() < until {
                        // The server lets 50 sign-ins start from one address per hour; each
                        // worker moves to another loopback address every 40.
                        let block = u8::try_from(done / 40 + 1).unwrap_or(u8::MAX);
                        let from = std::net::Ipv4Addr::new(127, block, 0, 10 + worker);
                        let client = Client::new(&url)?.with_local_address(from.into())?;
                        let password = Zeroizing::new(std::env::var("KEYHAVEN_PASSWORD")?);
                        flows::login(&client, &email, password).await?;
                        done += 1;
                    }
                    Ok::<u64, Box<dyn std::error::Error + Send + Sync>>(done)
                });
            }
            let mut total = 0;
            while let Some(done) = workers.join_next().await {
                total += done?.map_err(|e| e.to_string())?;
            }
            println!("{total}");
        }
        Some("find-paths") if args.len() >= 6 => {
            let client = Client::new(&args[2])?;
            let password = Zeroizing::new(std::env::var("KEYHAVEN_PASSWORD")?);
            let logged_in = flows::login(&client, &args[3], password).await?;
            let client = client.with_session(logged_in.session_token.to_string());
            let me = Me {
                id: AccountId(logged_in.account.id.parse()?),
                email: logged_in.account.email.clone(),
                keys: logged_in.keys,
            };
            let ws = WorkspaceId(args[4].parse()?);
            let opened = workspaces::open(&client, &me, ws, None).await?;
            let escrow = keyhaven_client::devices::Escrow::open(&opened)?;
            for prefix in &args[5..] {
                let query = keyhaven_core::escrow::PrefixQuery::parse(prefix)?;
                println!("{}", escrow.find_path(&query));
            }
        }
        Some("kdf") => {
            let setup = opaque::ServerSetup::generate();
            let (state, request) = opaque::client_registration_start(b"password")?;
            let response = opaque::server_registration_start(&setup, &request, b"bench")?;
            let started = std::time::Instant::now();
            opaque::client_registration_finish(
                state,
                b"password",
                &response,
                KsfParams::default(),
            )?;
            println!("{}", started.elapsed().as_millis());
        }
        _ => {
            return Err(
                "usage: bench_support seed URL EMAIL WORKSPACE_ID COUNT | bench_support signins URL EMAIL SECONDS | bench_support kdf | \
                 bench_support find-paths URL EMAIL WORKSPACE_ID PREFIX..."
                    .into(),
            );
        }
    }
    Ok(())
}
