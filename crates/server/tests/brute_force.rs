//! Brute-force limits over real connections. The router is served as the
//! binary serves it (`into_make_service_with_connect_info::<SocketAddr>` on
//! a listener bound to 127.0.0.1), so every sign-in carries the peer
//! address the server reads from `ConnectInfo`. Clients connect from chosen
//! loopback addresses (127.0.0.1, 127.0.0.2, ...), so "one address" and
//! "another address" are real peers.
//!
//! The limits under test are the defaults: 30 failed sign-ins per address
//! and 5 per account, within 15 minutes.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use keydesk_core::model::OrgRole;
use keydesk_server::app;
use serde_json::{json, Value};

use common::{test_app, TestApp};

const MAX_FAILURES_PER_IP: usize = 30;
const MAX_FAILURES_PER_ACCOUNT: usize = 5;

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const ELSEWHERE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// The one answer to every failed sign-in, written down.
fn bad_credentials() -> Value {
    json!({"error": {"code": "unauthorized", "message": "invalid email or password"}})
}

/// Serves `app(state)` with connect info on 127.0.0.1, port chosen by the OS.
async fn serve(t: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app(t.state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    addr
}

/// One `POST /v1/auth/sessions` over a fresh connection whose source address
/// is `from`; returns the status and the JSON body.
async fn sign_in(server: SocketAddr, from: IpAddr, email: &str, password: &str) -> (u16, Value) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let stream = socket.connect(server).await.unwrap().into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    let body = json!({"email": email, "password": password}).to_string();
    tokio::task::spawn_blocking(move || {
        let mut stream = stream;
        write!(
            stream,
            "POST /v1/auth/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        let status: u16 = out.split_whitespace().nth(1).unwrap().parse().unwrap();
        let text = out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn many_failed_sign_ins_from_one_address_lock_that_address_across_accounts() {
    let t = test_app().await;
    let server = serve(&t).await;

    // Ten accounts take three wrong passwords each: 30 failures from one
    // address, and no account reaches its own limit of 5.
    let mut targets = vec![];
    for i in 0..10 {
        let email = format!("target{i}@example.com");
        t.user(&email, OrgRole::Member).await;
        targets.push(email);
    }
    let (_, carol_pw) = t.user("carol@example.com", OrgRole::Member).await;
    let (_, dave_pw) = t.user("dave@example.com", OrgRole::Member).await;
    let wrong: Vec<&String> = targets.iter().cycle().take(MAX_FAILURES_PER_IP).collect();
    assert!(targets.iter().all(|e| wrong.iter().filter(|w| **w == e).count() < MAX_FAILURES_PER_ACCOUNT));

    for email in &wrong[..MAX_FAILURES_PER_IP - 1] {
        let (s, b) = sign_in(server, ATTACKER, email, "not the password 123").await;
        assert_eq!((s, &b), (401, &bad_credentials()));
    }
    // One failure short of the limit the address may still sign in; doing
    // so does not clear the address's failures.
    let (s, b) = sign_in(server, ATTACKER, "carol@example.com", &carol_pw).await;
    assert_eq!(s, 200, "29 failures do not lock the address: {b}");
    assert!(b["token"].as_str().is_some_and(|t| t.starts_with("kds_")), "{b}");

    let (s, b) = sign_in(server, ATTACKER, wrong[MAX_FAILURES_PER_IP - 1], "not the password 123").await;
    assert_eq!((s, &b), (401, &bad_credentials()), "the 30th failure");

    // The address is locked: correct passwords of accounts that never failed
    // get the wrong-password answer, word for word.
    let (s, locked) = sign_in(server, ATTACKER, "carol@example.com", &carol_pw).await;
    assert_eq!((s, &locked), (401, &bad_credentials()), "correct password from a locked address");
    let (s, locked) = sign_in(server, ATTACKER, "dave@example.com", &dave_pw).await;
    assert_eq!((s, &locked), (401, &bad_credentials()), "another account, same locked address");
    let (s, wrong_now) = sign_in(server, ATTACKER, "dave@example.com", "not the password 123").await;
    assert_eq!((s, &wrong_now), (401, &locked), "a wrong password looks the same as the lock");

    // Only that address: the same accounts sign in from another one.
    let (s, b) = sign_in(server, ELSEWHERE, "dave@example.com", &dave_pw).await;
    assert_eq!(s, 200, "another address is not locked: {b}");

    // The lock lasts the 15-minute window, not for ever.
    t.clock.advance(chrono::Duration::minutes(16));
    let (s, b) = sign_in(server, ATTACKER, "carol@example.com", &carol_pw).await;
    assert_eq!(s, 200, "the window has passed: {b}");
}

/// api.rs covers the account lock without a peer address (router tests);
/// this is the same lock over real connections when the failures come from
/// several addresses: the account's limit counts them all, and the lock holds
/// from an address that never failed.
#[tokio::test]
async fn failed_sign_ins_from_several_addresses_lock_the_account_from_every_address() {
    let t = test_app().await;
    let server = serve(&t).await;
    let (_, pw) = t.user("bob@example.com", OrgRole::Member).await;
    let (_, carol_pw) = t.user("carol@example.com", OrgRole::Member).await;

    for i in 0..MAX_FAILURES_PER_ACCOUNT as u8 {
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10 + i));
        let (s, b) = sign_in(server, from, "bob@example.com", "not the password 123").await;
        assert_eq!((s, &b), (401, &bad_credentials()));
    }
    let fresh = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 99));
    let (s, b) = sign_in(server, fresh, "bob@example.com", &pw).await;
    assert_eq!((s, &b), (401, &bad_credentials()), "the account is locked, with the wrong-password answer");
    // The address is not what is locked: another account signs in from it.
    let (s, b) = sign_in(server, fresh, "carol@example.com", &carol_pw).await;
    assert_eq!(s, 200, "{b}");

    t.clock.advance(chrono::Duration::minutes(16));
    let (s, b) = sign_in(server, fresh, "bob@example.com", &pw).await;
    assert_eq!(s, 200, "the window has passed: {b}");
}
