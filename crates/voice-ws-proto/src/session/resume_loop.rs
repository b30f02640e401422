//! Spotting a resume loop: resumed sockets that keep ending the same way
//! before making any progress (docs/protocol.md, "Resume").

use crate::close_code::CloseCode;

/// How a resumed socket ended: the close code, which side closed, and the
/// `seq_ack` its Resume carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ending {
    pub(crate) code: Option<CloseCode>,
    pub(crate) by_self: bool,
    pub(crate) seq_ack: Option<u16>,
}

/// The endings of unproven resumed sockets since the last progress.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ResumeFailures {
    last: Option<(Ending, u32)>,
}

impl ResumeFailures {
    /// Counts one more unproven resume that ended with `ending`; returns
    /// how many in a row ended exactly so.
    pub(crate) fn record(&mut self, ending: Ending) -> u32 {
        let repeats = match self.last {
            Some((last, n)) if last == ending => n + 1,
            _ => 1,
        };
        self.last = Some((ending, repeats));
        repeats
    }

    /// Progress, or a new session: the count starts over.
    pub(crate) fn clear(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ending(code: u16, seq_ack: u16) -> Ending {
        Ending {
            code: Some(CloseCode(code)),
            by_self: true,
            seq_ack: Some(seq_ack),
        }
    }

    #[test]
    fn only_identical_endings_in_a_row_count_up() {
        let mut f = ResumeFailures::default();
        assert_eq!(f.record(ending(1009, 5)), 1);
        assert_eq!(f.record(ending(1009, 5)), 2);
        assert_eq!(f.record(ending(1009, 6)), 1, "another seq_ack");
        assert_eq!(f.record(ending(4000, 6)), 1, "another code");
        f.clear();
        assert_eq!(f.record(ending(4000, 6)), 1);
    }
}
