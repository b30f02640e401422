//! What this driver brings to the shared loop: async-io's sockets and
//! timers (its TCP stream with a readiness cache, [`Tcp`]),
//! futures-rustls, async-tungstenite (the socket after the upgrade). Nothing here names an
//! executor, so the task runs under async-std and smol alike (both drive
//! async-io's reactor).

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::{Async, Timer};
use async_tungstenite::WebSocketStream;
use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use voice_ws_pump::rustls::ClientConfig;
use voice_ws_pump::rustls::pki_types::ServerName;
use voice_ws_pump::tungstenite::protocol::{Role, WebSocketConfig};
use voice_ws_pump::{BoxFuture, Runtime};

use crate::tcp::Tcp;

/// A byte stream: plain TCP or TLS over it (futures-io's I/O traits;
/// boxed, see [`Runtime::Stream`]).
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The runtime this driver's [`Task`](crate::Task) runs on: async-io's
/// reactor and timers, which async-std and smol both drive.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AsyncIo;

impl Runtime for AsyncIo {
    type Tcp = Tcp;
    type Stream = Box<dyn Io>;
    type Socket = WebSocketStream<Box<dyn Io>>;
    type Timer = Timer;

    fn now() -> Instant {
        Instant::now()
    }

    fn timer() -> Timer {
        Timer::never()
    }

    fn reset_timer(timer: Pin<&mut Timer>, deadline: Instant) {
        timer.get_mut().set_at(deadline);
    }

    fn poll_timer(timer: Pin<&mut Timer>, cx: &mut Context<'_>) -> Poll<()> {
        std::future::Future::poll(timer, cx).map(drop)
    }

    fn sleep(duration: Duration) -> BoxFuture<()> {
        Box::pin(async move {
            Timer::after(duration).await;
        })
    }

    fn default_tls() -> Arc<ClientConfig> {
        voice_ws_pump::tls::ring_webpki()
    }

    async fn connect_tcp(host: &str, port: u16) -> io::Result<Tcp> {
        let tcp = dial(host, port).await?;
        tcp.get_ref().set_nodelay(true)?;
        Ok(Tcp::new(tcp))
    }

    fn plain(tcp: Tcp) -> Box<dyn Io> {
        Box::new(tcp)
    }

    async fn connect_tls(
        tcp: Tcp,
        name: ServerName<'static>,
        config: Arc<ClientConfig>,
    ) -> io::Result<Box<dyn Io>> {
        Ok(Box::new(
            TlsConnector::from(config).connect(name, tcp).await?,
        ))
    }

    async fn read(stream: &mut Box<dyn Io>, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| Pin::new(&mut **stream).poll_read(cx, buf)).await
    }

    async fn write_all(stream: &mut Box<dyn Io>, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n =
                std::future::poll_fn(|cx| Pin::new(&mut **stream).poll_write(cx, bytes)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            bytes = &bytes[n..];
        }
        std::future::poll_fn(|cx| Pin::new(&mut **stream).poll_flush(cx)).await
    }

    async fn websocket(
        stream: Box<dyn Io>,
        tail: Vec<u8>,
        config: WebSocketConfig,
    ) -> Self::Socket {
        WebSocketStream::from_partially_read(stream, tail, Role::Client, Some(config)).await
    }
}

/// Connects to the first address of `host` that answers. IP literals (the
/// sim, tests) need no lookup; names are resolved on smol's blocking pool.
async fn dial(host: &str, port: u16) -> io::Result<Async<TcpStream>> {
    let addrs = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => async_net::resolve((host, port)).await?,
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
    for addr in addrs {
        match Async::<TcpStream>::connect(addr).await {
            Ok(tcp) => return Ok(tcp),
            Err(error) => last = error,
        }
    }
    Err(last)
}
