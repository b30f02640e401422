//! Conformance scenarios shared by the voice-ws drivers.
