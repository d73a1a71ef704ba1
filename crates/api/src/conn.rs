//! The accept loop, and what one client may hold open.
//!
//! A client that opens connections and sends nothing, or sends a request head or
//! body a byte at a time, or never reads its response, would otherwise hold a
//! connection for ever; enough of them starve everyone else. Every state in
//! which a connection waits on its client is therefore bounded:
//!
//! | waiting for                              | bound                                |
//! | ---------------------------------------- | ------------------------------------ |
//! | the first byte of a request (new or kept-alive connection) | [`HttpLimits::idle_timeout`] |
//! | the rest of a request head, from its first byte | [`HttpLimits::header_read_timeout`] |
//! | the request body                         | [`HttpLimits::body_read_timeout`] (in [`crate::limit`]) |
//! | the client to take more of a response    | [`HttpLimits::send_stall_timeout`]   |
//!
//! and no client address holds more than
//! [`HttpLimits::max_connections_per_client`] of the
//! [`HttpLimits::max_connections`] connections, so one address cannot lock
//! others out. A connection over its address's share is closed at once, unread:
//! answering it would mean reading a request, which is what the share bounds.
//!
//! hyper's head timer measures both of the first two rows. It starts whenever
//! hyper begins to wait for a request head (on a new connection, and after each
//! response on a kept-alive one). [`HeadTimer`] gives it the idle deadline until
//! the client's first byte arrives, then the header deadline from that byte.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

use crate::HttpLimits;

/// How long a shutdown waits for open requests (an event stream never ends by
/// itself) before it closes what is left.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` under `limits` until `shutdown` resolves.
///
/// Errors: none once listening; a failed `accept` (say, out of file
/// descriptors) is logged and retried, since it passes when connections close.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let clients = Clients::new(limits.max_connections_per_client);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Waiting for a permit before accepting leaves further clients in the
        // kernel's bounded backlog instead of in memory here.
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => permit.map_err(io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::task::yield_now().await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = clients.admit(addr) else {
            tracing::debug!(%addr, "closing a connection over its client's share");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = WithClient { router: router.clone(), client: ClientAddr(client_of(addr.ip())) };
        let connection = graceful.watch(connection(stream, service, limits));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop((permit, slot));
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::info!("closing connections still open after the shutdown grace period");
    }
    Ok(())
}

/// One HTTP/1.1 connection with its timers.
fn connection(
    stream: TcpStream,
    router: WithClient,
    limits: &HttpLimits,
) -> hyper::server::conn::http1::Connection<TokioIo<Io>, TowerToHyperService<WithClient>> {
    let reads = Arc::new(AtomicU64::new(0));
    let timer = HeadTimer {
        reads: reads.clone(),
        idle: limits.idle_timeout,
        header_read: limits.header_read_timeout,
    };
    let io = Io { inner: stream, reads, stall: None, send_stall: limits.send_stall_timeout };
    hyper::server::conn::http1::Builder::new()
        .timer(timer)
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(router))
}

/// The client a request came from (an IPv4 address, or an IPv6 /64), as a
/// request extension: what per-client limits key on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

/// The router, with each request tagged with its connection's [`ClientAddr`].
#[derive(Debug, Clone)]
struct WithClient {
    router: Router,
    client: ClientAddr,
}

impl tower::Service<axum::extract::Request<hyper::body::Incoming>> for WithClient {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = <Router as tower::Service<axum::extract::Request<hyper::body::Incoming>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tower::Service::<axum::extract::Request<hyper::body::Incoming>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut req: axum::extract::Request<hyper::body::Incoming>) -> Self::Future {
        req.extensions_mut().insert(self.client);
        self.router.call(req)
    }
}

/// Open connections per client address: an IPv4 address, or an IPv6 /64 (one
/// host usually holds a whole /64, so counting single IPv6 addresses would
/// bound nothing).
#[derive(Debug, Clone)]
struct Clients {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max: usize,
}

impl Clients {
    fn new(max: usize) -> Self {
        Self { open: Arc::new(Mutex::new(HashMap::new())), max }
    }

    /// A slot for one more connection from `addr`, or `None` at its share.
    fn admit(&self, addr: SocketAddr) -> Option<ClientSlot> {
        let client = client_of(addr.ip());
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(client).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(ClientSlot { clients: self.clone(), client })
    }
}

fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
        v4 => v4,
    }
}

/// Gives its connection back to the client's share when dropped.
#[derive(Debug)]
struct ClientSlot {
    clients: Clients,
    client: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.clients.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// hyper's head timer for one connection: [`HeadSleep`] instead of a plain
/// deadline. hyper's HTTP/1 server uses its timer for nothing else.
#[derive(Debug, Clone)]
struct HeadTimer {
    reads: Arc<AtomicU64>,
    idle: Duration,
    header_read: Duration,
}

impl HeadTimer {
    fn head_sleep(&self) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HeadSleep {
            reads: self.reads.clone(),
            reads_at_start: self.reads.load(Ordering::Relaxed),
            header_read: self.header_read,
            first_byte_seen: false,
            deadline: Box::pin(tokio::time::sleep(self.idle)),
        })
    }
}

impl hyper::rt::Timer for HeadTimer {
    fn sleep(&self, _: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.head_sleep()
    }

    fn sleep_until(&self, _: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.head_sleep()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, _: std::time::Instant) {
        *sleep = self.head_sleep();
    }
}

/// Fires `idle` after hyper starts waiting for a head if no byte arrives, or
/// `header_read` after the first byte that does. hyper polls it whenever a read
/// leaves the head incomplete, so the first byte is seen as it arrives.
struct HeadSleep {
    reads: Arc<AtomicU64>,
    reads_at_start: u64,
    header_read: Duration,
    first_byte_seen: bool,
    deadline: Pin<Box<Sleep>>,
}

impl Future for HeadSleep {
    type Output = ();

    // A connection's deadlines are the network edge's own business: nothing
    // the log records depends on them.
    #[allow(clippy::disallowed_methods)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if !this.first_byte_seen && this.reads.load(Ordering::Relaxed) != this.reads_at_start {
            this.first_byte_seen = true;
            this.deadline.as_mut().reset(Instant::now() + this.header_read);
        }
        this.deadline.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for HeadSleep {}

/// A TCP stream that counts reads (for [`HeadSleep`]) and fails a write that
/// makes no progress for `send_stall`: a client that stops reading its
/// response would otherwise hold the connection for ever.
struct Io {
    inner: TcpStream,
    reads: Arc<AtomicU64>,
    stall: Option<Pin<Box<Sleep>>>,
    send_stall: Duration,
}

impl Io {
    /// A write's outcome: progress resets the stall clock; a pending write
    /// becomes an error once it has been pending for `send_stall`.
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        if polled.is_ready() {
            self.stall = None;
            return polled;
        }
        let send_stall = self.send_stall;
        let stall = self.stall.get_or_insert_with(|| Box::pin(tokio::time::sleep(send_stall)));
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took none of the response for the send stall timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Io {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.reads.fetch_add(1, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after_write(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn a_client_holds_at_most_its_share() {
        let clients = Clients::new(2);
        let a = clients.admit(addr("10.0.0.1:1000"));
        let b = clients.admit(addr("10.0.0.1:1001"));
        assert!(a.is_some() && b.is_some());
        assert!(clients.admit(addr("10.0.0.1:1002")).is_none(), "third from one address");
        assert!(clients.admit(addr("10.0.0.2:1000")).is_some(), "another address is not affected");
        drop(a);
        assert!(clients.admit(addr("10.0.0.1:1003")).is_some(), "a closed connection frees its slot");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let clients = Clients::new(1);
        let _a = clients.admit(addr("[2001:db8:1:2::1]:1")).expect("first");
        assert!(clients.admit(addr("[2001:db8:1:2:ffff::9]:1")).is_none(), "same /64");
        assert!(clients.admit(addr("[2001:db8:1:3::1]:1")).is_some(), "another /64");
        let _v4 = clients.admit(addr("[::ffff:10.0.0.9]:1")).expect("mapped IPv4");
        assert!(clients.admit(addr("10.0.0.9:2")).is_none(), "a mapped IPv4 address is that address");
    }

    #[test]
    fn the_map_forgets_clients_with_nothing_open() {
        let clients = Clients::new(4);
        let slots: Vec<_> = (0..3).filter_map(|p| clients.admit(addr(&format!("10.0.0.1:{p}")))).collect();
        drop(slots);
        assert!(clients.open.lock().expect("unpoisoned").is_empty());
    }
}
