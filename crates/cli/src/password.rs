//! `keyhaven password forgot | reset`: reset a forgotten password with an emailed access code.
//!
//! A reset generates a new encryption key, so the command first warns and asks for both
//! acknowledgements of the Devolutions Cloud flow it follows (`--i-understand` gives both, for
//! scripts). It signs out every session and does not sign in.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use keyhaven_client::flows::FlowError;
use keyhaven_client::password as flows;
use keyhaven_crypto::opaque::KsfParams;
use zeroize::Zeroizing;

use crate::home;

/// The first acknowledgement (source document, step 5).
pub const ACK_RECOVERY_KEY: &str =
    "I understand that without my recovery key, I will no longer be able to access the workspace";
/// The second acknowledgement (source document, step 7).
pub const ACK_RISKS: &str = "I understand and accept the risks";

const WARNING: &str = "\
Resetting your password generates a new encryption key for your account.
Your workspaces are locked to your current key, which only your old password opens.
After the reset:
  - every session of your account is signed out;
  - each workspace asks its owners for the emergency reset code (the workspace recovery key);
  - members cannot open a workspace until an owner relinks them.
Have your recovery key at hand before you continue.";

/// Reset a forgotten password.
#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Email an access code for a password reset.
    Forgot(ForgotArgs),
    /// Reset the password with the emailed access code; generates a new encryption key.
    Reset(ResetArgs),
    /// Change the password of the signed-in account (sign in again first if it has been more
    /// than ten minutes). Keeps your keys; signs out your other sessions.
    Change {
        /// Read the new password from the first line of stdin (else $KEYHAVEN_NEW_PASSWORD,
        /// else a prompt, twice).
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Email an access code for a password reset.
#[derive(Debug, Args)]
pub struct ForgotArgs {
    /// The server's URL, e.g. https://vault.example.com (remembered for later commands;
    /// http:// only for this machine).
    #[arg(long, env = "KEYHAVEN_SERVER")]
    server: Option<String>,
    /// Your account's email address.
    #[arg(long)]
    email: String,
}

/// Reset the password with the emailed access code. Signs out every session; workspaces then
/// ask owners for the emergency reset code (the recovery key) and members to ask an owner.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The server's URL, e.g. https://vault.example.com (remembered for later commands;
    /// http:// only for this machine).
    #[arg(long, env = "KEYHAVEN_SERVER")]
    server: Option<String>,
    /// Your account's email address.
    #[arg(long)]
    email: String,
    /// The 8-digit access code from the email.
    #[arg(long)]
    code: String,
    /// Read the new password from the first line of stdin (else $KEYHAVEN_NEW_PASSWORD, else
    /// a prompt, twice).
    #[arg(long)]
    password_stdin: bool,
    /// Accept both acknowledgements without being asked (for scripts): "I understand that
    /// without my recovery key, I will no longer be able to access the workspace" and "I
    /// understand and accept the risks".
    #[arg(long)]
    i_understand: bool,
}

pub async fn run(command: PasswordCommand) -> Result<()> {
    match command {
        PasswordCommand::Forgot(args) => forgot(args).await,
        PasswordCommand::Reset(args) => reset(args).await,
        PasswordCommand::Change { password_stdin } => change(password_stdin).await,
    }
}

async fn forgot(args: ForgotArgs) -> Result<()> {
    let client = crate::connect::client(&crate::connect::server_url(args.server)?)?;
    let email = args.email.trim();
    flows::forgot(&client, email).await.map_err(explain)?;
    // The server answers alike for every address, so this cannot say more.
    println!("If {email} has an account on this server, an access code was sent to it.");
    println!("It is valid for 10 minutes. Then run:");
    println!(
        "  keyhaven password reset --server {} --email {email} --code CODE",
        client.base()
    );
    Ok(())
}

async fn reset(args: ResetArgs) -> Result<()> {
    let client = crate::connect::client(&crate::connect::server_url(args.server)?)?;
    eprintln!("{WARNING}");
    let stdin = std::io::stdin();
    acknowledge(args.i_understand, stdin.is_terminal(), |question| {
        eprint!("{question}. [y/N] ");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    })?;
    // Read before the code is used: a failed prompt must not cost the code.
    let password = read_new_password(args.password_stdin)?;
    let done = flows::reset(
        &client,
        args.email.trim(),
        &args.code,
        password,
        KsfParams::default(),
    )
    .await
    .map_err(explain)?;
    // The saved session was revoked with the others; forget it if it is this account's.
    if let Some(saved) = home::load().ok().flatten()
        && saved.server == client.base()
        && saved.account_id == done.account.id
    {
        home::clear()?;
    }
    println!(
        "Password reset for {} (account {}).",
        done.account.email, done.account.id
    );
    println!(
        "A new encryption key was generated. Your new key fingerprint: {}",
        done.public.fingerprint()
    );
    println!(
        "Every session of this account was signed out ({} on the server).",
        done.sessions_revoked
    );
    println!(
        "Each workspace will ask its owners for the emergency reset code (the workspace \
         recovery key); members must ask an owner to relink them."
    );
    println!(
        "Sign in with: keyhaven login --server {} --email {}",
        client.base(),
        done.account.email
    );
    Ok(())
}

