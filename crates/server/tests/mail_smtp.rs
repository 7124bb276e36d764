//! Sends through lettre's real SMTP client over real TCP to the in-process [`SmtpSink`].

use std::time::Duration;

use keyhaven_server::mail::{Email, MailError, Mailer};
use keyhaven_server::smtp_sink::SmtpSink;

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

#[test]
fn tls_urls_are_not_supported_yet() {
    let error = Mailer::smtp("smtps://mail.example.com:465").unwrap_err();
    assert!(matches!(error, MailError::UnsupportedUrl { .. }), "{error}");
}
