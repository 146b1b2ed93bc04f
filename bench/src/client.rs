//! The load-driving client: keep-alive HTTP/1.1 connections over tokio `TcpStream`s (no HTTP
//! client crate), and `drive`, which runs concurrent clients over them for a while.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A POST of `body` to `/graphql`, with the caller's token when there is one, as it goes on the
/// wire.
pub fn http_request(addr: SocketAddr, token: Option<&str>, body: &str) -> Vec<u8> {
    let authorization = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json\r\n{authorization}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One HTTP response, as far as the bench cares.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    /// 200, no GraphQL errors, and the shape a good answer has.
    pub fn is_good(&self, expect: &[u8]) -> bool {
        self.status == 200 && !contains(&self.body, b"\"errors\"") && contains(&self.body, expect)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Parses one response from the front of `buf`: `Ok(None)` while it is incomplete, else the
/// reply and how many bytes it took. Understands `Content-Length` and chunked bodies.
fn parse_response(buf: &[u8]) -> anyhow::Result<Option<(Reply, usize)>> {
    let Some(head_end) = find(buf, b"\r\n\r\n", 0) else {
        if buf.len() > 64 * 1024 {
            bail!("no end to the response's headers");
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    let (Some(version), Some(status)) = (parts.next(), parts.next()) else {
        bail!("not an HTTP status line: {status_line:?}");
    };
    if !version.starts_with("HTTP/1.") {
        bail!("not an HTTP/1 response: {status_line:?}");
    }
    let status: u16 = status.parse().context("bad status code")?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            bail!("bad header line {line:?}");
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().context("bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let start = head_end + 4;
    if chunked {
        let mut body = Vec::new();
        let mut at = start;
        loop {
            let Some(line_end) = find(buf, b"\r\n", at) else {
                return Ok(None);
            };
            let size_text = std::str::from_utf8(&buf[at..line_end]).context("bad chunk size")?;
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16).context("bad chunk size")?;
            let data = line_end + 2;
            if size == 0 {
                // No trailers are expected: the body ends with an empty line.
                let Some(end) = find(buf, b"\r\n", data) else {
                    return Ok(None);
                };
                if end != data {
                    bail!("trailers after a chunked body are not supported");
                }
                return Ok(Some((Reply { status, body }, end + 2)));
            }
            if buf.len() < data + size + 2 {
                return Ok(None);
            }
            if &buf[data + size..data + size + 2] != b"\r\n" {
                bail!("a chunk does not end with CRLF");
            }
            body.extend_from_slice(&buf[data..data + size]);
            at = data + size + 2;
        }
    }
    let length = match length {
        Some(length) => length,
        None if status == 204 || status == 304 || (100..200).contains(&status) => 0,
        None => bail!("a response without Content-Length or chunking"),
    };
    if buf.len() < start + length {
        return Ok(None);
    }
    let body = buf[start..start + length].to_vec();
    Ok(Some((Reply { status, body }, start + length)))
}

pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    pub async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Reply> {
        self.stream.write_all(request).await?;
        loop {
            if let Some((reply, used)) = parse_response(&self.buf)? {
                self.buf.drain(..used);
                return Ok(reply);
            }
            self.buf.reserve(32 * 1024);
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                bail!("the server closed the connection");
            }
        }
    }
}

/// What a measured run saw.
pub struct Run {
    /// Every request's latency in microseconds, sorted.
    pub latencies: Vec<u32>,
    pub errors: u64,
    pub elapsed: Duration,
}

/// `clients` tasks, each sending `requests` in turn (starting at a different one) over one
/// keep-alive connection until `duration` is up.
pub async fn drive(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    expect: &'static [u8],
    clients: usize,
    duration: Duration,
) -> Run {
    let began = Instant::now();
    let deadline = began + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            let requests = requests.clone();
            tokio::spawn(client(addr, requests, expect, n * 7919, deadline))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((mut l, e)) => {
                latencies.append(&mut l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = began.elapsed();
    latencies.sort_unstable();
    Run {
        latencies,
        errors,
        elapsed,
    }
}

async fn client(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    expect: &'static [u8],
    first: usize,
    deadline: Instant,
) -> (Vec<u32>, u64) {
    let mut latencies = Vec::with_capacity(16 * 1024);
    let mut errors = 0;
    let mut connection: Option<Connection> = None;
    let mut next = first;
    while Instant::now() < deadline {
        let request = &requests[next % requests.len()];
        next += 1;
        let began = Instant::now();
        let outcome = tokio::time::timeout(Duration::from_secs(30), async {
            if connection.is_none() {
                connection = Some(Connection::open(addr).await?);
            }
            match connection.as_mut() {
                Some(c) => c.exchange(request).await,
                None => bail!("no connection"),
            }
        })
        .await;
        let good = match outcome {
            Ok(Ok(reply)) => reply.is_good(expect),
            _ => {
                connection = None;
                false
            }
        };
        latencies.push(u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX));
        if !good {
            errors += 1;
        }
    }
    (latencies, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queries::QueryName;

    #[test]
    fn a_response_with_content_length_is_parsed_once_complete() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"data\":{}}HTTP/1.1";
        let (reply, used) = parse_response(raw).unwrap().unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, b"{\"data\":{}}");
        assert_eq!(&raw[used..], b"HTTP/1.1");
        assert!(parse_response(&raw[..raw.len() - 10]).unwrap().is_none());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\ncontent-le")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_chunked_response_is_joined() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n";
        let (reply, used) = parse_response(raw).unwrap().unwrap();
        assert_eq!(reply.body, b"Wikipedia");
        assert_eq!(used, raw.len());
        for cut in [raw.len() - 1, raw.len() - 3, raw.len() - 10] {
            assert!(parse_response(&raw[..cut]).unwrap().is_none(), "cut {cut}");
        }
    }

    #[test]
    fn bad_responses_are_errors() {
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 OK\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\nbody").is_err());
        let (reply, _) = parse_response(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(reply.status, 204);
    }

    #[test]
    fn good_answers_have_no_errors_and_the_expected_shape() {
        let reply = |status, body: &str| Reply {
            status,
            body: body.as_bytes().to_vec(),
        };
        let item = QueryName::Item.expect();
        assert!(reply(200, r#"{"data":{"item":{"reference":"SI-2026-000001"}}}"#).is_good(item));
        assert!(!reply(200, r#"{"data":{"item":null}}"#).is_good(item));
        assert!(
            !reply(
                200,
                r#"{"data":{"item":{"reference":"x"}},"errors":[{"message":"no"}]}"#
            )
            .is_good(item)
        );
        assert!(!reply(500, r#"{"data":{"item":{"reference":"x"}}}"#).is_good(item));
        let list = QueryName::Dashboard.expect();
        assert!(reply(200, r#"{"data":{"items":{"edges":[{"node":{}}]}}}"#).is_good(list));
        assert!(!reply(200, r#"{"data":{"items":{"edges":[]}}}"#).is_good(list));
    }

    #[test]
    fn requests_carry_the_token_and_an_exact_length() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 8080));
        let body = QueryName::Item.body("ref", "SI-2026-000001");
        let request = String::from_utf8(http_request(addr, Some("pyr_x"), &body)).unwrap();
        assert!(request.starts_with("POST /graphql HTTP/1.1\r\n"));
        assert!(request.contains("\r\nAuthorization: Bearer pyr_x\r\n"));
        let (head, sent) = request.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", sent.len())));
        let json: serde_json::Value = serde_json::from_str(sent).unwrap();
        assert_eq!(json["variables"]["ref"], "SI-2026-000001");
    }
}
