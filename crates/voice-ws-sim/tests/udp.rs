//! The sim's UDP side over loopback: IP discovery with the docs' bytes, and
//! RTP sealed in the test by implementations other than the sim's (ring's
//! AES-256-GCM, orion's XChaCha20-Poly1305), counted as decrypted, failed,
//! unknown or malformed.

// The raw client's helpers serve gateway.rs too; this file uses a few.
#[allow(dead_code)]
mod client;

use std::net::SocketAddr;
use std::time::Duration;

use client::{Client, IDENTIFY};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde_json::Value;
use tokio::net::UdpSocket;
use voice_ws_sim::{Sim, SimConfig, StreamLog, UdpLog};

/// Generous: only a broken sim takes this long.
const PATIENCE: Duration = Duration::from_secs(5);

/// Identify with `max_dave_protocol_version` 0: transport encryption only.
const IDENTIFY_NO_DAVE: &str = r#"{"op":0,"d":{"server_id":"41771983423143937","user_id":"104694319306248192","session_id":"plain_session","token":"my_token","max_dave_protocol_version":0}}"#;

const AES: &str = "aead_aes256_gcm_rtpsize";
const XCHACHA: &str = "aead_xchacha20_poly1305_rtpsize";

/// An Opus frame's worth of bytes; the sim never decodes Opus.
const OPUS: [u8; 6] = [0xFC, 0xFF, 0xFE, 0x01, 0x02, 0x03];
/// A DAVE protocol frame, by the protocol description's payload format:
/// 4 bytes standing for the E2EE ciphertext, an 8-byte truncated tag, the
/// ULEB128 nonce 42, no unencrypted ranges, supplemental size 12, 0xFAFA.
const DAVE_FRAME: [u8; 16] = [
    0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x2A, 0x0C, 0xFA, 0xFA,
];
/// Opus silence, which DAVE receivers let through unencrypted.
const SILENCE: [u8; 3] = [0xF8, 0xFF, 0xFE];

fn select_protocol(address: &str, port: u16, mode: &str) -> String {
    format!(
        r#"{{"op":1,"d":{{"protocol":"udp","data":{{"address":"{address}","port":{port},"mode":"{mode}"}}}}}}"#
    )
}

/// A session that went through the whole join: Ready, IP discovery, Select
/// Protocol, Session Description.
struct Joined {
    _client: Client,
    ssrc: u32,
    key: [u8; 32],
    udp: UdpSocket,
}

/// The docs' request: type 0x1, length 70, the SSRC, 64 zero bytes of
/// address, port 0.
fn discovery_request(ssrc: u32) -> [u8; 74] {
    let mut request = [0u8; 74];
    request[..4].copy_from_slice(&[0x00, 0x01, 0x00, 0x46]);
    request[4..8].copy_from_slice(&ssrc.to_be_bytes());
    request
}

async fn recv(udp: &UdpSocket) -> Vec<u8> {
    let mut buffer = [0u8; 2048];
    let len = tokio::time::timeout(PATIENCE, udp.recv(&mut buffer))
        .await
        .expect("the sim answered in time")
        .expect("udp receive");
    buffer[..len].to_vec()
}

/// IP discovery; also a barrier: the sim handles datagrams in order, so once
/// this answer is back every datagram sent before it has been counted.
async fn discover(udp: &UdpSocket, ssrc: u32) -> Vec<u8> {
    udp.send(&discovery_request(ssrc)).await.expect("udp send");
    recv(udp).await
}

