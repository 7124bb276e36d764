//! Sends through lettre's real SMTP client over real TCP to the in-process [`SmtpSink`].

use std::time::Duration;

use keyhaven_server::config::SecretString;
use keyhaven_server::mail::{Email, MailError, Mailer, SmtpSecrets};
use keyhaven_testkit::pki::TestCa;
use keyhaven_testkit::smtp_sink::{SinkOptions, SinkTls, SmtpSink};

const WAIT: Duration = Duration::from_secs(10);

/// The body without the empty line lettre adds at the end: it sends `CRLF . CRLF` after a
/// message that already ends in CRLF, and by RFC 5321 §4.1.1.4 that extra CRLF is content.
fn body_lines(body: &str) -> &str {
    body.strip_suffix("\r\n").unwrap_or(body)
}

#[tokio::test]
async fn message_arrives_at_the_sink() {
    let sink = SmtpSink::start().await.expect("start the sink");
    let mailer = Mailer::smtp(&sink.url())
        .expect("plain smtp URL")
        .with_from("Keyhaven <noreply@keyhaven.test>")
        .expect("valid from");

    // The lone "." and the line starting with "." check dot-stuffing on both ends: unstuffed
    // wrongly, the first would end the message early and the second would lose its dot.
    let text = "Your access code is 12345678.\n.\n.hidden line\nBye.\n";
    mailer
        .send(&Email {
            to: "alice@example.com".to_owned(),
            subject: "Your Keyhaven access code".to_owned(),
            text: text.to_owned(),
        })
        .await
        .expect("send");

    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail.from, "noreply@keyhaven.test");
    assert_eq!(mail.to, ["alice@example.com"]);
    assert_eq!(mail.header("To").as_deref(), Some("alice@example.com"));
    assert_eq!(
        mail.header("From").as_deref(),
        Some("Keyhaven <noreply@keyhaven.test>")
    );
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your Keyhaven access code")
    );
    assert_eq!(
        mail.header("Content-Type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(body_lines(mail.body()), text.replace('\n', "\r\n"));
}

#[tokio::test]
async fn several_messages_arrive_in_order() {
    let sink = SmtpSink::start().await.expect("start the sink");
    let mailer = Mailer::smtp(&sink.url()).expect("plain smtp URL");
    for n in 1..=3 {
        mailer
            .send(&Email {
                to: format!("user{n}@example.com"),
                subject: format!("Message {n}"),
                text: format!("Body {n}\n"),
            })
            .await
            .expect("send");
    }

    let received = sink.wait_for(3, WAIT).await;
    assert_eq!(received.len(), 3, "{received:?}");
    for (n, mail) in (1..=3).zip(&received) {
        assert_eq!(mail.from, "keyhaven@localhost", "the default sender");
        assert_eq!(mail.to, [format!("user{n}@example.com")]);
        assert_eq!(mail.header("Subject"), Some(format!("Message {n}")));
        assert_eq!(body_lines(mail.body()), format!("Body {n}\r\n"));
    }
}

#[tokio::test]
async fn unreachable_relay_is_an_smtp_error() {
    // Take a free port, then close it, so nothing listens there.
    let url = {
        let sink = SmtpSink::start().await.expect("start the sink");
        sink.url()
    };
    // Let the aborted listener task release the port.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let error = Mailer::smtp(&url)
        .expect("plain smtp URL")
        .send(&Email {
            to: "alice@example.com".to_owned(),
            subject: "Nobody listens".to_owned(),
            text: "secret code 87654321\n".to_owned(),
        })
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Smtp { .. }), "{error}");
    assert!(!error.to_string().contains("87654321"), "{error}");
}

fn email(text: &str) -> Email {
    Email {
        to: "alice@example.com".to_owned(),
        subject: "Your Keyhaven access code".to_owned(),
        text: text.to_owned(),
    }
}

