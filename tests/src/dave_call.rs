//! Several driver connections in one DAVE call on the simulated gateway
//! (its delivery service, feature `dave`): who is in it, what each member's
//! handshake reported, and the checks the DAVE scenarios share.
//!
//! Each member's events are read by a task of its own, as a bot would, so
//! that no member's handshake waits on the test reading another's.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::task::JoinHandle;
use voice_ws_proto::codec::SelectProtocol;
use voice_ws_proto::dave::{DaveError, DaveEvent};
use voice_ws_proto::{ClientMessage, Credentials, Event};
use voice_ws_sim::{CallLog, ConnectionPlan, DaveCalls};
use voice_ws_tokio::dave::DaveMedia;

use crate::driver::{Driver, DriverHandle};
use crate::setup::{SERVER_ID, ScenarioSim, credentials_for, fast_config, sim_config, start_sim};
use crate::wait::eventually;

/// The voice channel of [`credentials_for`]: the call's MLS group id.
pub const CHANNEL_ID: u64 = 127_121_515_262_115_840;

/// Long enough for a DAVE step of five members on a loaded 2-core machine
/// (OpenMLS in debug builds); only a broken handshake reaches it.
pub const DAVE_WAIT: Duration = Duration::from_secs(30);

/// The gateway's heartbeat interval in the DAVE scenarios: longer than the
/// other scenarios', as a task busy with OpenMLS in a debug build on a
/// loaded machine may answer late (a zombie then resumes, which the
/// scenarios survive, but need not provoke).
pub const DAVE_HEARTBEAT_MS: f64 = 500.0;

/// The members' user ids, in join order.
pub const USERS: [u64; 5] = [
    158_049_329_150_427_136,
    158_049_329_150_427_137,
    158_049_329_150_427_138,
    158_049_329_150_427_139,
    158_049_329_150_427_140,
];

/// What one member's event stream said so far.
#[derive(Debug, Default)]
pub struct Seen {
    /// The epoch of the last group established or epoch changed.
    pub epoch: Option<u64>,
    /// The last privacy code announced.
    pub privacy_code: Option<String>,
    /// Transitions executed, with the protocol version each brought in.
    pub executed: Vec<(u16, u16)>,
    /// The handshake's errors.
    pub errors: Vec<DaveError>,
    /// Ready events (new sessions).
    pub ready: usize,
    /// Resumed events.
    pub resumed: usize,
    /// The event stream ended.
    pub ended: bool,
}

impl Seen {
    fn record(&mut self, event: &Event) {
        match event {
            Event::Ready(_) => self.ready += 1,
            Event::Resumed => self.resumed += 1,
            Event::Dave(dave) => match dave {
                DaveEvent::GroupEstablished { epoch, .. }
                | DaveEvent::EpochChanged { epoch, .. } => {
                    self.epoch = Some(*epoch);
                }
                DaveEvent::PrivacyCodeChanged { code } => self.privacy_code.clone_from(code),
                DaveEvent::TransitionExecuted {
                    transition_id,
                    protocol_version,
                } => self.executed.push((*transition_id, *protocol_version)),
                DaveEvent::Error(error) => self.errors.push(error.clone()),
                _ => {}
            },
            _ => {}
        }
    }
}

/// One connection in the call.
pub struct Member<H> {
    /// Its user id.
    pub user_id: u64,
    /// Its handle.
    pub handle: H,
    /// The media side of its handshake.
    pub media: DaveMedia,
    seen: Arc<Mutex<Seen>>,
    reader: JoinHandle<()>,
}

