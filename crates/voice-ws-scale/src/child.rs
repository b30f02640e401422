//! The harness's children: the sim, and one client run at a time, each
//! this same binary in a process of its own, spoken to by lines on their
//! standard input and output.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::figures::ClientFigures;
use crate::lateness;

/// A child process and its pipes.
struct Process {
    process: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Process {
    fn spawn(args: &[String], stdin: bool) -> io::Result<Self> {
        let mut process = Command::new(std::env::current_exe()?)
            .args(args)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .spawn()?;
        let (stdin, stdout) = (process.stdin.take(), process.stdout.take());
        Ok(Self {
            process,
            stdin,
            stdout: BufReader::new(stdout.ok_or(io::ErrorKind::BrokenPipe)?),
        })
    }

    fn say(&mut self, word: &str) -> io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or(io::ErrorKind::BrokenPipe)?;
        writeln!(stdin, "{word}").and_then(|()| stdin.flush())
    }

    /// The next line; `None` at the end of its output.
    fn line(&mut self) -> io::Result<Option<String>> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end().to_owned()))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Closing its standard input ends the sim; kill what lingers.
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The sim, in its own process.
pub(crate) struct SimChild {
    process: Process,
    /// Its `ws://` URL.
    pub(crate) url: String,
}

impl SimChild {
    pub(crate) fn spawn() -> Result<Self, String> {
        let mut process =
            Process::spawn(&["sim".into()], true).map_err(|e| format!("starting the sim: {e}"))?;
        let line = process
            .line()
            .map_err(|e| format!("the sim: {e}"))?
            .ok_or("the sim ended before saying its URL")?;
        let url = line
            .strip_prefix("url ")
            .ok_or_else(|| format!("the sim said {line:?}, not its URL"))?
            .to_owned();
        Ok(Self { process, url })
    }

    fn say(&mut self, word: &str) -> Result<(), String> {
        self.process
            .say(word)
            .map_err(|e| format!("telling the sim {word:?}: {e}"))
    }

    /// Heartbeat lateness over the last client's window.
    pub(crate) fn report(&mut self) -> Result<lateness::Figures, String> {
        self.say("report")?;
        let mut figures = None;
        loop {
            let line = self
                .process
                .line()
                .map_err(|e| format!("the sim's report: {e}"))?
                .ok_or("the sim ended during its report")?;
            if line == "end" {
                return figures.ok_or_else(|| "the sim's report had no figures".to_owned());
            }
            if let Some(json) = line.strip_prefix("lateness ") {
                figures = Some(serde_json::from_str(json).map_err(|e| e.to_string())?);
            }
        }
    }
}

/// Runs one client process to its end, passing its window marks on to
/// `sim`; its figures.
pub(crate) fn run_client(args: &[String], sim: &mut SimChild) -> Result<ClientFigures, String> {
    let mut client =
        Process::spawn(args, false).map_err(|e| format!("starting the client: {e}"))?;
    let mut figures = None;
    while let Some(line) = client.line().map_err(|e| format!("the client: {e}"))? {
        match line.as_str() {
            "mark start" => sim.say("start")?,
            "mark stop" => sim.say("stop")?,
            _ => match line.strip_prefix("result ") {
                Some(json) => {
                    figures = Some(serde_json::from_str(json).map_err(|e| e.to_string())?);
                }
                None => println!("{line}"),
            },
        }
    }
    let status = client.process.wait().map_err(|e| e.to_string())?;
    match figures {
        Some(figures) if status.success() => Ok(figures),
        _ => Err(format!("the client failed ({status})")),
    }
}
