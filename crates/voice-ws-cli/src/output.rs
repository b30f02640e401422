//! Printing lines to stdout without panicking when the reader goes away.

use std::io::Write;

/// Writes one line to stdout. When stdout is a closed pipe (`| head`),
/// exits quietly with 141 as a process killed by SIGPIPE would, instead
/// of panicking as `println!` does.
pub(crate) fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
    }
}

/// `println!` that survives a closed pipe.
macro_rules! say {
    () => { $crate::output::line(format_args!("")) };
    ($($arg:tt)*) => { $crate::output::line(format_args!($($arg)*)) };
}
pub(crate) use say;
