//! Discord ids: sent as decimal strings, kept as `u64`.

use core::fmt;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// Parses a snowflake sent as a string (`"80351110224678912"`) or, leniently,
/// as a JSON integer. Numbers avoid an allocation per id, which matters
/// for Clients Connect in large calls.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<u64, D::Error> {
    de.deserialize_any(SnowflakeVisitor)
}

/// [`deserialize`] for an optional id.
pub(super) fn deserialize_option<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<Option<u64>, D::Error> {
    de.deserialize_option(OptionVisitor)
}

/// [`deserialize`] for a list of ids.
pub(super) fn deserialize_vec<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<alloc::vec::Vec<u64>, D::Error> {
    de.deserialize_seq(VecVisitor)
}

struct SnowflakeVisitor;

impl Visitor<'_> for SnowflakeVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snowflake id as a decimal string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<u64, E> {
        parse_decimal(s).ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
    }

    fn visit_u64<E: de::Error>(self, id: u64) -> Result<u64, E> {
        Ok(id)
    }
}

struct OptionVisitor;

impl<'de> Visitor<'de> for OptionVisitor {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snowflake id or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<u64>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Option<u64>, D::Error> {
        deserialize(de).map(Some)
    }
}

struct VecVisitor;

impl<'de> Visitor<'de> for VecVisitor {
    type Value = alloc::vec::Vec<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of snowflake ids")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // The hint comes from the peer: cap it so a lie cannot reserve much.
        let mut ids = alloc::vec::Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(id) = seq.next_element_seed(Id)? {
            ids.push(id);
        }
        Ok(ids)
    }
}

struct Id;

impl<'de> de::DeserializeSeed<'de> for Id {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<u64, D::Error> {
        deserialize(de)
    }
}

/// Digits only (no sign, unlike `u64::from_str`), in one pass: this runs
/// for every id of a Clients Connect.
pub(super) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    // Up to 19 digits cannot overflow a u64, so the common case skips the
    // overflow checks.
    let fits = s.len() <= 19;
    let mut n: u64 = 0;
    for b in s.bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = if fits {
            n * 10 + u64::from(digit)
        } else {
            n.checked_mul(10)?.checked_add(u64::from(digit))?
        };
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::parse_decimal;

    #[test]
    fn decimal_ids_parse_exactly() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(
            parse_decimal("80351110224678912"),
            Some(80_351_110_224_678_912)
        );
        assert_eq!(
            parse_decimal("9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_decimal("18446744073709551616"), None);
        assert_eq!(parse_decimal("99999999999999999999"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("+1"), None);
        assert_eq!(parse_decimal("1 "), None);
        assert_eq!(parse_decimal("١"), None);
    }
}
