//! A tiny in-process SMTP server that keeps what it receives: a **test helper**.
//!
//! Tests (this crate's and other crates' end-to-end tests) start an [`SmtpSink`], point the
//! server at [`SmtpSink::url`] and read the mail it sent with [`SmtpSink::wait_for`]. It speaks
//! just enough SMTP (RFC 5321) for lettre and similar clients: `EHLO`/`HELO`, `MAIL FROM`,
//! `RCPT TO`, `DATA` (with dot-unstuffing), `RSET`, `NOOP`, `QUIT`. No TLS, no authentication,
//! no relaying; it listens on 127.0.0.1 only.
//!
//! Why this module is always compiled rather than behind a cargo feature: integration tests in
//! `tests/` build against the library without `cfg(test)`, so a feature would have to be passed
//! on every `cargo test` command line (a crate cannot reliably enable its own feature for its
//! tests). The module adds no dependency (only tokio's `net`, `io-util` and `sync`, which the
//! server uses anyway), about 250 lines, and does nothing unless [`SmtpSink::start`] is called;
//! the server never calls it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order, without the angle brackets.
    pub to: Vec<String>,
    /// The message (headers, blank line, body) as transferred: CRLF line ends, dots
    /// unstuffed, the final `.` line removed, bodies not decoded (7bit text arrives as is).
    pub data: String,
}

impl ReceivedMail {
    /// The unfolded value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        let headers = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in headers.split("\r\n") {
            if let Some(value) = value.as_mut() {
                // A folded header continues on lines that start with white space.
                if line.starts_with([' ', '\t']) {
                    value.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((field, rest)) = line.split_once(':')
                && field.eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim_start().to_owned());
            }
        }
        value
    }

    /// Everything after the header section, as transferred.
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
    }
}

/// A running SMTP sink. It stops when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    count: watch::Receiver<usize>,
    acceptor: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a sink on 127.0.0.1 with a free port, serving connections in the background on
    /// the current tokio runtime.
    pub async fn start() -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let (count_tx, count) = watch::channel(0);
        let store = Store {
            received: Arc::clone(&received),
            count: Arc::new(count_tx),
        };
        let acceptor = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                // A broken connection only loses that client's unfinished message, which is
                // what a real server would do too.
                tokio::spawn(async move {
                    let _ = serve(stream, store).await;
                });
            }
        });
        Ok(SmtpSink {
            addr,
            received,
            count,
            acceptor,
        })
    }

    /// `smtp://127.0.0.1:PORT`, for `Mailer::smtp` or the server's `--smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The address the sink listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.received).clone()
    }

    /// Waits until at least `n` messages have arrived or `timeout` has passed, then returns
    /// every message received so far. On timeout that is fewer than `n`: the caller's
    /// assertion on the length then shows what did arrive.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut count = self.count.clone();
        // `wait_for` also checks the current value first, so a message that arrived before
        // this call is not missed. An error means the sender is gone, which only happens after
        // the sink is dropped.
        let _ = tokio::time::timeout(timeout, count.wait_for(|&count| count >= n)).await;
        self.messages()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Stops accepting; connections already open finish on their own.
        self.acceptor.abort();
    }
}

#[derive(Debug, Clone)]
struct Store {
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    count: Arc<watch::Sender<usize>>,
}

impl Store {
    fn push(&self, mail: ReceivedMail) {
        let count = {
            let mut received = lock(&self.received);
            received.push(mail);
            received.len()
        };
        self.count.send_replace(count);
    }
}

/// Locks the list; a panic while holding it cannot leave it half-updated (`push` is the only
/// writer), so a poisoned lock is still safe to use.
fn lock(received: &Mutex<Vec<ReceivedMail>>) -> std::sync::MutexGuard<'_, Vec<ReceivedMail>> {
    received
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The sink's name in its greeting and replies.
const NAME: &str = "keyhaven-smtp-sink";

