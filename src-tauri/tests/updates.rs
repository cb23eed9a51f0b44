//! Signed updates end to end on loopback: key pairs made and artifacts
//! signed by the Tauri CLI (as a release is), a feed (`latest.json`) and the
//! artifacts served over HTTP on 127.0.0.1, and the app's updater code
//! (`keydesk_desktop::updates`) with the real updater plugin, built with the
//! public half of one key. A good artifact is found and verified; the same
//! artifact with one byte changed, or one signed with another key, is
//! refused with a clear message before anything could be installed; a
//! build without an update key does not update at all.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use keydesk_desktop::error::ErrorCode;
use keydesk_desktop::updates;
use serde_json::json;
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};

/// The Tauri CLI the UI's npm packages bring (`npm ci` in ui/).
fn tauri_cli() -> PathBuf {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/.bin/tauri");
    assert!(
        cli.exists(),
        "the Tauri CLI is missing at {} (run npm ci in ui/)",
        cli.display()
    );
    cli
}

fn run(command: &mut Command) {
    let output = command.output().expect("the Tauri CLI runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A throwaway key pair (no password); returns the public key as the
/// configuration takes it, and the private key file.
fn key_pair(dir: &Path, name: &str) -> (String, PathBuf) {
    let private = dir.join(name);
    run(Command::new(tauri_cli())
        .args(["signer", "generate", "--ci", "-p", "", "-w"])
        .arg(&private));
    let public = std::fs::read_to_string(private.with_extension("key.pub"))
        .or_else(|_| std::fs::read_to_string(format!("{}.pub", private.display())))
        .expect("the public key file");
    (public.trim().to_owned(), private)
}

/// Signs `file` with `key`; returns the signature as the feed carries it.
fn sign(file: &Path, key: &Path) -> String {
    run(Command::new(tauri_cli())
        .env_remove("TAURI_SIGNING_PRIVATE_KEY")
        .args(["signer", "sign", "-p", "", "-f"])
        .arg(key)
        .arg(file));
    std::fs::read_to_string(format!("{}.sig", file.display()))
        .expect("the .sig file")
        .trim()
        .to_owned()
}

/// Serves the files of `dir` over HTTP on 127.0.0.1 (GET only, one request
/// per connection) from a thread; returns the base address.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) <= 2 {
                    break;
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let file = dir.join(path.trim_start_matches('/'));
            let mut stream = stream;
            let _ = match std::fs::read(&file) {
                Ok(body) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| stream.write_all(&body)),
                Err(_) => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    base
}

const NOTES: &str = "Faster key list; the tray remembers your workspace.";

/// A feed offering 0.2.0 with `artifact` and `signature`, served from `dir`.
fn feed(dir: &Path, artifact: &str, signature: &str) -> String {
    let base = serve(dir.to_owned());
    let latest = json!({
        "version": "0.2.0",
        "notes": NOTES,
        "pub_date": "2026-12-01T12:00:00Z",
        "platforms": {
            format!("linux-{}", std::env::consts::ARCH): { "url": format!("{base}/{artifact}"), "signature": signature },
            format!("darwin-{}", std::env::consts::ARCH): { "url": format!("{base}/{artifact}"), "signature": signature },
            format!("windows-{}", std::env::consts::ARCH): { "url": format!("{base}/{artifact}"), "signature": signature },
        }
    });
    std::fs::write(dir.join("latest.json"), latest.to_string()).unwrap();
    format!("{base}/latest.json")
}

/// The app at version 0.1.0, built with `updater` as its `plugins.updater`
/// configuration (none: a dev build).
fn app(updater: Option<serde_json::Value>) -> tauri::App<MockRuntime> {
    let mut context = mock_context(noop_assets());
    if let Some(updater) = updater {
        context
            .config_mut()
            .plugins
            .0
            .insert("updater".into(), updater);
    }
    let app = mock_builder().build(context).expect("the app builds");
    updates::install_plugin(app.handle()).expect("the updater plugin");
    app
}

fn release_config(pubkey: &str, endpoint: &str) -> serde_json::Value {
    json!({ "pubkey": pubkey, "endpoints": [endpoint], "dangerousInsecureTransportProtocol": true })
}

/// The release artifact of 0.2.0, in a folder of its own; returns the folder.
fn artifact(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keydesk-0.2.0.bin"), bytes).unwrap();
    dir
}

const ARTIFACT_BYTES: &[u8] = b"the bytes of Keydesk 0.2.0, as a release would ship them";

#[tokio::test]
async fn a_signed_update_is_found_with_its_notes_and_verified() {
    let keys = tempfile::tempdir().unwrap();
    let (public, private) = key_pair(keys.path(), "release.key");
    let served = artifact(ARTIFACT_BYTES);
    let signature = sign(&served.path().join("keydesk-0.2.0.bin"), &private);
    let endpoint = feed(served.path(), "keydesk-0.2.0.bin", &signature);
    let app = app(Some(release_config(&public, &endpoint)));

    let offer = updates::check(app.handle())
        .await
        .unwrap()
        .expect("0.2.0 is offered");
    assert_eq!(offer.version, "0.2.0");
    assert_eq!(offer.current_version, "0.1.0");
    assert_eq!(offer.notes.as_deref(), Some(NOTES));

    let (_, bytes) = updates::download_verified(app.handle(), "0.2.0")
        .await
        .expect("a good signature is accepted");
    assert_eq!(bytes, ARTIFACT_BYTES);
}

#[tokio::test]
async fn an_artifact_with_one_byte_changed_is_refused() {
    let keys = tempfile::tempdir().unwrap();
    let (public, private) = key_pair(keys.path(), "release.key");
    let served = artifact(ARTIFACT_BYTES);
    let file = served.path().join("keydesk-0.2.0.bin");
    let signature = sign(&file, &private);
    let mut tampered = ARTIFACT_BYTES.to_vec();
    tampered[10] ^= 0x01;
    std::fs::write(&file, &tampered).unwrap();
    let endpoint = feed(served.path(), "keydesk-0.2.0.bin", &signature);
    let app = app(Some(release_config(&public, &endpoint)));

    let Err(refused) = updates::download_verified(app.handle(), "0.2.0").await else {
        panic!("a changed artifact is refused");
    };
    assert_eq!(refused.code, ErrorCode::Forbidden, "{refused:?}");
    assert!(
        refused.message.contains("signature does not match")
            && refused.message.contains("Nothing was installed"),
        "{}",
        refused.message
    );
}

#[tokio::test]
async fn an_artifact_signed_with_another_key_is_refused() {
    let keys = tempfile::tempdir().unwrap();
    let (public, _) = key_pair(keys.path(), "release.key");
    let (_, intruder) = key_pair(keys.path(), "intruder.key");
    let served = artifact(ARTIFACT_BYTES);
    let signature = sign(&served.path().join("keydesk-0.2.0.bin"), &intruder);
    let endpoint = feed(served.path(), "keydesk-0.2.0.bin", &signature);
    let app = app(Some(release_config(&public, &endpoint)));

    let Err(refused) = updates::download_verified(app.handle(), "0.2.0").await else {
        panic!("another key's signature is refused");
    };
    assert_eq!(refused.code, ErrorCode::Forbidden, "{refused:?}");
    assert!(
        refused.message.contains("signature does not match"),
        "{}",
        refused.message
    );
}

#[tokio::test]
async fn a_build_without_an_update_key_never_updates() {
    let app = app(None);
    let refused = updates::check(app.handle()).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Unavailable);
    assert!(
        refused.message.contains("does not update itself"),
        "{}",
        refused.message
    );
}
