//! A small in-process SMTP server that keeps what it receives, for tests.
//!
//! Tests start an [`SmtpSink`], point the server at [`SmtpSink::url`] and read the mail it sent
//! with [`SmtpSink::wait_for`]. It speaks enough SMTP (RFC 5321) for lettre and similar clients:
//! `EHLO`/`HELO`, `MAIL FROM`, `RCPT TO`, `DATA` (with dot-unstuffing), `RSET`, `NOOP`, `QUIT`;
//! with [`SinkOptions`] also `STARTTLS` (RFC 3207) or implicit TLS (RFC 8314), and `AUTH PLAIN`
//! / `AUTH LOGIN` (RFC 4954) against one user name and password. Each message records whether
//! it came over TLS and which user had signed in. No relaying; it listens on 127.0.0.1 only.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
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
    /// Whether the message came over TLS (after STARTTLS, or on an implicit-TLS port).
    pub tls: bool,
    /// The user that signed in with AUTH before sending, if any.
    pub user: Option<String>,
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

/// How the sink speaks TLS.
#[derive(Debug, Clone, Default)]
pub enum SinkTls {
    /// Plain text only.
    #[default]
    None,
    /// Plain text, with `STARTTLS` offered (and required before `MAIL` when `required`).
    StartTls {
        /// The certificate it presents.
        config: Arc<rustls::ServerConfig>,
        /// Refuse `MAIL` and `AUTH` before `STARTTLS`.
        required: bool,
    },
    /// TLS from the first byte (`smtps://`).
    Implicit(Arc<rustls::ServerConfig>),
}

/// What a sink offers and requires.
#[derive(Clone, Default)]
pub struct SinkOptions {
    /// TLS.
    pub tls: SinkTls,
    /// With `Some((user, password))`, `AUTH PLAIN`/`LOGIN` is offered (over TLS only, when
    /// TLS is on) and `MAIL` is refused until a client signed in with these.
    pub auth: Option<(String, String)>,
}

impl std::fmt::Debug for SinkOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tls = match &self.tls {
            SinkTls::None => "none",
            SinkTls::StartTls { required: true, .. } => "starttls (required)",
            SinkTls::StartTls { .. } => "starttls",
            SinkTls::Implicit(_) => "implicit",
        };
        f.debug_struct("SinkOptions")
            .field("tls", &tls)
            .field("auth", &self.auth.as_ref().map(|(user, _)| user))
            .finish()
    }
}