/// Obtains both acknowledgements: from `--i-understand`, else by asking each question on a
/// terminal (`ask` returns whether the answer was yes); with neither, refuses.
fn acknowledge(
    i_understand: bool,
    terminal: bool,
    mut ask: impl FnMut(&str) -> Result<bool>,
) -> Result<()> {
    if i_understand {
        eprintln!("Accepted with --i-understand: \"{ACK_RECOVERY_KEY}\" and \"{ACK_RISKS}\".");
        return Ok(());
    }
    if !terminal {
        return Err(crate::with_hint(
            anyhow::anyhow!("the password was not reset: both acknowledgements are needed"),
            "run it on a terminal to answer the two questions, or pass --i-understand to \
             accept both",
        ));
    }
    for question in [ACK_RECOVERY_KEY, ACK_RISKS] {
        if !ask(question)? {
            bail!("the password was not reset: \"{question}\" was not accepted");
        }
    }
    Ok(())
}

/// The new password from --password-stdin, $KEYHAVEN_NEW_PASSWORD, or a prompt (twice).
fn read_new_password(from_stdin: bool) -> Result<Zeroizing<String>> {
    let password = if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line)?;
        Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned())
    } else if let Ok(password) = std::env::var("KEYHAVEN_NEW_PASSWORD") {
        Zeroizing::new(password)
    } else if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(rpassword::prompt_password("New password: ")?);
        let second = Zeroizing::new(rpassword::prompt_password("New password again: ")?);
        if !keyhaven_crypto::ct_eq(first.as_bytes(), second.as_bytes()) {
            bail!("the two passwords differ");
        }
        first
    } else {
        bail!("no new password: set KEYHAVEN_NEW_PASSWORD or pass --password-stdin");
    };
    if password.is_empty() {
        bail!("the new password is empty");
    }
    Ok(password)
}

/// Turns flow errors into messages with a hint.
fn explain(err: FlowError) -> anyhow::Error {
    let hint = match &err {
        FlowError::Client(e) if e.code() == Some("invalid_code") => {
            "request a new code with `keyhaven password forgot`"
        }
        FlowError::Client(e) if e.code() == Some("invalid_reset_token") => {
            "start again with `keyhaven password forgot`"
        }
        FlowError::Client(e) if e.code() == Some("rate_limited") => {
            "the server slows down repeated attempts: wait as long as it says, then try again"
        }
        FlowError::Ksf(_) => "do not use this server until its operator explains the change",
        _ => "",
    };
    crate::with_hint(err.into(), hint)
}

async fn change(password_stdin: bool) -> Result<()> {
    let (me, client, _) = crate::account::me()?;
    let new_password = read_new_password(password_stdin)?;
    keyhaven_client::password::change(
        &client,
        me.id,
        &me.keys,
        new_password,
        keyhaven_crypto::opaque::KsfParams::default(),
    )
    .await
    .map_err(crate::account::explain_flow)?;
    println!("Password changed. Your keys are unchanged; your other sessions were signed out.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_accepts_both_without_asking() {
        let mut asked = 0;
        acknowledge(true, false, |_| {
            asked += 1;
            Ok(false)
        })
        .unwrap();
        assert_eq!(asked, 0);
    }

    #[test]
    fn without_flag_or_terminal_it_refuses_with_a_hint() {
        let err = acknowledge(false, false, |_| Ok(true)).unwrap_err();
        let hinted = err.downcast_ref::<crate::Hinted>().expect("a hint");
        assert!(hinted.hint.contains("--i-understand"));
    }

    #[test]
    fn on_a_terminal_both_questions_are_asked_in_order() {
        let mut asked = Vec::new();
        acknowledge(false, true, |q| {
            asked.push(q.to_owned());
            Ok(true)
        })
        .unwrap();
        assert_eq!(asked, [ACK_RECOVERY_KEY, ACK_RISKS]);
    }

    #[test]
    fn declining_either_question_stops() {
        for no in [0, 1] {
            let mut n = 0;
            let result = acknowledge(false, true, |_| {
                n += 1;
                Ok(n - 1 != no)
            });
            assert!(result.is_err(), "declining question {no}");
            assert_eq!(n, no + 1, "nothing is asked after a no");
        }
    }
}
