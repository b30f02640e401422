//! The server process as the harness sees it: spawned from this binary,
//! commanded by lines on its stdin, answering on its stdout.

use std::io;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// A running server process.
pub(crate) struct ServerProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl ServerProcess {
    /// Re-executes this binary with `args`.
    pub(crate) fn spawn(args: &[String]) -> io::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        Ok(Self {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
        })
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub(crate) async fn send(&mut self, line: &str) -> io::Result<()> {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await?;
        self.stdin.flush().await
    }

    /// The next line that starts with `prefix`, without it.
    pub(crate) async fn expect(&mut self, prefix: &str) -> io::Result<String> {
        loop {
            let line = self
                .stdout
                .next_line()
                .await?
                .ok_or_else(|| io::Error::other("server process ended"))?;
            if let Some(rest) = line.strip_prefix(prefix) {
                return Ok(rest.trim().to_owned());
            }
        }
    }

    /// SIGKILL, and wait for it: every socket of the process resets at once.
    pub(crate) async fn kill(mut self) -> io::Result<()> {
        self.child.kill().await
    }

    /// `quit`, then wait for the exit.
    pub(crate) async fn quit(mut self) -> io::Result<()> {
        let _ = self.send("quit").await;
        self.child.wait().await.map(|_| ())
    }
}
