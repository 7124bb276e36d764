//! `sslmode` in the PostgreSQL URL is honoured (sqlx on rustls+ring): `require` encrypts,
//! `verify-full` checks the server's certificate against `sslrootcert` and its name.

use keyhaven_server::store::Store;

const BASE: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Whether the local PostgreSQL has TLS on (Debian's package turns it on with its snakeoil
/// certificate); the first assertion says so plainly when it does not.
fn server_has_ssl() -> bool {
    let out = std::process::Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW ssl"])
        .output()
        .expect("psql runs");
    String::from_utf8_lossy(&out.stdout).trim() == "on"
}

#[tokio::test]
async fn sslmode_require_encrypts_and_verify_full_checks_the_certificate() {
    assert!(
        server_has_ssl(),
        "this test needs `ssl = on` in the local PostgreSQL (Debian's default)"
    );
    let store = Store::connect(&format!("{BASE}?sslmode=require"))
        .await
        .expect("connect with sslmode=require");
    assert!(
        store.connection_is_encrypted().await.unwrap(),
        "pg_stat_ssl says TLS"
    );
    store.close().await;

    let store = Store::connect(&format!("{BASE}?sslmode=disable"))
        .await
        .unwrap();
    assert!(
        !store.connection_is_encrypted().await.unwrap(),
        "the control: plain"
    );
    store.close().await;

    // verify-full with the server's own certificate as the root (Debian's snakeoil is
    // self-signed, named after the host it was made on: localhost or the machine's name) and
    // the name it holds: accepted, encrypted.
    let snakeoil = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    let subject = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-in", snakeoil])
        .output()
        .expect("openssl runs");
    let subject = String::from_utf8_lossy(&subject.stdout).into_owned();
    let name = subject
        .rsplit("CN")
        .next()
        .map(|rest| rest.trim_start_matches([' ', '=']).trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| panic!("a CN in {subject:?}"));
    let store = Store::connect(&format!(
        "postgres://postgres@{name}:5432/postgres?sslmode=verify-full&sslrootcert={snakeoil}"
    ))
    .await
    .expect("verify-full against the server's own certificate");
    assert!(store.connection_is_encrypted().await.unwrap());
    store.close().await;

    // verify-full against a CA that did not issue the server's certificate: refused.
    let dir = tempfile::tempdir().unwrap();
    let ca = keyhaven_testkit::pki::TestCa::new("not PostgreSQL's CA");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let url = format!(
        "{BASE}?sslmode=verify-full&sslrootcert={}",
        ca_file.display()
    );
    let error = Store::connect(&url)
        .await
        .expect_err("an untrusted certificate");
    let text = format!("{error}");
    assert!(
        text.to_lowercase().contains("certificate") || text.to_lowercase().contains("tls"),
        "{text}"
    );
}