/// A running SMTP sink. It stops when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    addr: SocketAddr,
    implicit_tls: bool,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    count: watch::Receiver<usize>,
    acceptor: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a plain-text sink on 127.0.0.1 with a free port, serving connections in the
    /// background on the current tokio runtime.
    pub async fn start() -> std::io::Result<SmtpSink> {
        SmtpSink::start_with(SinkOptions::default()).await
    }

    /// Starts a sink that offers what `options` says.
    pub async fn start_with(options: SinkOptions) -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let (count_tx, count) = watch::channel(0);
        let store = Store {
            received: Arc::clone(&received),
            count: Arc::new(count_tx),
        };
        let implicit_tls = matches!(options.tls, SinkTls::Implicit(_));
        let options = Arc::new(options);
        let acceptor = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                let options = Arc::clone(&options);
                // A broken connection only loses that client's unfinished message, which is
                // what a real server would do too.
                tokio::spawn(async move {
                    let _ = serve_connection(stream, store, &options).await;
                });
            }
        });
        Ok(SmtpSink {
            addr,
            implicit_tls,
            received,
            count,
            acceptor,
        })
    }

    /// `smtp://127.0.0.1:PORT` (or `smtps://` for implicit TLS), for the server's `smtp_url`;
    /// add `?tls=required` or a user name as the test needs.
    pub fn url(&self) -> String {
        let scheme = if self.implicit_tls { "smtps" } else { "smtp" };
        format!("{scheme}://{}", self.addr)
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

/// Serves one connection: plain, upgraded by STARTTLS, or TLS from the start.
async fn serve_connection(
    stream: TcpStream,
    store: Store,
    options: &SinkOptions,
) -> std::io::Result<()> {
    match &options.tls {
        SinkTls::Implicit(config) => {
            let tls = tokio_rustls::TlsAcceptor::from(Arc::clone(config))
                .accept(stream)
                .await?;
            serve(tls, true, &store, options).await.map(drop)
        }
        SinkTls::StartTls { config, .. } => {
            if let Some(plain) = serve(stream, false, &store, options).await? {
                let tls = tokio_rustls::TlsAcceptor::from(Arc::clone(config))
                    .accept(plain)
                    .await?;
                serve(tls, true, &store, options).await?;
            }
            Ok(())
        }
        SinkTls::None => serve(stream, false, &store, options).await.map(drop),
    }
}

/// Serves one SMTP session on `stream`. Returns the stream when the client asked for
/// `STARTTLS` (to be upgraded and served again, as RFC 3207 §4.2 says: all state is reset).
async fn serve<S>(
    stream: S,
    tls: bool,
    store: &Store,
    options: &SinkOptions,
) -> std::io::Result<Option<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut conn = BufReader::new(stream);
    let mut line = String::new();
    // The transaction under way: the envelope sender and its recipients so far.
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut user: Option<String> = None;
    let starttls = matches!(options.tls, SinkTls::StartTls { .. }) && !tls;
    let tls_required = matches!(options.tls, SinkTls::StartTls { required: true, .. });
    // AUTH is only offered where the password cannot be read on the wire.
    let auth_offered = options.auth.is_some() && (tls || matches!(options.tls, SinkTls::None));

    if !tls || matches!(options.tls, SinkTls::Implicit(_)) {
        conn.write_all(format!("220 {NAME} ESMTP ready\r\n").as_bytes())
            .await?;
    }
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Ok(None); // The client hung up.
        }
        let command = line.trim_end_matches(['\r', '\n']).to_owned();
        let verb = command
            .split_once(' ')
            .map_or(command.as_str(), |(verb, _)| verb)
            .to_ascii_uppercase();
        let needs_tls = tls_required && !tls;
        let needs_auth = options.auth.is_some() && user.is_none();
        let reply: String = match verb.as_str() {
            // 8BITMIME and SMTPUTF8 so that clients send UTF-8 text as is.
            "EHLO" => {
                let mut reply = format!("250-{NAME}\r\n250-8BITMIME\r\n");
                if starttls {
                    reply.push_str("250-STARTTLS\r\n");
                }
                if auth_offered {
                    reply.push_str("250-AUTH PLAIN LOGIN\r\n");
                }
                reply.push_str("250 SMTPUTF8\r\n");
                reply
            }
            "HELO" => format!("250 {NAME}\r\n"),
            "STARTTLS" if starttls => {
                conn.write_all(b"220 Ready to start TLS\r\n").await?;
                conn.flush().await?;
                // The client waits for the reply before its handshake, so nothing is buffered.
                return Ok(Some(conn.into_inner()));
            }
            "AUTH" if !auth_offered => {
                "503 AUTH is not offered here (STARTTLS first?)\r\n".to_owned()
            }
            "AUTH" => match authenticate(&mut conn, &command, options).await? {
                Some(name) => {
                    user = Some(name);
                    "235 Authentication succeeded\r\n".to_owned()
                }
                None => "535 Authentication credentials invalid\r\n".to_owned(),
            },
            "MAIL" if needs_tls => "530 Must issue a STARTTLS command first\r\n".to_owned(),
            "MAIL" if needs_auth => "530 Authentication required\r\n".to_owned(),
            "MAIL" => match path_argument(&command, "MAIL FROM:") {
                Some(sender) => {
                    from = Some(sender);
                    to.clear();
                    "250 OK\r\n".to_owned()
                }
                None => "501 Syntax: MAIL FROM:<address>\r\n".to_owned(),
            },
            "RCPT" => match (&from, path_argument(&command, "RCPT TO:")) {
                (None, _) => "503 MAIL first\r\n".to_owned(),
                (Some(_), Some(recipient)) => {
                    to.push(recipient);
                    "250 OK\r\n".to_owned()
                }
                (Some(_), None) => "501 Syntax: RCPT TO:<address>\r\n".to_owned(),
            },
            "DATA" => match from.take() {
                Some(sender) if !to.is_empty() => {
                    conn.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let data = read_data(&mut conn).await?;
                    store.push(ReceivedMail {
                        from: sender,
                        to: std::mem::take(&mut to),
                        data,
                        tls,
                        user: user.clone(),
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
                conn.write_all(format!("221 {NAME} closing\r\n").as_bytes())
                    .await?;
                conn.flush().await?;
                return Ok(None);
            }
            _ => "502 Command not implemented\r\n".to_owned(),
        };
        conn.write_all(reply.as_bytes()).await?;
        conn.flush().await?;
    }
}

/// Runs `AUTH PLAIN [initial]` or `AUTH LOGIN`; the user name when the credentials match.
async fn authenticate<S>(
    conn: &mut BufReader<S>,
    command: &str,
    options: &SinkOptions,
) -> std::io::Result<Option<String>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Some((want_user, want_password)) = &options.auth else {
        return Ok(None);
    };
    let mut words = command.split_whitespace().skip(1);
    let mechanism = words.next().unwrap_or_default().to_ascii_uppercase();
    let initial = words.next().map(str::to_owned);
    let (user, password) = match mechanism.as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(response) => response,
                None => challenge(conn, "").await?,
            };
            let decoded = BASE64.decode(response.trim()).unwrap_or_default();
            // authzid NUL authcid NUL password (RFC 4616).
            let mut parts = decoded.split(|&byte| byte == 0).skip(1);
            let user = parts.next().unwrap_or_default().to_vec();
            let password = parts.next().unwrap_or_default().to_vec();
            (user, password)
        }
        "LOGIN" => {
            let user = challenge(conn, "VXNlcm5hbWU6").await?;
            let password = challenge(conn, "UGFzc3dvcmQ6").await?;
            (
                BASE64.decode(user.trim()).unwrap_or_default(),
                BASE64.decode(password.trim()).unwrap_or_default(),
            )
        }
        _ => return Ok(None),
    };
    if user == want_user.as_bytes() && password == want_password.as_bytes() {
        Ok(Some(want_user.clone()))
    } else {
        Ok(None)
    }
}

/// Sends `334 <prompt>` and reads the client's one-line answer.
async fn challenge<S>(conn: &mut BufReader<S>, prompt: &str) -> std::io::Result<String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    conn.write_all(format!("334 {prompt}\r\n").as_bytes())
        .await?;
    conn.flush().await?;
    let mut answer = String::new();
    conn.read_line(&mut answer).await?;
    Ok(answer.trim_end_matches(['\r', '\n']).to_owned())
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
            tls: false,
            user: None,
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
                tls: false,
                user: None,
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
