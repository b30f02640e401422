//! Placeholder until the media bench lands.
fn main() {}
