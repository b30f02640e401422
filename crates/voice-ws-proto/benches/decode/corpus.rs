//! The corpus: one realistic message of each kind a voice server sends, as
//! sent (compact JSON), in two shapes.
//!
//! v8, what this crate speaks: `"seq"` on everything but Hello and the
//! Heartbeat ACK, Hello with `"v"`, the ACK as `{"t": nonce}`. v4, what
//! serenity-voice-model (songbird's model) was written for: no `"seq"`,
//! Hello without `"v"`, the ACK as a bare integer. Written out by hand from
//! Discord's documented shapes, never produced by an encoder.

/// One message of the corpus in both shapes.
pub(crate) struct Message {
    /// The name in the bench ids and the report.
    pub(crate) name: &'static str,
    /// The v8 form.
    pub(crate) v8: &'static str,
    /// The v4 form.
    pub(crate) v4: &'static str,
}

/// 50 snowflakes, as a large call's join burst sends them in Clients Connect.
macro_rules! user_ids {
    () => {
        concat!(
            r#""700611240971306718","886901282140975225","960355408315253989","1193009857841592593","1141542201452595288","#,
            r#""605263281077692081","84192359572937478","928106664830664265","863600266351110648","565158423963756647","#,
            r#""540674807899767332","1264447287377636832","281767371875012446","595116682436478979","1057588948923375659","#,
            r#""1103553276434700495","1249984603898560449","273126030704746416","1163152199632657880","270960984551630885","#,
            r#""522764919467897512","683476031669108263","969470774377932666","794937906287112251","662294440309960406","#,
            r#""853344971387254568","936432303985574400","494038874809490272","958681942536254904","155786264096712930","#,
            r#""139705687878734330","180617188009303320","551677537305241873","589113933240663153","260163034982692728","#,
            r#""711660895694374347","1079893517463899844","1229352079677186901","1265595864614947345","929605909147173472","#,
            r#""863552888766696591","1130964175769199266","633551382575873047","1151939567191161018","499786992167144672","#,
            r#""587369563190957101","494342197605275719","1236516088271184119","651175757506085278","347963786293667375""#,
        )
    };
}

pub(crate) const CORPUS: [Message; 9] = [
    Message {
        name: "hello",
        v8: r#"{"op":8,"d":{"v":8,"heartbeat_interval":13750.0}}"#,
        v4: r#"{"op":8,"d":{"heartbeat_interval":13750.0}}"#,
    },
    Message {
        name: "ready",
        v8: r#"{"op":2,"d":{"ssrc":43021,"ip":"66.22.231.190","port":50007,"modes":["aead_aes256_gcm_rtpsize","aead_xchacha20_poly1305_rtpsize","xsalsa20_poly1305_lite_rtpsize","xsalsa20_poly1305"],"experiments":["fixed_keyframe_interval"],"heartbeat_interval":41250},"seq":1}"#,
        v4: r#"{"op":2,"d":{"ssrc":43021,"ip":"66.22.231.190","port":50007,"modes":["aead_aes256_gcm_rtpsize","aead_xchacha20_poly1305_rtpsize","xsalsa20_poly1305_lite_rtpsize","xsalsa20_poly1305"],"experiments":["fixed_keyframe_interval"],"heartbeat_interval":41250}}"#,
    },
    Message {
        name: "session_description",
        v8: r#"{"op":4,"d":{"video_codec":"H264","secure_frames_version":0,"secret_key":[211,44,130,7,95,163,18,240,66,201,12,99,180,37,250,3,141,72,219,56,8,177,92,203,31,118,164,229,70,15,186,53],"mode":"aead_aes256_gcm_rtpsize","media_session_id":"7b9fb9f4f10c2b3a8e1e0f5c6d7a8b9c","dave_protocol_version":1,"audio_codec":"opus"},"seq":2}"#,
        v4: r#"{"op":4,"d":{"video_codec":"H264","secure_frames_version":0,"secret_key":[211,44,130,7,95,163,18,240,66,201,12,99,180,37,250,3,141,72,219,56,8,177,92,203,31,118,164,229,70,15,186,53],"mode":"aead_aes256_gcm_rtpsize","media_session_id":"7b9fb9f4f10c2b3a8e1e0f5c6d7a8b9c","dave_protocol_version":1,"audio_codec":"opus"}}"#,
    },
    Message {
        name: "speaking",
        v8: r#"{"op":5,"d":{"user_id":"80351110224678912","ssrc":43022,"speaking":1},"seq":3}"#,
        v4: r#"{"op":5,"d":{"user_id":"80351110224678912","ssrc":43022,"speaking":1}}"#,
    },
    Message {
        name: "heartbeat_ack",
        v8: r#"{"op":6,"d":{"t":1501184119561}}"#,
        v4: r#"{"op":6,"d":1501184119561}"#,
    },
    Message {
        name: "clients_connect_50",
        v8: concat!(
            r#"{"op":11,"d":{"user_ids":["#,
            user_ids!(),
            r#"]},"seq":4}"#
        ),
        v4: concat!(r#"{"op":11,"d":{"user_ids":["#, user_ids!(), r#"]}}"#),
    },
    Message {
        name: "client_disconnect",
        v8: r#"{"op":13,"d":{"user_id":"80351110224678912"},"seq":5}"#,
        v4: r#"{"op":13,"d":{"user_id":"80351110224678912"}}"#,
    },
    Message {
        name: "dave_prepare_transition",
        v8: r#"{"op":21,"d":{"transition_id":7,"protocol_version":1},"seq":6}"#,
        v4: r#"{"op":21,"d":{"transition_id":7,"protocol_version":1}}"#,
    },
    Message {
        name: "dave_prepare_epoch",
        v8: r#"{"op":24,"d":{"protocol_version":1,"epoch":1},"seq":7}"#,
        v4: r#"{"op":24,"d":{"protocol_version":1,"epoch":1}}"#,
    },
];
