//! The three clients the harness compares.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A client under measurement: one of ours, or the bare baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Driver {
    /// `voice-ws-tokio` on a multi-threaded tokio runtime.
    Tokio,
    /// `voice-ws-async-std` (async-io) on a smol executor.
    Smol,
    /// A bare tokio-tungstenite client, written here as such clients
    /// usually are ([`crate::baseline`]).
    Baseline,
}

impl Driver {
    /// In the order the table lists them.
    pub(crate) const ALL: [Self; 3] = [Self::Tokio, Self::Smol, Self::Baseline];

    /// The name on the command line and in the results.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Tokio => "tokio",
            Self::Smol => "smol",
            Self::Baseline => "baseline",
        }
    }

    /// What the table calls it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Tokio => "voice-ws-tokio",
            Self::Smol => "voice-ws-async-std on smol",
            Self::Baseline => "bare tokio-tungstenite",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == text)
            .ok_or_else(|| format!("no driver {text:?} (tokio, smol, baseline)"))
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