impl<H> Member<H> {
    /// What its events said so far.
    pub fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<H> Drop for Member<H> {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// A 20 ms Opus frame of 120 bytes (its contents do not matter to DAVE),
/// different for each `seed`.
pub fn opus_frame(seed: u8) -> Vec<u8> {
    (0..120u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A simulated DAVE call and the driver connections in it.
pub struct DaveCall<'d, D: Driver> {
    driver: &'d D,
    /// The gateway.
    pub sim: ScenarioSim,
    /// The members, by user id.
    pub members: BTreeMap<u64, Member<D::Handle>>,
}

impl<'d, D: Driver> DaveCall<'d, D> {
    /// A gateway running DAVE calls on [`CHANNEL_ID`], whose connections
    /// follow `plans` in accept order (members connect one after another,
    /// so the i-th plan is the i-th member's first connection).
    pub async fn start(driver: &'d D, plans: Vec<ConnectionPlan>, calls: DaveCalls) -> Self {
        let config = sim_config(plans)
            .with_heartbeat_interval_ms(DAVE_HEARTBEAT_MS)
            .with_dave_calls(calls.with_channel_id(CHANNEL_ID));
        Self {
            driver,
            sim: start_sim(config).await,
            members: BTreeMap::new(),
        }
    }

    /// The credentials of `user_id` in this call.
    pub fn credentials(&self, user_id: u64) -> Credentials {
        Credentials {
            user_id: user_id.to_string(),
            session_id: format!("dave-session-{user_id}"),
            token: format!("dave-token-{user_id}").into(),
            ..credentials_for(&self.sim)
        }
    }

    /// Connects `user_id`, waits for Ready, and selects the UDP protocol:
    /// the Session Description that follows starts its handshake.
    pub async fn join(&mut self, user_id: u64) {
        let (handle, mut events) = self
            .driver
            .connect(fast_config(), self.credentials(user_id));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let log = seen.clone();
        let reader = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .record(&event);
            }
            log.lock().unwrap_or_else(PoisonError::into_inner).ended = true;
        });
        let media = handle.dave_media();
        let member = Member {
            user_id,
            handle,
            media,
            seen,
            reader,
        };
        eventually(&format!("{user_id} is ready"), DAVE_WAIT, || {
            member.seen().ready >= 1
        })
        .await;
        let select =
            SelectProtocol::new("127.0.0.1".into(), 50_000, "aead_aes256_gcm_rtpsize".into());
        member
            .handle
            .send(ClientMessage::SelectProtocol(select))
            .await
            .expect("Select Protocol is sent");
        self.members.insert(user_id, member);
    }

    /// Closes `user_id`'s connection (1000: it leaves the call).
    pub async fn leave(&mut self, user_id: u64) {
        let member = self.members.remove(&user_id).expect("a member");
        member.handle.close().await;
    }

    /// The call as the gateway records it.
    ///
    /// # Panics
    /// Before the first member identified.
    pub fn log(&self) -> CallLog {
        self.sim
            .dave_calls()
            .into_iter()
            .find(|c| c.server_id == SERVER_ID)
            .expect("the call exists")
    }

    /// Whether the gateway's group is exactly the members, at an epoch every
    /// member reached, with one privacy code among them.
    pub fn agrees(&self) -> bool {
        let Some(call) = self.sim.dave_calls().into_iter().next() else {
            return false;
        };
        let mut group = call.group.clone();
        group.sort_unstable();
        let members: Vec<u64> = self.members.keys().copied().collect();
        let seen: Vec<_> = self.members.values().map(|m| m.seen()).collect();
        call.stats.epoch >= 1
            && group == members
            && seen.iter().all(|s| s.epoch == Some(call.stats.epoch))
            && seen[0].privacy_code.is_some()
            && seen.iter().all(|s| s.privacy_code == seen[0].privacy_code)
    }

    /// Whether each member decrypts, through its [`DaveMedia`], what each
    /// other one encrypts (a key is in use only once its transition
    /// executed, so this may lag [`agrees`](Self::agrees) briefly).
    pub fn everyone_hears_everyone(&self) -> bool {
        self.members.values().all(|sender| {
            let frame = opus_frame(sender.user_id as u8);
            let Ok(encrypted) = sender.media.encrypt_opus(&frame) else {
                return false;
            };
            encrypted[..] != frame[..]
                && self
                    .members
                    .values()
                    .filter(|r| r.user_id != sender.user_id)
                    .all(|r| {
                        r.media.decrypt(sender.user_id, &encrypted).as_deref() == Ok(&frame[..])
                    })
        })
    }

    /// Waits until the members agree on the group, epoch and privacy code,
    /// and each hears each other.
    ///
    /// # Panics
    /// When they do not within [`DAVE_WAIT`], with the call's log and what
    /// each member saw.
    pub async fn settle(&self, what: &str) {
        let describe = || {
            let seen: Vec<String> = self
                .members
                .values()
                .map(|m| format!("{}: {:?}", m.user_id, *m.seen()))
                .collect();
            format!("{what}: {:#?}\n{seen:#?}", self.sim.dave_calls())
        };
        let deadline = tokio::time::Instant::now() + DAVE_WAIT;
        while !self.agrees() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "did not agree: {}",
                describe()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        while !self.everyone_hears_everyone() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "cannot hear each other: {}",
                describe()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Errors any member's handshake reported.
    pub fn errors(&self) -> Vec<(u64, DaveError)> {
        self.members
            .values()
            .flat_map(|m| {
                m.seen()
                    .errors
                    .iter()
                    .map(|e| (m.user_id, e.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}
