//! A small SMTP server inside the test, on 127.0.0.1: it speaks enough of RFC 5321 for
//! lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no sign-in), keeps every
//! message it accepts, and refuses on request (a 451 "try later" once, a 550 for an address),
//! so tests see exactly what a real server would have received.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, dot-unstuffed, with CRLF line ends.
    pub data: String,
}

/// A refusal to make: `code` with `text`, at RCPT for `address` (when set) or else at the end
/// of DATA, `times` times.
#[derive(Debug, Clone)]
struct Refusal {
    address: Option<String>,
    code: u16,
    text: &'static str,
    times: usize,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    refusals: Vec<Refusal>,
    /// Every reply the server gave that was a refusal, for the test to look at.
    refused: Vec<String>,
}

#[derive(Clone)]
pub struct FakeSmtp {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl FakeSmtp {
    pub async fn start() -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, state).await;
                });
            }
        });
        FakeSmtp { port, state }
    }

    /// `smtp://127.0.0.1:PORT`, for PYRAMID_SMTP_URL.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Answers the next `times` messages with 451 at the end of DATA (not accepted).
    pub fn delay_next(&self, times: usize) {
        self.state.lock().unwrap().refusals.push(Refusal {
            address: None,
            code: 451,
            text: "4.3.0 Try again later",
            times,
        });
    }

    /// Refuses `address` for good (550 at RCPT).
    pub fn refuse(&self, address: &str) {
        self.state.lock().unwrap().refusals.push(Refusal {
            address: Some(address.to_lowercase()),
            code: 550,
            text: "5.1.1 Mailbox unavailable",
            times: usize::MAX,
        });
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.state.lock().unwrap().refused.clone()
    }

    /// The messages to one address.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    fn refusal(&self, address: Option<&str>) -> Option<String> {
        let mut state = self.state.lock().unwrap();
        let found = state.refusals.iter_mut().find(|r| {
            r.times > 0
                && match (&r.address, address) {
                    (Some(wanted), Some(address)) => wanted == &address.to_lowercase(),
                    (None, None) => true,
                    _ => false,
                }
        })?;
        found.times -= 1;
        let reply = format!("{} {}", found.code, found.text);
        state.refused.push(reply.clone());
        Some(reply)
    }
}

fn address_in(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].trim().to_owned()
}

async fn session(stream: tokio::net::TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let server = FakeSmtp { port: 0, state };
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 fake-smtp ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::<String>::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_uppercase();
        let reply = match verb.as_str() {
            "EHLO" => "250-fake-smtp greets you\r\n250-8BITMIME\r\n250 SMTPUTF8".to_owned(),
            "HELO" => "250 fake-smtp".to_owned(),
            "MAIL" => {
                from = address_in(&command);
                to.clear();
                "250 2.1.0 OK".to_owned()
            }
            "RCPT" => {
                let address = address_in(&command);
                match server.refusal(Some(&address)) {
                    Some(refusal) => refusal,
                    None => {
                        to.push(address);
                        "250 2.1.5 OK".to_owned()
                    }
                }
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    data.push_str(text.strip_prefix('.').unwrap_or(text));
                    data.push_str("\r\n");
                }
                match server.refusal(None) {
                    Some(refusal) => refusal,
                    None => {
                        server.state.lock().unwrap().received.push(Received {
                            from: from.clone(),
                            to: to.clone(),
                            data,
                        });
                        "250 2.0.0 OK: queued".to_owned()
                    }
                }
            }
            "RSET" => {
                from.clear();
                to.clear();
                "250 OK".to_owned()
            }
            "NOOP" => "250 OK".to_owned(),
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognised".to_owned(),
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// An e-mail read back: its headers and its parts, decoded.
pub struct Email {
    headers: Vec<(String, String)>,
    pub parts: Vec<(String, String)>,
}

impl Email {
    /// Reads an RFC 5322 message (as the server received it, or as an `.eml` file holds it).
    pub fn parse(raw: &str) -> Email {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let headers = unfold(head);
        let content_type = header_in(&headers, "Content-Type").unwrap_or_default();
        let parts = match boundary(&content_type) {
            Some(boundary) => body
                .split(&format!("--{boundary}"))
                .skip(1)
                .filter(|p| !p.starts_with("--"))
                .map(|part| {
                    let part = part.trim_start_matches('\n');
                    let (head, body) = part.split_once("\n\n").unwrap_or((part, ""));
                    let headers = unfold(head);
                    let kind = header_in(&headers, "Content-Type").unwrap_or_default();
                    let encoding =
                        header_in(&headers, "Content-Transfer-Encoding").unwrap_or_default();
                    let kind = kind.split(';').next().unwrap_or("").trim().to_owned();
                    (kind, decode(body, &encoding))
                })
                .collect(),
            None => vec![(
                content_type,
                decode(
                    body,
                    &header_in(&headers, "Content-Transfer-Encoding").unwrap_or_default(),
                ),
            )],
        };
        Email { headers, parts }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        header_in(&self.headers, name)
    }

    /// The decoded body of the part of this type (`text/plain`, `text/html`).
    pub fn part(&self, kind: &str) -> String {
        self.parts
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, body)| body.clone())
            .unwrap_or_else(|| panic!("no {kind} part in {:?}", self.parts))
    }

    /// The first link into Pyramid in the text part that starts with `prefix`, as a path.
    pub fn link(&self, base: &str, prefix: &str) -> String {
        let text = self.part("text/plain");
        let start = text
            .find(&format!("{base}{prefix}"))
            .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
        let link: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        link.strip_prefix(base).unwrap().to_owned()
    }
}

fn unfold(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

fn header_in(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn boundary(content_type: &str) -> Option<String> {
    let at = content_type.find("boundary=")? + "boundary=".len();
    let value = content_type[at..].split(';').next()?.trim();
    Some(value.trim_matches('"').to_owned())
}

fn decode(body: &str, encoding: &str) -> String {
    match encoding.to_lowercase().as_str() {
        "base64" => {
            use base64::Engine;
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 body"),
            )
            .expect("UTF-8 body")
        }
        "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                let hex = joined.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16));
                if let (b'=', Some(Ok(byte))) = (bytes[i], hex) {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8(out).expect("UTF-8 body")
        }
        _ => body.to_owned(),
    }
}
