//! The load-driving client: one keep-alive HTTP/1.1 connection per client (hyper's low-level
//! `client::conn::http1`), and `drive`, which runs concurrent clients over them for a while.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A POST of a GraphQL body to `/graphql`, with the caller's token when there is one, made
/// once and sent again and again.
pub struct GraphqlPost {
    host: HeaderValue,
    authorization: Option<HeaderValue>,
    body: Bytes,
}

impl GraphqlPost {
    pub fn new(addr: SocketAddr, token: Option<&str>, body: String) -> anyhow::Result<Self> {
        let host = HeaderValue::try_from(addr.to_string()).context("a bad Host header")?;
        let authorization = token
            .map(|t| HeaderValue::try_from(format!("Bearer {t}")))
            .transpose()
            .context("a token that cannot be a header")?;
        Ok(Self {
            host,
            authorization,
            body: Bytes::from(body),
        })
    }

    /// The request to send; hyper adds `Content-Length` from the body.
    fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = Uri::from_static("/graphql");
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(authorization) = &self.authorization {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        request
    }
}

/// One HTTP response, as far as the bench cares.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
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

/// A keep-alive HTTP/1.1 connection: one request at a time, each after the last answer.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        // The connection's reads and writes; it ends when `sender` is dropped or on an error,
        // which `exchange` then reports.
        tokio::spawn(connection);
        Ok(Self { sender })
    }

    pub async fn exchange(&mut self, request: &GraphqlPost) -> anyhow::Result<Reply> {
        self.sender
            .ready()
            .await
            .context("the connection is closed")?;
        let response = self.sender.send_request(request.request()).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply { status, body })
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
    requests: Arc<Vec<GraphqlPost>>,
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
    requests: Arc<Vec<GraphqlPost>>,
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::queries::QueryName;

    /// Reads one request (head and `content-length` body) from the front of `buf`, reading
    /// more from `stream` as needed; returns it as text.
    async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> String {
        loop {
            let text = String::from_utf8_lossy(buf).into_owned();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= head_end + 4 + length {
                    return String::from_utf8(buf.drain(..head_end + 4 + length).collect())
                        .unwrap();
                }
            }
            assert_ne!(stream.read_buf(buf).await.unwrap(), 0, "the client hung up");
        }
    }

    #[tokio::test]
    async fn one_connection_carries_every_request_and_either_framing() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            // One connection only: a client that opened a second would wait and time out.
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let first = read_request(&mut stream, &mut buf).await;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"data\":{}}")
                .await
                .unwrap();
            let second = read_request(&mut stream, &mut buf).await;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n")
                .await
                .unwrap();
            (first, second)
        });

        let body = QueryName::Item.body("ref", "SI-2026-000001");
        let request = GraphqlPost::new(addr, Some("pyr_x"), body.clone()).unwrap();
        let (one, two) = tokio::time::timeout(Duration::from_secs(5), async {
            let mut connection = Connection::open(addr).await.unwrap();
            let one = connection.exchange(&request).await.unwrap();
            (one, connection.exchange(&request).await.unwrap())
        })
        .await
        .expect("both answers come back on the one connection");
        assert_eq!((one.status, &one.body[..]), (200, &b"{\"data\":{}}"[..]));
        assert_eq!(&two.body[..], b"Wikipedia");

        let (first, second) = tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first, second);
        let (head, sent) = first.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        assert_eq!(lines.next(), Some("POST /graphql HTTP/1.1"));
        // Header names in any case, values exactly.
        let headers: Vec<(String, &str)> = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .collect();
        let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        assert_eq!(header("authorization"), Some("Bearer pyr_x"));
        assert_eq!(header("host"), Some(addr.to_string().as_str()));
        assert_eq!(
            header("content-length"),
            Some(body.len().to_string().as_str())
        );
        assert_eq!(sent, body);
    }

    #[tokio::test]
    async fn a_closed_connection_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream, &mut Vec::new()).await;
            stream.write_all(b"SSH-2.0-OpenSSH\r\n\r\n").await.unwrap();
        });
        let request = GraphqlPost::new(addr, None, QueryName::Floor.bare_body()).unwrap();
        let mut connection = Connection::open(addr).await.unwrap();
        assert!(connection.exchange(&request).await.is_err());
        assert!(connection.exchange(&request).await.is_err());
    }

    #[test]
    fn good_answers_have_no_errors_and_the_expected_shape() {
        let reply = |status, body: &'static str| Reply {
            status,
            body: Bytes::from_static(body.as_bytes()),
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
}