/// Speaking with the microphone flag: Discord's docs require one before
/// any voice data.
fn speaking(ssrc: u32) -> String {
    format!(r#"{{"op":5,"d":{{"speaking":1,"delay":0,"ssrc":{ssrc}}}}}"#)
}

/// The whole join; with `speak`, Speaking goes before Select Protocol, so
/// the sim has it before Session Description and before any media.
async fn join(sim: &Sim, identify: &str, mode: &str, speak: bool) -> Joined {
    let mut client = Client::hello(sim).await;
    client.send(identify).await;
    let ready = client.recv_json().await;
    assert_eq!(ready["op"], 2, "{ready}");
    let ssrc = u32::try_from(ready["d"]["ssrc"].as_u64().expect("ssrc")).expect("u32 ssrc");
    let ip = ready["d"]["ip"].as_str().expect("ip");
    let port = u16::try_from(ready["d"]["port"].as_u64().expect("port")).expect("u16 port");
    let server: SocketAddr = format!("{ip}:{port}").parse().expect("Ready's address");
    assert_eq!(server, sim.udp_addr());

    let udp = UdpSocket::bind("127.0.0.1:0").await.expect("udp bind");
    udp.connect(server).await.expect("udp connect");
    let response = discover(&udp, ssrc).await;
    let (address, port) = parse_response(&response);
    if speak {
        client.send(&speaking(ssrc)).await;
    }
    client.send(&select_protocol(&address, port, mode)).await;
    let description = client.recv_json().await;
    assert_eq!(description["op"], 4, "{description}");
    assert_eq!(description["d"]["mode"], mode);
    Joined {
        _client: client,
        ssrc,
        key: secret_key(&description),
        udp,
    }
}

/// Address and port from a discovery response, by the docs' layout.
fn parse_response(response: &[u8]) -> (String, u16) {
    assert_eq!(response.len(), 74, "{response:?}");
    assert_eq!(response[..4], [0x00, 0x02, 0x00, 0x46]);
    let address = &response[8..72];
    let end = address
        .iter()
        .position(|b| *b == 0)
        .expect("null-terminated");
    let address = String::from_utf8(address[..end].to_vec()).expect("ASCII address");
    (address, u16::from_be_bytes([response[72], response[73]]))
}

fn secret_key(description: &Value) -> [u8; 32] {
    let bytes: Vec<u8> = description["d"]["secret_key"]
        .as_array()
        .expect("secret_key array")
        .iter()
        .map(|b| u8::try_from(b.as_u64().expect("number")).expect("byte"))
        .collect();
    bytes.try_into().expect("32 bytes")
}

/// The docs' voice packet header: 0x80, 0x78, sequence, timestamp, SSRC.
fn header(sequence: u16, ssrc: u32) -> Vec<u8> {
    let mut header = vec![0x80, 0x78];
    header.extend(sequence.to_be_bytes());
    header.extend((u32::from(sequence) * 960).to_be_bytes());
    header.extend(ssrc.to_be_bytes());
    header
}

/// `header` in the clear (the additional data), `plaintext` sealed with
/// ring's AES-256-GCM, the tag, then the nonce counter; the cipher's
/// 12-byte nonce is the counter followed by 8 zero bytes.
fn seal_aes(key: &[u8; 32], header: &[u8], plaintext: &[u8], counter: u32) -> Vec<u8> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte key"));
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&counter.to_be_bytes());
    let mut body = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            &mut body,
        )
        .expect("seal");
    [header, &body, tag.as_ref(), &counter.to_be_bytes()].concat()
}

/// The same with orion's XChaCha20-Poly1305: a 24-byte nonce, the counter
/// followed by 20 zero bytes.
fn seal_xchacha(key: &[u8; 32], header: &[u8], plaintext: &[u8], counter: u32) -> Vec<u8> {
    use orion::hazardous::aead::xchacha20poly1305::{self, Nonce, SecretKey};
    let mut nonce = [0u8; 24];
    nonce[..4].copy_from_slice(&counter.to_be_bytes());
    let key = SecretKey::from_slice(key).expect("32-byte key");
    let nonce = Nonce::from_slice(&nonce).expect("24-byte nonce");
    // Ciphertext followed by the 16-byte tag.
    let mut sealed = vec![0u8; plaintext.len() + 16];
    xchacha20poly1305::seal(&key, &nonce, plaintext, Some(header), &mut sealed).expect("seal");
    [header, &sealed, &counter.to_be_bytes()].concat()
}

fn stream(log: &UdpLog, ssrc: u32) -> StreamLog {
    log.stream(ssrc).cloned().expect("the sim tracks the SSRC")
}

