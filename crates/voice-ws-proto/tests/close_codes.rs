//! Every close code of docs/protocol.md's table, classified by its policy.

use voice_ws_proto::{CloseClass, CloseCode};

/// docs/protocol.md, "Close codes": code and policy, row by row.
const TABLE: &[(u16, CloseClass)] = &[
    (1000, CloseClass::Resume),
    (1001, CloseClass::Resume),
    (1005, CloseClass::Resume),
    (1006, CloseClass::Resume),
    (4001, CloseClass::NewSession),
    (4002, CloseClass::NewSession),
    (4003, CloseClass::NewSession),
    (4004, CloseClass::Fatal),
    (4005, CloseClass::NewSession),
    (4006, CloseClass::NewSession),
    (4009, CloseClass::NewSession),
    (4011, CloseClass::NewSession),
    (4012, CloseClass::Fatal),
    (4014, CloseClass::Stop),
    (4015, CloseClass::Resume),
    (4016, CloseClass::Fatal),
    (4017, CloseClass::Fatal),
    (4020, CloseClass::Fatal),
    (4021, CloseClass::Stop),
    (4022, CloseClass::Stop),
];

#[test]
fn every_documented_code_has_its_policy() {
    for &(code, class) in TABLE {
        assert_eq!(CloseCode(code).class(), class, "close code {code}");
    }
}

#[test]
fn undocumented_4xxx_codes_mean_a_new_session() {
    for code in [4000, 4007, 4008, 4010, 4013, 4018, 4019, 4023, 4100, 4999] {
        assert_eq!(
            CloseCode(code).class(),
            CloseClass::NewSession,
            "close code {code}"
        );
    }
}

#[test]
fn no_reconnect_loops_on_stop_and_fatal_codes() {
    for code in [4004, 4014, 4016, 4017, 4021, 4022] {
        assert!(
            matches!(
                CloseCode(code).class(),
                CloseClass::Stop | CloseClass::Fatal
            ),
            "close code {code} must not reconnect"
        );
    }
}

#[test]
fn every_code_has_a_meaning() {
    let unknown = CloseCode(4999).meaning();
    for &(code, _) in TABLE {
        let meaning = CloseCode(code).meaning();
        assert!(!meaning.is_empty(), "close code {code}");
        assert_ne!(meaning, unknown, "close code {code} is documented");
    }
    for code in [0, 999, 1002, 1009, 1011, 3000, 4000, 4999, 5000, u16::MAX] {
        assert!(!CloseCode(code).meaning().is_empty(), "close code {code}");
    }
}

#[test]
fn our_own_bugs_are_flagged() {
    for &(code, _) in TABLE {
        assert_eq!(
            CloseCode(code).is_client_bug(),
            matches!(code, 4001 | 4002 | 4020),
            "close code {code}"
        );
    }
}

#[test]
fn display_and_debug_show_the_number() {
    assert!(CloseCode(4014).to_string().contains("4014"));
    assert!(format!("{:?}", CloseCode(4014)).contains("4014"));
}

#[test]
fn named_constants_carry_their_numbers() {
    let named = [
        (CloseCode::NORMAL, 1000),
        (CloseCode::GOING_AWAY, 1001),
        (CloseCode::NO_STATUS, 1005),
        (CloseCode::ABNORMAL, 1006),
        (CloseCode::MESSAGE_TOO_BIG, 1009),
        (CloseCode::RESUMABLE, 4000),
        (CloseCode::UNKNOWN_OPCODE, 4001),
        (CloseCode::DECODE_ERROR, 4002),
        (CloseCode::NOT_AUTHENTICATED, 4003),
        (CloseCode::AUTHENTICATION_FAILED, 4004),
        (CloseCode::ALREADY_AUTHENTICATED, 4005),
        (CloseCode::SESSION_NO_LONGER_VALID, 4006),
        (CloseCode::SESSION_TIMEOUT, 4009),
        (CloseCode::SERVER_NOT_FOUND, 4011),
        (CloseCode::UNKNOWN_PROTOCOL, 4012),
        (CloseCode::DISCONNECTED, 4014),
        (CloseCode::VOICE_SERVER_CRASHED, 4015),
        (CloseCode::UNKNOWN_ENCRYPTION_MODE, 4016),
        (CloseCode::E2EE_REQUIRED, 4017),
        (CloseCode::BAD_REQUEST, 4020),
        (CloseCode::RATE_LIMITED, 4021),
        (CloseCode::CALL_TERMINATED, 4022),
    ];
    for (constant, code) in named {
        assert_eq!(constant.code(), code);
        assert_eq!(u16::from(constant), code);
        assert_eq!(CloseCode::from(code), constant);
    }
}
