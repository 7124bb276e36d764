//! `keyhaven signup | login | logout | whoami`.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use clap::Args;
use keyhaven_client::Client;
use keyhaven_client::flows::{self, FlowError};
use keyhaven_crypto::opaque::KsfParams;
use zeroize::Zeroizing;

use crate::home::{self, SavedSession};

/// Create an account: emails a verification code, then registers your password.
#[derive(Debug, Args)]
pub struct SignupArgs {
    /// The server's URL, e.g. https://vault.example.com (remembered for later commands;
    /// http:// only for this machine).
    #[arg(long, env = "KEYHAVEN_SERVER")]
    server: Option<String>,
    /// Your email address.
    #[arg(long)]
    email: String,
    /// The 8-digit code from the verification email. Without it, the code is emailed and
    /// asked for (or, with no terminal, re-run with --code).
    #[arg(long)]
    code: Option<String>,
    /// Read the password from the first line of stdin (else $KEYHAVEN_PASSWORD, else a prompt).
    #[arg(long)]
    password_stdin: bool,
}

/// Sign in with your email and password.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server's URL, e.g. https://vault.example.com (remembered for later commands;
    /// http:// only for this machine).
    #[arg(long, env = "KEYHAVEN_SERVER")]
    server: Option<String>,
    /// Your email address.
    #[arg(long)]
    email: String,
    /// Read the password from the first line of stdin (else $KEYHAVEN_PASSWORD, else a prompt).
    #[arg(long)]
    password_stdin: bool,
}

/// Show the signed-in account.
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn signup(args: SignupArgs) -> Result<()> {
    let client = crate::connect::client(&crate::connect::server_url(args.server)?)?;
    crate::connect::remember(client.base())?;
    let code = match args.code {
        Some(code) => code,
        None => {
            flows::signup_start(&client, &args.email).await?;
            println!("A verification code was sent to {}.", args.email.trim());
            if !std::io::stdin().is_terminal() {
                println!("Re-run with --code CODE to finish signing up.");
                return Ok(());
            }
            let code = rpassword::prompt_password("Enter the 8-digit code: ")?;
            code.trim().to_owned()
        }
    };
    let password = read_password(args.password_stdin, true)?;
    let account = flows::signup_finish(&client, &args.email, &code, password, KsfParams::default())
        .await
        .map_err(explain)?;
    println!("Account created for {} (id {}).", account.email, account.id);
    println!("Sign in with: keyhaven login --email {}", account.email);
    Ok(())
}

pub async fn login(args: LoginArgs) -> Result<()> {
    let client = crate::connect::client(&crate::connect::server_url(args.server)?)?;
    let password = read_password(args.password_stdin, false)?;
    let logged_in = flows::login(&client, &args.email, password)
        .await
        .map_err(explain)?;
    crate::connect::remember(client.base())?;
    home::save(&SavedSession {
        server: client.base().to_owned(),
        email: logged_in.account.email.clone(),
        account_id: logged_in.account.id.clone(),
        session_token: logged_in.session_token.to_string(),
        account_keys: encode_keys(&logged_in.keys),
        expires_at: keyhaven_client::clock::now_unix() + home::SESSION_LIFETIME_SECS,
    })?;
    let public = &logged_in.keys.public();
    println!("Signed in as {}.", logged_in.account.email);
    println!("Your key fingerprint: {}", public.fingerprint());
    let client = client.with_session(logged_in.session_token.to_string());
    match logged_in.account.id.parse() {
        Ok(id) => refresh_prompts(&client, keyhaven_core::ids::AccountId(id), public).await,
        Err(_) => eprintln!("note: the server reported a malformed account id"),
    }
    show_prompts();
    Ok(())
}

pub async fn logout() -> Result<()> {
    let Some(saved) = home::load()? else {
        println!("Not signed in.");
        return Ok(());
    };
    let client = crate::connect::client(&saved.server)?.with_session(saved.session_token.clone());
    // Forget the local session even if the server is unreachable; say so.
    let result = flows::logout(&client).await;
    home::clear()?;
    match result {
        Ok(()) => println!("Signed out."),
        Err(e) => println!("Signed out here; the server could not be told ({e})."),
    }
    Ok(())
}

pub async fn whoami(args: WhoamiArgs) -> Result<()> {
    let saved = signed_in()?;
    show_prompts();
    let client = crate::connect::client(&saved.server)?.with_session(saved.session_token.clone());
    let account = flows::whoami(&client).await.map_err(explain)?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"id": account.id, "email": account.email, "server": saved.server})
        );
    } else {
        println!(
            "{} on {} (account {})",
            account.email, saved.server, account.id
        );
    }
    Ok(())
}