async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.expect("sim starts")
}

#[tokio::test]
async fn ready_points_at_ip_discovery_which_answers_with_the_docs_layout() {
    let sim = sim().await;
    let (_client, ready) = Client::ready(&sim).await;
    assert_eq!(ready["d"]["ip"], "127.0.0.1");
    assert_eq!(ready["d"]["port"], sim.udp_addr().port());
    let ssrc = u32::try_from(ready["d"]["ssrc"].as_u64().expect("ssrc")).expect("u32");

    let udp = UdpSocket::bind("127.0.0.1:0").await.expect("udp bind");
    udp.connect(sim.udp_addr()).await.expect("udp connect");
    let local_port = udp.local_addr().expect("local address").port();
    // The deprecated 70-byte request is not answered, only counted.
    udp.send(&discovery_request(ssrc)[..70])
        .await
        .expect("udp send");
    let response = discover(&udp, ssrc).await;

    let mut expected = [0u8; 74];
    expected[..4].copy_from_slice(&[0x00, 0x02, 0x00, 0x46]);
    expected[4..8].copy_from_slice(&ssrc.to_be_bytes());
    expected[8..17].copy_from_slice(b"127.0.0.1");
    expected[72..].copy_from_slice(&local_port.to_be_bytes());
    assert_eq!(response, expected);

    let log = sim.udp();
    assert_eq!((log.discovery_requests, log.malformed), (1, 1));
    let stream = stream(&log, ssrc);
    assert_eq!(stream.discovery_requests, 1);
    // Ready went out, Session Description did not.
    assert_eq!((stream.mode, stream.packets), (None, 0));
}

