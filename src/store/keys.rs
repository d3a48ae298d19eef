//! Big-endian `u64` keys, so sled's byte order is numeric order.

pub(super) fn be(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Decodes a key written by [`be`]; anything else reads as 0.
pub(super) fn from_be(bytes: &[u8]) -> u64 {
    <[u8; 8]>::try_from(bytes).map_or(0, u64::from_be_bytes)
}
