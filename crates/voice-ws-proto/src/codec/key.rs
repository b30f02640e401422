//! Matching JSON object keys against a fixed list without allocating.

use core::fmt;
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

/// Deserializes a map key into its index in the list, or `None` for a key
/// not in it. Escaped keys (which cannot be borrowed) are handled too.
pub(super) struct KeyIn(pub(super) &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyIn {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Option<usize>, D::Error> {
        de.deserialize_identifier(self)
    }
}

impl Visitor<'_> for KeyIn {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == key))
    }
}
