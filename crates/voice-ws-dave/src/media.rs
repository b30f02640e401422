//! The media side: encrypt our Opus frames, decrypt each member's, from
//! any thread.
//!
//! davey keeps the MLS group and the frame cryptors in one object, so the
//! handshake and the media share it behind one mutex. The handshake takes
//! that lock only while it handles a DAVE message (a handful per epoch),
//! so a media thread's lock is almost never contended. Whether the call is
//! end-to-end encrypted at all is an atomic: while it is not, frames pass
//! through without any lock.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::vec::Vec;

use davey::errors::{DecryptError, EncryptError};
use davey::{DaveSession, MediaType};

use crate::error::MediaError;

/// The last two bytes of every DAVE protocol frame (the "magic marker").
/// A frame without them is not encrypted, whatever else it holds.
const MAGIC_MARKER: [u8; 2] = [0xFA, 0xFA];

/// No end-to-end encryption in force: frames travel in clear.
const PASSTHROUGH: u8 = 0;
/// DAVE in force: frames are encrypted, or refused while there is no key.
const E2EE: u8 = 1;

/// What the handshake and the media handles share.
pub(crate) struct Shared {
    session: Mutex<Option<DaveSession>>,
    mode: AtomicU8,
}

impl Shared {
    /// A shared state with no session: media is refused until the protocol
    /// version is known (the safe side for a call that may require DAVE).
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            session: Mutex::new(None),
            mode: AtomicU8::new(E2EE),
        })
    }

    /// The session. A panic inside davey while the lock was held leaves
    /// the lock poisoned; the state is still the best there is, and the
    /// handshake rebuilds the group on the next invalid message.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Option<DaveSession>> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Switches media between clear (protocol version 0) and encrypted.
    pub(crate) fn set_passthrough(&self, passthrough: bool) {
        let mode = if passthrough { PASSTHROUGH } else { E2EE };
        self.mode.store(mode, Ordering::Release);
    }

    fn passthrough(&self) -> bool {
        self.mode.load(Ordering::Acquire) == PASSTHROUGH
    }
}

/// A cloneable handle on the call's media keys, for the thread that sends
/// and receives RTP. Cheap to clone; every clone sees the handshake's
/// latest keys.
///
/// While the call runs without end-to-end encryption (protocol version 0)
/// frames pass through unchanged. While it requires DAVE but we have no
/// key yet, [`encrypt_opus`](Self::encrypt_opus) refuses with
/// [`MediaError::NotReady`]: drop the frame rather than send it in clear.
#[derive(Clone)]
pub struct DaveMedia {
    shared: Arc<Shared>,
}

impl core::fmt::Debug for DaveMedia {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DaveMedia")
            .field("passthrough", &self.is_passthrough())
            .finish_non_exhaustive()
    }
}

impl DaveMedia {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Whether frames currently travel in clear (protocol version 0).
    pub fn is_passthrough(&self) -> bool {
        self.shared.passthrough()
    }

    /// Encrypts one Opus frame of ours (before RTP packetisation and
    /// transport encryption). Borrowed back unchanged in passthrough, and
    /// for the Opus silence frame `F8 FF FE`, which DAVE leaves in clear.
    pub fn encrypt_opus<'a>(&self, frame: &'a [u8]) -> Result<Cow<'a, [u8]>, MediaError> {
        if self.shared.passthrough() {
            return Ok(Cow::Borrowed(frame));
        }
        let mut guard = self.shared.lock();
        let session = guard.as_mut().ok_or(MediaError::NotReady)?;
        session.encrypt_opus(frame).map_err(encrypt_error)
    }

    /// [`encrypt_opus`](Self::encrypt_opus) into a buffer of the caller's,
    /// reused across frames: no allocation once it has grown.
    pub fn encrypt_opus_into(&self, frame: &[u8], out: &mut Vec<u8>) -> Result<(), MediaError> {
        if self.shared.passthrough() {
            out.clear();
            out.extend_from_slice(frame);
            return Ok(());
        }
        let mut guard = self.shared.lock();
        let session = guard.as_mut().ok_or(MediaError::NotReady)?;
        session
            .encrypt_into(MediaType::AUDIO, davey::Codec::OPUS, frame, out)
            .map_err(encrypt_error)
    }

    /// Decrypts one Opus frame from `user_id` (the SSRC to user mapping
    /// comes from Speaking, op 5). In passthrough a frame without the DAVE
    /// marker is borrowed back unchanged; one with it is still decrypted
    /// with the keys kept for frames in flight.
    pub fn decrypt<'a>(&self, user_id: u64, frame: &'a [u8]) -> Result<Cow<'a, [u8]>, MediaError> {
        if self.shared.passthrough() && !frame.ends_with(&MAGIC_MARKER) {
            return Ok(Cow::Borrowed(frame));
        }
        let mut out = Vec::new();
        self.decrypt_locked(user_id, frame, &mut out)?;
        Ok(Cow::Owned(out))
    }

    /// [`decrypt`](Self::decrypt) into a buffer of the caller's, reused
    /// across frames.
    pub fn decrypt_into(
        &self,
        user_id: u64,
        frame: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        if self.shared.passthrough() && !frame.ends_with(&MAGIC_MARKER) {
            out.clear();
            out.extend_from_slice(frame);
            return Ok(());
        }
        self.decrypt_locked(user_id, frame, out)
    }

    fn decrypt_locked(
        &self,
        user_id: u64,
        frame: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        let mut guard = self.shared.lock();
        let Some(session) = guard.as_mut() else {
            return Err(if self.shared.passthrough() {
                MediaError::UnknownUser(user_id)
            } else {
                MediaError::NotReady
            });
        };
        // The plaintext is never longer than the protocol frame.
        out.clear();
        out.resize(frame.len(), 0);
        // Frames come from the network: a panic in the frame parser must
        // not take the media thread down (nor poison the lock).
        let decrypted = catch_unwind(AssertUnwindSafe(|| {
            session.decrypt_into(user_id, MediaType::AUDIO, frame, out)
        }));
        match decrypted {
            Ok(Ok(len)) => {
                out.truncate(len);
                Ok(())
            }
            Ok(Err(DecryptError::NoDecryptorForUser)) => Err(MediaError::UnknownUser(user_id)),
            Ok(Err(e)) => Err(MediaError::Decrypt(e.to_string())),
            Err(panic) => Err(MediaError::Decrypt(crate::handshake::panic_reason(panic))),
        }
    }
}

fn encrypt_error(e: EncryptError) -> MediaError {
    match e {
        EncryptError::NotReady => MediaError::NotReady,
        e => MediaError::Encrypt(e.to_string()),
    }
}