/// The saved session, or an error that says how to sign in.
pub fn signed_in() -> Result<SavedSession> {
    home::load()?.context("not signed in; run `keyhaven login --server URL --email EMAIL`")
}

/// Turns flow errors into messages with a hint.
fn explain(err: FlowError) -> anyhow::Error {
    let hint = match &err {
        FlowError::InvalidCredentials => {
            "check the email and password; `keyhaven password forgot` resets a forgotten password"
        }
        FlowError::Client(e) if e.code() == Some("unauthorized") => {
            "sign in again with `keyhaven login`"
        }
        FlowError::Client(e) if e.code() == Some("invalid_code") => {
            "request a new code: run `keyhaven signup` without --code"
        }
        FlowError::Client(e) if e.code() == Some("rate_limited") => {
            "the server slows down repeated attempts: wait as long as it says, then try again"
        }
        FlowError::Ksf(_) => "do not use this server until its operator explains the change",
        _ => "",
    };
    crate::with_hint(err.into(), hint)
}

/// The password from --password-stdin, $KEYHAVEN_PASSWORD, or a prompt (twice when `confirm`).
fn read_password(from_stdin: bool, confirm: bool) -> Result<Zeroizing<String>> {
    if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line)?;
        let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
        if trimmed.is_empty() {
            bail!("no password on stdin");
        }
        return Ok(trimmed);
    }
    if let Ok(password) = std::env::var("KEYHAVEN_PASSWORD") {
        return Ok(Zeroizing::new(password));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password: set KEYHAVEN_PASSWORD or pass --password-stdin");
    }
    let first = Zeroizing::new(rpassword::prompt_password("Password: ")?);
    if confirm {
        let second = Zeroizing::new(rpassword::prompt_password("Password again: ")?);
        if !keyhaven_crypto::ct_eq(first.as_bytes(), second.as_bytes()) {
            bail!("the two passwords differ");
        }
    }
    Ok(first)
}

fn encode_keys(keys: &keyhaven_core::account::AccountKeys) -> String {
    let mut bytes = Zeroizing::new([0u8; 64]);
    bytes[..32].copy_from_slice(keys.encryption.expose());
    bytes[32..].copy_from_slice(&*keys.signing.to_seed());
    hex_encode(bytes.as_ref())
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signed-in account with its keys, and a client carrying its session.
pub fn me() -> Result<(keyhaven_client::workspaces::Me, Client, SavedSession)> {
    let saved = signed_in()?;
    let client = crate::connect::client(&saved.server)?.with_session(saved.session_token.clone());
    let raw = Zeroizing::new(
        (0..saved.account_keys.len() / 2)
            .map(|i| u8::from_str_radix(&saved.account_keys[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .ok()
            .filter(|b| b.len() == 64)
            .context("the saved session is damaged; sign in again")?,
    );
    let mut enc = Zeroizing::new([0u8; 32]);
    enc.copy_from_slice(&raw[..32]);
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&raw[32..]);
    let keys = keyhaven_core::account::AccountKeys {
        encryption: keyhaven_crypto::hpke::RecipientSecretKey::from_bytes(*enc),
        signing: keyhaven_crypto::sign::SigningKey::from_seed(&seed),
    };
    let id = keyhaven_core::ids::AccountId(
        saved
            .account_id
            .parse()
            .context("the saved session is damaged")?,
    );
    let me = keyhaven_client::workspaces::Me {
        id,
        email: saved.email.clone(),
        keys,
    };
    Ok((me, client, saved))
}

/// Turns flow errors into messages with a hint (for other command modules).
pub fn explain_flow(err: FlowError) -> anyhow::Error {
    explain(err)
}

/// Recomputes the pending prompts; a failure only loses the reminder, never the command.
pub async fn refresh_prompts(
    client: &Client,
    account: keyhaven_core::ids::AccountId,
    keys: &keyhaven_core::account::AccountPublicKeys,
) {
    match keyhaven_client::workspaces::pending_prompts(client, account, keys).await {
        Ok(prompts) => {
            let _ = home::save_prompts(&prompts);
        }
        Err(e) => eprintln!("note: could not check for pending recovery-key tasks ({e})"),
    }
}

/// Prints the pending prompts to stderr (skipped with KEYHAVEN_SKIP_PROMPTS=1); they come back
/// at every command until dealt with.
pub fn show_prompts() {
    if std::env::var_os("KEYHAVEN_SKIP_PROMPTS").is_some_and(|v| v == "1") {
        return;
    }
    for p in home::load_prompts() {
        eprintln!("pending ({}): {}", p.workspace, p.message);
    }
}
