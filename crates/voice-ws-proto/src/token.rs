//! The voice token: a secret that never appears in Debug, Display or errors.

use alloc::string::String;
use core::fmt;

/// The voice session token from VOICE_SERVER_UPDATE.
///
/// Debug and Display print `Token(<redacted>)`; the only way to read the
/// value is [`Token::expose`], which the encoder calls for Identify and Resume.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The secret itself. Named so that every use stands out in review.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Token {
    fn from(token: String) -> Self {
        Self(token)
    }
}

impl From<&str> for Token {
    fn from(token: &str) -> Self {
        Self(token.into())
    }
}

impl<'de> serde::Deserialize<'de> for Token {
    /// A token arrives as a JSON string in VOICE_SERVER_UPDATE.
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        String::deserialize(de).map(Self)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let t = Token::new("MTIzNDU2Nzg5.secret");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert_eq!(format!("{t}"), "<redacted>");
        assert_eq!(t.expose(), "MTIzNDU2Nzg5.secret");
    }
}
