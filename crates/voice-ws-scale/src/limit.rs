//! The open-file limit: every connection is a file descriptor, on the
//! client's side and on the sim's.

/// Raises the soft limit on open files to the hard limit, and says how
/// many descriptors this process may now hold (`None`: unlimited).
pub(crate) fn raise_open_files() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        // On failure the soft limit stays; the caller checks it is enough.
        let _ = setrlimit(Resource::Nofile, limit);
    }
    getrlimit(Resource::Nofile).current
}

/// Fails early, with the fix, when `conns` connections cannot fit.
pub(crate) fn check_room(conns: usize) -> Result<(), String> {
    // The executor, the pipes and the binary's own files need a few more.
    const SPARE: u64 = 64;
    match raise_open_files() {
        Some(limit) if (conns as u64).saturating_add(SPARE) > limit => Err(format!(
            "{conns} connections need {} open files, and this process may have {limit} \
             (raise the hard limit: `ulimit -Hn`)",
            conns as u64 + SPARE
        )),
        _ => Ok(()),
    }
}
