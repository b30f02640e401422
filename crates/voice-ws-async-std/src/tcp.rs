//! async-io's TCP stream with a readiness cache, as tokio keeps one.
//!
//! `Async<TcpStream>` asks the kernel first and waits second: every read
//! that finds nothing is a `recvfrom` failing with `EAGAIN`, and after a
//! read that emptied the socket the next one fails twice (the first wait
//! reports the event that read already consumed) before it re-arms the
//! socket. A voice connection reads one small message at a time, so that
//! was two failed system calls for every heartbeat ACK. This stream notes
//! when a read came back short, which on TCP means the receive queue was
//! empty, and then waits for readiness without asking the kernel.

use std::io::{self, Read};
use std::net::TcpStream;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use async_io::Async;
use futures_io::{AsyncRead, AsyncWrite};

/// A connected TCP stream that skips reads it knows would find nothing.
#[derive(Debug)]
pub(crate) struct Tcp {
    io: Async<TcpStream>,
    /// The last read emptied the receive queue (or found it empty): wait
    /// for the reactor before reading again.
    drained: bool,
}

impl Tcp {
    /// Wraps a connected stream.
    pub(crate) fn new(io: Async<TcpStream>) -> Self {
        Self { io, drained: false }
    }
}

impl AsyncRead for Tcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            if this.drained {
                // Registers for the next event when there is none yet; the
                // kernel reports at once data that came in meanwhile.
                ready!(this.io.poll_readable(cx))?;
                this.drained = false;
            }
            match (&mut this.io.get_ref()).read(buf) {
                Ok(n) => {
                    this.drained = n > 0 && n < buf.len();
                    return Poll::Ready(Ok(n));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => this.drained = true,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for Tcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Duration;

    use smol::future::{self, FutureExt};
    use smol::io::AsyncReadExt;

    /// Reads once, giving up after 2 s (a read that waits for an event
    /// that never comes would hang).
    async fn read(tcp: &mut Tcp, len: usize) -> Vec<u8> {
        let mut buf = vec![0; len];
        let n = tcp
            .read(&mut buf)
            .or(async {
                async_io::Timer::after(Duration::from_secs(2)).await;
                panic!("the read never completed");
            })
            .await
            .expect("the read succeeds");
        buf.truncate(n);
        buf
    }

    #[test]
    fn reads_see_every_byte_whether_the_last_read_drained_the_socket_or_not() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        smol::block_on(async {
            let mut tcp = Tcp::new(Async::<TcpStream>::connect(addr).await.expect("connect"));
            let (mut peer, _) = listener.accept().expect("accept");

            // A short read empties the socket...
            peer.write_all(b"abc").expect("write");
            assert_eq!(read(&mut tcp, 16).await, b"abc");
            // ...so the next read waits, and wakes for what comes next.
            let mut buf = [0; 16];
            assert!(future::poll_once(tcp.read(&mut buf)).await.is_none());
            peer.write_all(b"defgh").expect("write");
            assert_eq!(read(&mut tcp, 16).await, b"defgh");

            // A read that fills its buffer leaves the rest to the next ones,
            // which find it without a new event.
            peer.write_all(b"0123456789abcdefghij").expect("write");
            assert_eq!(read(&mut tcp, 8).await, b"01234567");
            assert_eq!(read(&mut tcp, 8).await, b"89abcdef");
            assert_eq!(read(&mut tcp, 8).await, b"ghij");

            drop(peer);
            assert_eq!(read(&mut tcp, 8).await, b"", "EOF");
        });
    }
}
