//! A minimal reader and writer for the TLS presentation language as MLS uses
//! it (RFC 9420, section 2.1.2): fixed-width big-endian integers and
//! variable-length vectors with a 1, 2 or 4 byte length prefix.
//!
//! OpenMLS keeps the inside of a Commit private, but the delivery service has
//! to look at it (Discord's protocol description, "Voice Gateway Commit
//! Validity"), so the few fields it needs are read here directly.

/// The input ended early, or a length prefix is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated;

/// A cursor over TLS-encoded bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// What has not been read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Truncated> {
        if self.rest.len() < n {
            return Err(Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Truncated> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Truncated> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Truncated> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Truncated> {
        let b = self.bytes(8)?;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(b);
        Ok(u64::from_be_bytes(buf))
    }

    /// A variable-length vector (`opaque x<V>`): its length prefix, then that
    /// many bytes, returned without the prefix.
    pub(crate) fn vector(&mut self) -> Result<&'a [u8], Truncated> {
        let first = self.u8()?;
        let len = match first >> 6 {
            0 => usize::from(first & 0x3f),
            1 => usize::from(u16::from_be_bytes([first & 0x3f, self.u8()?])),
            2 => {
                let b = self.bytes(3)?;
                u32::from_be_bytes([first & 0x3f, b[0], b[1], b[2]]) as usize
            }
            // 0b11 is reserved (RFC 9420, section 2.1.2).
            _ => return Err(Truncated),
        };
        self.bytes(len)
    }
}

/// Appends `body` as a variable-length vector: the shortest length prefix, then the bytes.
pub(crate) fn write_vector(out: &mut Vec<u8>, body: &[u8]) {
    let len = body.len();
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&(0x4000 | len as u16).to_be_bytes());
    } else {
        // Lengths are bounded far below 2^30 by the gateway's message size.
        out.extend_from_slice(&(0x8000_0000 | (len as u32 & 0x3fff_ffff)).to_be_bytes());
    }
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_lengths_follow_rfc_9420_examples() {
        // RFC 9420, section 2.1.2: 0x25 = 37; 0x7bbd = 15293; 0x9d7f3e7d = 494878333.
        assert_eq!(
            Reader::new(&[0x25]).vector().map(<[u8]>::len),
            Err(Truncated)
        );
        let mut body = vec![0x25];
        body.extend(std::iter::repeat_n(7, 37));
        assert_eq!(Reader::new(&body).vector().map(<[u8]>::len), Ok(37));
        let mut long = vec![0x7b, 0xbd];
        long.extend(std::iter::repeat_n(1, 15293));
        let mut reader = Reader::new(&long);
        assert_eq!(reader.vector().map(<[u8]>::len), Ok(15293));
        assert!(reader.is_empty());
        assert_eq!(Reader::new(&[0xc0, 0, 0, 0]).vector(), Err(Truncated));
    }

    #[test]
    fn written_prefixes_are_the_shortest() {
        for (len, prefix) in [
            (0usize, vec![0x00]),
            (63, vec![0x3f]),
            (64, vec![0x40, 0x40]),
            (16383, vec![0x7f, 0xff]),
            (16384, vec![0x80, 0x00, 0x40, 0x00]),
        ] {
            let mut out = Vec::new();
            write_vector(&mut out, &vec![0; len]);
            assert_eq!(out[..prefix.len()], prefix[..], "{len}");
            assert_eq!(out.len(), prefix.len() + len);
        }
    }
}
