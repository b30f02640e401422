//! The executor a client runs its connections on, with the same number of
//! threads for every driver: tokio's multi-threaded runtime for the tokio
//! driver and the baseline, a smol executor for voice-ws-async-std.
//!
//! The harness's control thread (ramp, timing, readings) is the process's
//! main thread, outside both: it only sleeps and reads counters.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

/// A running executor; dropping it stops its threads.
pub(crate) enum Executor {
    Tokio(tokio::runtime::Runtime),
    Smol {
        executor: Arc<smol::Executor<'static>>,
        /// Closed on drop: every thread's `run` then returns.
        stop: Option<smol::channel::Sender<()>>,
        threads: Vec<JoinHandle<()>>,
    },
}

impl Executor {
    /// A multi-threaded tokio runtime with `workers` worker threads.
    pub(crate) fn tokio(workers: usize) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()?;
        Ok(Self::Tokio(runtime))
    }

    /// A smol executor run by `workers` threads, each of which also drives
    /// async-io's reactor while it waits (`smol::block_on`), as tokio's
    /// workers drive theirs.
    pub(crate) fn smol(workers: usize) -> io::Result<Self> {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|i| {
                let (executor, stopped) = (executor.clone(), stopped.clone());
                std::thread::Builder::new()
                    .name(format!("smol-{i}"))
                    .spawn(move || {
                        // Ends with Err once `stop` is closed.
                        let _ = smol::block_on(executor.run(stopped.recv()));
                    })
            })
            .collect::<io::Result<_>>()?;
        Ok(Self::Smol {
            executor,
            stop: Some(stop),
            threads,
        })
    }

    /// Runs `future` to its end on the executor.
    pub(crate) fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        match self {
            Self::Tokio(runtime) => drop(runtime.spawn(future)),
            Self::Smol { executor, .. } => executor.spawn(future).detach(),
        }
    }

    /// Calls `f` inside the executor's context: tokio's timers are created
    /// against the current runtime.
    pub(crate) fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        match self {
            Self::Tokio(runtime) => {
                let _entered = runtime.enter();
                f()
            }
            Self::Smol { .. } => f(),
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        if let Self::Smol { stop, threads, .. } = self {
            drop(stop.take());
            for thread in threads.drain(..) {
                let _ = thread.join();
            }
        }
    }
}
