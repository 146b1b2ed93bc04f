//! What one client may cost the server: request rates (per client address, per member's
//! writes, and unrecognised tokens per address), and connections open at once (in all and per
//! address). Limits live in this process: with several `serve` instances, each applies them to
//! the traffic it receives.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::configuration::Limits;
use crate::domain::MemberId;

/// A request refused for going too fast: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds, rounded up, for a `Retry-After` header.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0)
    }
}

/// The request-rate limiters, shared by every request of this process.
pub struct RateLimits {
    requests: DefaultKeyedRateLimiter<IpAddr>,
    failed_sign_ins: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that used up their unrecognised tokens, and until when they wait.
    blocked: Mutex<HashMap<IpAddr, std::time::Instant>>,
    writes: DefaultKeyedRateLimiter<MemberId>,
    clock: DefaultClock,
}

/// `per_minute` with bursts of `per_minute / burst_divisor` (at least one).
fn quota(per_minute: u32, burst_divisor: u32) -> Quota {
    let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new((per_minute / burst_divisor).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(rate).allow_burst(burst)
}

impl RateLimits {
    pub fn new(limits: &Limits) -> Self {
        Self {
            requests: DefaultKeyedRateLimiter::keyed(quota(limits.requests_per_minute, 6)),
            failed_sign_ins: DefaultKeyedRateLimiter::keyed(quota(
                limits.failed_sign_ins_per_minute,
                2,
            )),
            blocked: Mutex::default(),
            writes: DefaultKeyedRateLimiter::keyed(quota(limits.writes_per_minute, 2)),
            clock: DefaultClock::default(),
        }
    }

    fn wait(&self, not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> Limited {
        Limited {
            retry_after: not_until.wait_time_from(self.clock.now()),
        }
    }

    /// Counts a request from `client`.
    pub fn request(&self, client: IpAddr) -> Result<(), Limited> {
        self.requests.check_key(&client).map_err(|n| self.wait(n))
    }

    /// Whether `client` has sent too many unrecognised tokens lately. Checked before a token
    /// is looked up, so once the budget is spent guessing costs the database nothing.
    pub fn sign_ins_allowed(&self, client: IpAddr) -> Result<(), Limited> {
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        match blocked.get(&client) {
            Some(until) if *until > now => Err(Limited {
                retry_after: *until - now,
            }),
            Some(_) => {
                blocked.remove(&client);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts an unrecognised token from `client`; when its budget is spent, the address
    /// waits until the next token's worth has come back.
    pub fn failed_sign_in(&self, client: IpAddr) {
        if let Err(not_until) = self.failed_sign_ins.check_key(&client) {
            let wait = self.wait(not_until).retry_after;
            let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
            blocked.insert(client, std::time::Instant::now() + wait);
        }
    }

    /// Counts a mutation by `member`.
    pub fn write(&self, member: MemberId) -> Result<(), Limited> {
        self.writes.check_key(&member).map_err(|n| self.wait(n))
    }

    /// Forgets keys whose budget is full again (called now and then, so memory does not grow
    /// with every address ever seen).
    pub fn tidy(&self) {
        let now = std::time::Instant::now();
        self.blocked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, until| *until > now);
        self.requests.retain_recent();
        self.failed_sign_ins.retain_recent();
        self.writes.retain_recent();
    }
}

/// GraphQL requests worked on at once; the others wait their turn in the order they came
/// (tokio's semaphore is fair). Under load a short queue served in order answers each request
/// in about the same time, where letting every request compete at once for the processors and
/// the database connections answers some fast and the rest late (BENCHMARKS.md, "Turns").
pub struct Turns {
    permits: Option<tokio::sync::Semaphore>,
    /// How long a request may wait for its turn before it is answered `BUSY`.
    wait: Duration,
}

/// No turn came within the wait: the server has more work than it can do just now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl Turns {
    pub fn new(limits: &Limits) -> Self {
        Self {
            permits: (limits.requests_at_once > 0)
                .then(|| tokio::sync::Semaphore::new(limits.requests_at_once)),
            wait: Duration::from_millis(limits.database_timeout_ms.max(1)) * 5,
        }
    }

    /// Waits for a turn; the turn ends when the returned permit is dropped.
    pub async fn take(&self) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, Busy> {
        let Some(permits) = &self.permits else {
            return Ok(None);
        };
        match tokio::time::timeout(self.wait, permits.acquire()).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            // Timed out, or closed (never: nothing closes it).
            _ => Err(Busy),
        }
    }
}

/// Connections open now, in all and per client address.
#[derive(Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// An acceptor that turns away connections beyond `max` in all or `per_client` from one
/// address (closing them at once), so one client's idle sockets cannot starve everyone else,
/// `/healthz` included.
pub struct LimitedAcceptor<A> {
    inner: A,
    open: Arc<Mutex<Open>>,
    max: usize,
    per_client: usize,
}

impl<A> LimitedAcceptor<A> {
    pub fn new(inner: A, limits: &Limits) -> Self {
        Self {
            inner,
            open: Arc::default(),
            max: limits.max_connections.max(1),
            per_client: limits.max_connections_per_client.max(1),
        }
    }
}

fn client_of(remote: &RemoteAddr) -> Option<IpAddr> {
    remote.as_socket_addr().map(|a| a.ip())
}

impl<A: Acceptor> Acceptor for LimitedAcceptor<A> {
    type Io = Counted<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> std::io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        loop {
            let (io, local, remote, scheme) = self.inner.accept().await?;
            let client = client_of(&remote);
            let admitted = {
                let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
                let from_client = client.map_or(0, |c| *open.by_client.get(&c).unwrap_or(&0));
                if open.total >= self.max || from_client >= self.per_client {
                    false
                } else {
                    open.total += 1;
                    if let Some(c) = client {
                        *open.by_client.entry(c).or_default() += 1;
                    }
                    true
                }
            };
            if !admitted {
                tracing::warn!(client = ?client, "too many connections: one turned away");
                drop(io);
                continue;
            }
            let guard = Slot {
                open: self.open.clone(),
                client,
            };
            return Ok((Counted { io, _slot: guard }, local, remote, scheme));
        }
    }
}

/// Gives a connection's place back when it closes.
struct Slot {
    open: Arc<Mutex<Open>>,
    client: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(client) = self.client
            && let Some(n) = open.by_client.get_mut(&client)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.by_client.remove(&client);
            }
        }
    }
}

