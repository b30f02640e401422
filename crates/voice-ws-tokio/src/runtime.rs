//! What this driver brings to the shared loop: tokio's sockets and timers
//! (paused time included), tokio-rustls, tokio-tungstenite.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use voice_ws_pump::{BoxFuture, Runtime, Target};

/// A byte stream: plain TCP or TLS over it.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The stream a connection runs on. Boxed rather than an enum of plain and
/// TLS: a rustls connection is over a kilobyte, and an enum would make
/// every plain socket (and the task holding it) that large too.
type WsStream = WebSocketStream<Box<dyn Io>>;

/// tokio, for the shared loop. Time is `tokio::time`'s, so that tests may
/// pause it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tokio;

impl Runtime for Tokio {
    type Socket = WsStream;
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

    fn connect(target: Target) -> BoxFuture<Result<WsStream, WsError>> {
        Box::pin(connect(target))
    }
}

/// About thirty years ahead: tokio's own "never".
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

async fn connect(target: Target) -> Result<WsStream, WsError> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
    // Heartbeats are tiny and their round-trip time is measured.
    tcp.set_nodelay(true)?;
    let stream: Box<dyn Io> = match target.tls {
        Some((name, config)) => Box::new(TlsConnector::from(config).connect(name, tcp).await?),
        None => Box::new(tcp),
    };
    let config = Some(target.ws_config);
    let (ws, _response) =
        tokio_tungstenite::client_async_with_config(target.request, stream, config).await?;
    Ok(ws)
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
