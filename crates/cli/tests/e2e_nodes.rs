//! Two server processes on one PostgreSQL database behave as one: a code emailed by one node
//! is accepted by the other, a session made on one works on the other, and rate limits count
//! sends through both. (The store story covers single use under concurrency: 50 concurrent
//! submissions, one winner, which holds across nodes because it is one SQL statement.)

mod support;

use std::process::Command;

use support::{Db, Server, User, code_in, stderr, stdout};

#[test]
fn two_nodes_share_everything_through_postgres() {
    let server = Server::start(Db::Postgres);
    let (mut node_b, url_b, _dir_b) = server.second_node();
    let alice = User::new(&server);
    let url_a = server.url.clone();

    // Code sent by node A, accepted by node B.
    let out = alice.run(
        &["signup", "--server", &url_a, "--email", "alice@example.com"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let code = code_in(&server.mail(0));
    let out = alice.run(
        &[
            "signup",
            "--server",
            &url_b,
            "--email",
            "alice@example.com",
            "--code",
            &code,
        ],
        Some("pw pw pw pw"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Session made on node B; the workspace created through B is visible through A.
    let out = alice.run(
        &["login", "--server", &url_b, "--email", "alice@example.com"],
        Some("pw pw pw pw"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        alice
            .run(&["workspace", "create", "Shared"], None)
            .status
            .code(),
        Some(0)
    );
    let session = std::fs::read_to_string(alice.session_file()).unwrap();
    std::fs::write(alice.session_file(), session.replace(&url_b, &url_a)).unwrap();
    let out = alice.run(&["workspace", "list"], None);
    assert!(
        stdout(&out).contains("Shared"),
        "node A sees node B's session and data: {}",
        stdout(&out)
    );

    // Rate limits are counted in the database: sends through A and B share one budget of
    // 3 per 15 minutes for an address.
    let bob = User::new(&server);
    let statuses: Vec<Option<i32>> = [&url_a, &url_b, &url_a, &url_b]
        .iter()
        .map(|url| {
            bob.run(
                &["signup", "--server", url, "--email", "bob@example.com"],
                None,
            )
            .status
            .code()
        })
        .collect();
    assert_eq!(
        statuses,
        vec![Some(0), Some(0), Some(0), Some(1)],
        "the fourth send is refused, whichever node"
    );

    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(node_b.id().to_string())
        .status();
    assert!(node_b.wait().unwrap().success());
}