/// A connection counted against the limits while it is open.
pub struct Counted<Io> {
    io: Io,
    _slot: Slot,
}

impl<Io: AsyncRead + Unpin> AsyncRead for Counted<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Counted<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_client_waits() {
        let limits = Limits {
            requests_per_minute: 60,
            ..Limits::default()
        };
        let rate = RateLimits::new(&limits);
        let client: IpAddr = "192.0.2.7".parse().unwrap();
        // Bursts of a sixth of the minute's allowance.
        for _ in 0..10 {
            assert!(rate.request(client).is_ok());
        }
        let limited = rate.request(client).unwrap_err();
        assert!(limited.retry_after <= Duration::from_secs(1), "{limited:?}");
        assert!(limited.retry_after_secs() >= 1);
        // Another client is not affected.
        assert!(rate.request("192.0.2.8".parse().unwrap()).is_ok());
    }

    #[test]
    fn unrecognised_tokens_make_an_address_wait() {
        let limits = Limits {
            failed_sign_ins_per_minute: 4,
            ..Limits::default()
        };
        let rate = RateLimits::new(&limits);
        let client: IpAddr = "192.0.2.9".parse().unwrap();
        assert!(rate.sign_ins_allowed(client).is_ok());
        // Bursts of half the minute's allowance, then the next one is over.
        for _ in 0..3 {
            rate.failed_sign_in(client);
        }
        let limited = rate.sign_ins_allowed(client).unwrap_err();
        assert!(
            limited.retry_after <= Duration::from_secs(15),
            "{limited:?}"
        );
        assert!(rate.sign_ins_allowed("192.0.2.10".parse().unwrap()).is_ok());
    }
}