/// Serves one SMTP session.
async fn serve(stream: TcpStream, store: Store) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut line = String::new();
    // The transaction under way: the envelope sender and its recipients so far.
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();

    write
        .write_all(format!("220 {NAME} ESMTP ready\r\n").as_bytes())
        .await?;
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(()); // The client hung up.
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let verb = command
            .split_once(' ')
            .map_or(command, |(verb, _)| verb)
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            // 8BITMIME and SMTPUTF8 so that clients send UTF-8 text as is.
            "EHLO" => format!("250-{NAME}\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"),
            "HELO" => format!("250 {NAME}\r\n"),
            "MAIL" => match path_argument(command, "MAIL FROM:") {
                Some(sender) => {
                    from = Some(sender);
                    to.clear();
                    "250 OK\r\n".to_owned()
                }
                None => "501 Syntax: MAIL FROM:<address>\r\n".to_owned(),
            },
            "RCPT" => match (&from, path_argument(command, "RCPT TO:")) {
                (None, _) => "503 MAIL first\r\n".to_owned(),
                (Some(_), Some(recipient)) => {
                    to.push(recipient);
                    "250 OK\r\n".to_owned()
                }
                (Some(_), None) => "501 Syntax: RCPT TO:<address>\r\n".to_owned(),
            },
            "DATA" => match from.take() {
                Some(sender) if !to.is_empty() => {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let data = read_data(&mut lines).await?;
                    store.push(ReceivedMail {
                        from: sender,
                        to: std::mem::take(&mut to),
                        data,
                    });
                    "250 OK: queued\r\n".to_owned()
                }
                sender => {
                    from = sender;
                    "503 MAIL and RCPT first\r\n".to_owned()
                }
            },
            "RSET" => {
                from = None;
                to.clear();
                "250 OK\r\n".to_owned()
            }
            "NOOP" => "250 OK\r\n".to_owned(),
            "QUIT" => {
                write
                    .write_all(format!("221 {NAME} closing\r\n").as_bytes())
                    .await?;
                return Ok(());
            }
            _ => "502 Command not implemented\r\n".to_owned(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// The address in `MAIL FROM:<a@b> [params]` or `RCPT TO:<a@b> [params]`, without brackets.
/// `<>` (the null sender of bounces) gives an empty string.
fn path_argument(command: &str, prefix: &str) -> Option<String> {
    let head = command.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = command[prefix.len()..].trim_start();
    let path = rest.split_whitespace().next().unwrap_or_default();
    let address = path.strip_prefix('<')?.strip_suffix('>')?;
    Some(address.to_owned())
}

/// Reads the message after `DATA` up to the line holding a single `.`, undoing the client's
/// dot-stuffing (RFC 5321 §4.5.2: a line that starts with `.` was sent with one more `.`).
async fn read_data<R>(lines: &mut R) -> std::io::Result<String>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    let mut data = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let content = line
            .strip_suffix(b"\n")
            .map(|without_lf| without_lf.strip_suffix(b"\r").unwrap_or(without_lf))
            .unwrap_or(&line);
        if content == b"." {
            return Ok(data);
        }
        let unstuffed = content.strip_prefix(b".").unwrap_or(content);
        // Tests compare text; a stray non-UTF-8 byte is shown as U+FFFD rather than failing.
        data.push_str(&String::from_utf8_lossy(unstuffed));
        data.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_arguments() {
        assert_eq!(
            path_argument("MAIL FROM:<a@b.c>", "MAIL FROM:"),
            Some("a@b.c".to_owned())
        );
        assert_eq!(
            path_argument("mail from: <a@b.c> BODY=8BITMIME SMTPUTF8", "MAIL FROM:"),
            Some("a@b.c".to_owned())
        );
        assert_eq!(
            path_argument("MAIL FROM:<>", "MAIL FROM:"),
            Some(String::new())
        );
        assert_eq!(path_argument("MAIL FROM:a@b.c", "MAIL FROM:"), None);
        assert_eq!(path_argument("MAIL", "MAIL FROM:"), None);
    }

    #[tokio::test]
    async fn data_is_unstuffed_and_ends_at_the_dot_line() {
        let input: &[u8] = b"Subject: x\r\n\r\n..hidden\r\n.\r\nafter\r\n";
        let mut reader = BufReader::new(input);
        let data = read_data(&mut reader).await.unwrap();
        assert_eq!(data, "Subject: x\r\n\r\n.hidden\r\n");
    }

    #[test]
    fn header_and_body_accessors() {
        let mail = ReceivedMail {
            from: "a@b.c".to_owned(),
            to: vec!["d@e.f".to_owned()],
            data: "From: a@b.c\r\nSubject: a long\r\n subject\r\nTo: d@e.f\r\n\r\nHello\r\n"
                .to_owned(),
        };
        assert_eq!(mail.header("subject").as_deref(), Some("a long subject"));
        assert_eq!(mail.header("TO").as_deref(), Some("d@e.f"));
        assert_eq!(mail.header("Cc"), None);
        assert_eq!(mail.body(), "Hello\r\n");
    }

    /// A raw conversation, to pin down the replies and RSET without lettre in between.
    #[tokio::test]
    async fn speaks_smtp() {
        let sink = SmtpSink::start().await.unwrap();
        let stream = TcpStream::connect(sink.addr()).await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut replies = BufReader::new(read);
        let mut reply = String::new();
        let mut expect = async |sent: &str, code: &str| {
            if !sent.is_empty() {
                write.write_all(sent.as_bytes()).await.unwrap();
            }
            // Multi-line replies use `250-`; the last line has a space after the code.
            loop {
                reply.clear();
                replies.read_line(&mut reply).await.unwrap();
                assert!(reply.starts_with(code), "{sent:?} got {reply:?}");
                if reply.as_bytes().get(3) == Some(&b' ') {
                    break;
                }
            }
        };
        expect("", "220").await;
        expect("EHLO test\r\n", "250").await;
        expect("RCPT TO:<x@y.z>\r\n", "503").await;
        expect("MAIL FROM:<dropped@y.z>\r\n", "250").await;
        expect("RSET\r\n", "250").await;
        expect("DATA\r\n", "503").await;
        expect("NOOP\r\n", "250").await;
        expect("VRFY x\r\n", "502").await;
        expect("MAIL FROM:<me@y.z>\r\n", "250").await;
        expect("RCPT TO:<you@y.z>\r\n", "250").await;
        expect("RCPT TO:<them@y.z>\r\n", "250").await;
        expect("DATA\r\n", "354").await;
        expect("Subject: hi\r\n\r\n..dot\r\n.\r\n", "250").await;
        expect("QUIT\r\n", "221").await;

        let mail = sink.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(
            mail,
            vec![ReceivedMail {
                from: "me@y.z".to_owned(),
                to: vec!["you@y.z".to_owned(), "them@y.z".to_owned()],
                data: "Subject: hi\r\n\r\n.dot\r\n".to_owned(),
            }]
        );
    }

    #[tokio::test]
    async fn wait_for_returns_what_arrived_on_timeout() {
        let sink = SmtpSink::start().await.unwrap();
        let mail = sink.wait_for(1, Duration::from_millis(50)).await;
        assert!(mail.is_empty());
        assert!(sink.url().starts_with("smtp://127.0.0.1:"));
    }
}
