//! What this driver brings to the shared loop: tokio's sockets and timers
//! (paused time included), tokio-rustls, tokio-tungstenite (the socket after the upgrade).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::WebSocketStream;
use voice_ws_pump::rustls::ClientConfig;
use voice_ws_pump::rustls::pki_types::ServerName;
use voice_ws_pump::tungstenite::protocol::{Role, WebSocketConfig};
use voice_ws_pump::{BoxFuture, Runtime};

/// A byte stream: plain TCP or TLS over it (tokio's I/O traits; boxed, see
/// [`Runtime::Stream`]).
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// tokio, for the shared loop. Time is `tokio::time`'s, so that tests may
/// pause it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tokio;

impl Runtime for Tokio {
    type Tcp = TcpStream;
    type Stream = Box<dyn Io>;
    type Socket = WebSocketStream<Box<dyn Io>>;
    type Timer = Sleep;

    fn now() -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn timer() -> Sleep {
        tokio::time::sleep_until(far_future())
    }

    fn reset_timer(timer: Pin<&mut Sleep>, deadline: Instant) {
        timer.reset(tokio::time::Instant::from_std(deadline));
    }

    fn poll_timer(timer: Pin<&mut Sleep>, cx: &mut Context<'_>) -> Poll<()> {
        std::future::Future::poll(timer, cx)
    }

    fn sleep(duration: Duration) -> BoxFuture<()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn default_tls() -> Arc<ClientConfig> {
        voice_ws_pump::tls::ring_webpki()
    }

    async fn connect_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
        let tcp = TcpStream::connect((host, port)).await?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    fn plain(tcp: TcpStream) -> Box<dyn Io> {
        Box::new(tcp)
    }

    async fn connect_tls(
        tcp: TcpStream,
        name: ServerName<'static>,
        config: Arc<ClientConfig>,
    ) -> io::Result<Box<dyn Io>> {
        Ok(Box::new(
            TlsConnector::from(config).connect(name, tcp).await?,
        ))
    }

    async fn read(stream: &mut Box<dyn Io>, buf: &mut [u8]) -> io::Result<usize> {
        stream.read(buf).await
    }

    async fn write_all(stream: &mut Box<dyn Io>, bytes: &[u8]) -> io::Result<()> {
        stream.write_all(bytes).await?;
        stream.flush().await
    }

    async fn websocket(
        stream: Box<dyn Io>,
        tail: Vec<u8>,
        config: WebSocketConfig,
    ) -> Self::Socket {
        WebSocketStream::from_partially_read(stream, tail, Role::Client, Some(config)).await
    }
}

/// About thirty years ahead: tokio's own "never".
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_clock_and_timer_follow_paused_time() {
        let start = Tokio::now();
        tokio::time::advance(Duration::from_millis(13_750)).await;
        assert_eq!(Tokio::now() - start, Duration::from_millis(13_750));

        let mut timer = std::pin::pin!(Tokio::timer());
        let deadline = start + Duration::from_millis(20_000);
        Tokio::reset_timer(timer.as_mut(), deadline);
        std::future::poll_fn(|cx| Tokio::poll_timer(timer.as_mut(), cx)).await;
        assert_eq!(Tokio::now(), deadline);
    }
}