#[tokio::test]
async fn aes_gcm_packets_sealed_by_ring() {
    let sim = sim().await;
    let joined = join(&sim, IDENTIFY_NO_DAVE, AES, true).await;
    let (key, ssrc, udp) = (&joined.key, joined.ssrc, &joined.udp);

    let good = seal_aes(key, &header(1, ssrc), &OPUS, 0);
    // X bit and a one-word extension: the preamble is additional data, the
    // extension body is sealed with the payload.
    let mut with_extension = header(2, ssrc);
    with_extension[0] = 0x90;
    with_extension.extend([0xBE, 0xDE, 0x00, 0x01]);
    let extension_body = [0x10, 0xAA, 0x00, 0x00];
    let extended = seal_aes(
        key,
        &with_extension,
        &[&extension_body[..], &OPUS].concat(),
        1,
    );
    let mut tampered = seal_aes(key, &header(3, ssrc), &OPUS, 2);
    tampered[13] ^= 0x01;
    let wrong_key = seal_aes(&[7; 32], &header(4, ssrc), &OPUS, 3);
    let unknown = seal_aes(key, &header(5, ssrc ^ 0x00FF_0000), &OPUS, 4);
    let short = [0x80, 0x78, 0, 6, 0, 0, 0, 0, 0, 0, 0];
    for packet in [
        &good[..],
        &extended,
        &tampered,
        &wrong_key,
        &unknown,
        &short,
    ] {
        udp.send(packet).await.expect("udp send");
    }
    discover(udp, ssrc).await;

    let log = sim.udp();
    let stream = stream(&log, ssrc);
    assert_eq!(stream.mode.as_deref(), Some(AES));
    assert_eq!(stream.dave_protocol_version, 0);
    assert_eq!(
        (stream.packets, stream.decrypted, stream.failed),
        (4, 2, 2),
        "{stream:?}"
    );
    assert_eq!(
        (stream.nonce_not_increasing, stream.before_speaking),
        (0, 0)
    );
    assert_eq!((log.unknown_ssrc, log.malformed), (1, 1));
    // No DAVE in this call: nothing checked.
    assert_eq!(
        (stream.dave_frames, stream.dave_silence, stream.dave_invalid),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn xchacha_packets_sealed_by_orion() {
    let sim = sim().await;
    // No Speaking in this session: every packet counts as too early.
    let joined = join(&sim, IDENTIFY_NO_DAVE, XCHACHA, false).await;
    let (key, ssrc, udp) = (&joined.key, joined.ssrc, &joined.udp);

    let first = seal_xchacha(key, &header(1, ssrc), &OPUS, 41);
    let second = seal_xchacha(key, &header(2, ssrc), &OPUS, 42);
    // The nonce counter reused: decrypts, but is counted.
    let repeated = seal_xchacha(key, &header(3, ssrc), &OPUS, 42);
    let mut tampered = seal_xchacha(key, &header(4, ssrc), &OPUS, 43);
    let last = tampered.len() - 5;
    tampered[last] ^= 0x80; // the tag's last byte
    // AES-GCM's layout under an XChaCha session does not authenticate.
    let other_mode = seal_aes(key, &header(5, ssrc), &OPUS, 44);
    for packet in [&first, &second, &repeated, &tampered, &other_mode] {
        udp.send(packet).await.expect("udp send");
    }
    discover(udp, ssrc).await;

    let stream = stream(&sim.udp(), ssrc);
    assert_eq!(stream.mode.as_deref(), Some(XCHACHA));
    assert_eq!(
        (stream.packets, stream.decrypted, stream.failed),
        (5, 3, 2),
        "{stream:?}"
    );
    assert_eq!(stream.nonce_not_increasing, 1);
    assert_eq!(stream.before_speaking, 5);
}

#[tokio::test]
async fn dave_call_frames_are_checked_never_decrypted() {
    let sim = sim().await;
    // IDENTIFY offers DAVE 1; the sim's default is 1 too.
    let joined = join(&sim, IDENTIFY, AES, true).await;
    let (key, ssrc, udp) = (&joined.key, joined.ssrc, &joined.udp);

    let packets = [
        seal_aes(key, &header(1, ssrc), &DAVE_FRAME, 1),
        seal_aes(key, &header(2, ssrc), &SILENCE, 2),
        // Plain Opus in an E2EE call: no protocol footer.
        seal_aes(key, &header(3, ssrc), &OPUS, 3),
        // The marker but a supplemental size of 11, below the minimum.
        seal_aes(
            key,
            &header(4, ssrc),
            &[0xDE, 0xAD, 0, 0, 0, 0, 0, 0, 0, 0, 0x2A, 0x0B, 0xFA, 0xFA],
            4,
        ),
    ];
    for packet in &packets {
        udp.send(packet).await.expect("udp send");
    }
    discover(udp, ssrc).await;

    let stream = stream(&sim.udp(), ssrc);
    assert_eq!(stream.dave_protocol_version, 1);
    assert_eq!((stream.packets, stream.decrypted), (4, 4), "{stream:?}");
    assert_eq!(
        (stream.dave_frames, stream.dave_silence, stream.dave_invalid),
        (1, 1, 2)
    );
}

#[tokio::test]
async fn keepalives_are_echoed_and_junk_is_counted() {
    let sim = sim().await;
    let udp = UdpSocket::bind("127.0.0.1:0").await.expect("udp bind");
    udp.connect(sim.udp_addr()).await.expect("udp connect");

    // discord.js: an 8-byte counter; songbird: the 4-byte SSRC.
    let eight = [0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    udp.send(&eight).await.expect("udp send");
    assert_eq!(recv(&udp).await, eight);
    let four = [0x51, 0x51, 0x00, 0x01];
    udp.send(&four).await.expect("udp send");
    assert_eq!(recv(&udp).await, four);

    // Not RTP version 2, a lone byte, more than the sim reads, and RTCP.
    let junk: [&[u8]; 4] = [
        &[0x40; 40],
        &[0x80],
        &[0x80; 4097],
        &[0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0],
    ];
    for packet in junk {
        udp.send(packet).await.expect("udp send");
    }
    // An SSRC the sim never handed out is still answered.
    discover(&udp, 99).await;

    let log = sim.udp();
    assert_eq!(log.keepalives, 2);
    assert_eq!(log.malformed, 3);
    assert_eq!(log.rtcp, 1);
    assert_eq!(log.discovery_requests, 1);
    assert!(log.streams.is_empty());
}