/// A sink with a certificate from a CA made here, and the secrets a mailer needs to trust it.
fn tls_setup(password: &str) -> (keyhaven_testkit::pki::Leaf, SmtpSecrets) {
    let ca = TestCa::new("Keyhaven test CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let secrets = SmtpSecrets {
        password: Some(SecretString::new(password.to_owned())),
        extra_roots_pem: Some(ca.pem().as_bytes().to_vec()),
    };
    (leaf, secrets)
}

fn auth() -> Option<(String, String)> {
    Some((
        "relay-user@example.com".to_owned(),
        "s3cret-relay".to_owned(),
    ))
}

#[tokio::test]
async fn starttls_then_auth_delivers_over_tls() {
    let (leaf, secrets) = tls_setup("s3cret-relay");
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::StartTls {
            config: leaf.server_config(),
            required: true,
        },
        auth: auth(),
    })
    .await
    .unwrap();
    let url = format!(
        "smtp://relay-user%40example.com@127.0.0.1:{}?tls=required",
        sink.addr().port()
    );
    let mailer = Mailer::smtp_with(&url, &secrets).expect("STARTTLS URL");
    mailer.send(&email("code 12345678\n")).await.expect("send");
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert!(received[0].tls, "the message came after STARTTLS");
    assert_eq!(received[0].user.as_deref(), Some("relay-user@example.com"));
}

#[tokio::test]
async fn implicit_tls_with_auth_delivers() {
    let (leaf, secrets) = tls_setup("s3cret-relay");
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::Implicit(leaf.server_config()),
        auth: auth(),
    })
    .await
    .unwrap();
    let url = format!(
        "smtps://relay-user%40example.com@localhost:{}",
        sink.addr().port()
    );
    let mailer = Mailer::smtp_with(&url, &secrets).expect("smtps URL");
    mailer.send(&email("hello\n")).await.expect("send");
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert!(received[0].tls);
    assert_eq!(received[0].user.as_deref(), Some("relay-user@example.com"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_not_repeated() {
    let (leaf, secrets) = tls_setup("not-the-password");
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::StartTls {
            config: leaf.server_config(),
            required: true,
        },
        auth: auth(),
    })
    .await
    .unwrap();
    let url = format!(
        "smtp://relay-user%40example.com@127.0.0.1:{}?tls=required",
        sink.addr().port()
    );
    let error = Mailer::smtp_with(&url, &secrets)
        .unwrap()
        .send(&email("x\n"))
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Smtp { .. }), "{error}");
    assert!(!error.to_string().contains("not-the-password"), "{error}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_relay_certificate_from_an_unknown_authority_is_refused() {
    let (leaf, mut secrets) = tls_setup("s3cret-relay");
    secrets.extra_roots_pem = None;
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::Implicit(leaf.server_config()),
        auth: auth(),
    })
    .await
    .unwrap();
    let url = format!(
        "smtps://relay-user%40example.com@localhost:{}",
        sink.addr().port()
    );
    let error = Mailer::smtp_with(&url, &secrets)
        .unwrap()
        .send(&email("x\n"))
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Smtp { .. }), "{error}");
    assert!(
        sink.messages().is_empty(),
        "nothing is sent to an unverified relay"
    );
}

#[tokio::test]
async fn tls_required_never_falls_back_to_plain_text() {
    // This relay offers no STARTTLS: with tls=required nothing may be sent.
    let sink = SmtpSink::start().await.unwrap();
    let url = format!("{}?tls=required", sink.url());
    let error = Mailer::smtp(&url)
        .unwrap()
        .send(&email("code 12345678\n"))
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Smtp { .. }), "{error}");
    assert!(sink.messages().is_empty());
}

#[test]
fn bad_tls_urls_are_refused() {
    for url in [
        "smtps://mail.example.com:465?tls=none",
        "smtp://user@mail.example.com:25?tls=none",
        "smtp://user:pw@mail.example.com:587",
    ] {
        let error = Mailer::smtp(url).unwrap_err();
        assert!(
            matches!(error, MailError::UnsupportedUrl { .. }),
            "{url}: {error}"
        );
    }
}
