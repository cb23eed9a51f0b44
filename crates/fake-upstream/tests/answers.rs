//! The fake provider starts, says where it listens, and answers a chat
//! completion with the usage the gateway's tests count on. (Having a test
//! here also makes `cargo test --workspace` build the binary they start.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn a_chat_completion_reports_prompt_tokens_as_a_quarter_of_the_text_bytes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keydesk-fake-upstream")).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_owned();

    let body = r#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"12345678"}]}"#;
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains(r#""prompt_tokens":2"#) && out.contains(r#""completion_tokens":5"#), "{out}");
}
