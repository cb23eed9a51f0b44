//! Signing in to a server and out of it, and a session the server ends.

use keydesk_core::secret::Sensitive;
use serde::Deserialize;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::remote::{parse_server_url, Profile, RemoteBackend};

use super::status::ConnectionStatus;
use super::{Connection, ConnectionEvent, Current};

/// A password or key typed into the sign-in form: wrapped the moment it is
/// read, so it never shows in `Debug` output.
#[derive(Debug)]
pub struct SecretInput(pub Sensitive<String>);

impl<'de> Deserialize<'de> for SecretInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| SecretInput(Sensitive::new(text)))
    }
}

/// Sign in to a Keydesk server with email and password.
#[derive(Debug, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PasswordSignIn {
    pub server_url: String,
    pub email: String,
    #[ts(type = "string")]
    pub password: SecretInput,
}

/// Connect to an organization with an Admin API key.
#[derive(Debug, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AdminKeySignIn {
    pub server_url: String,
    #[ts(type = "string")]
    pub api_key: SecretInput,
}

impl Connection {
    /// Signs in with email and password; the token goes to the keychain
    /// (or, when there is none, stays in memory and the status says so).
    pub async fn sign_in(&self, input: PasswordSignIn) -> AppResult<ConnectionStatus> {
        parse_server_url(&input.server_url)?;
        self.team_allows_server(&input.server_url)?;
        if input.email.trim().is_empty() {
            return Err(AppError::validation(
                "email",
                "enter the email address of your account",
            ));
        }
        if input.password.0.expose().is_empty() {
            return Err(AppError::validation("password", "enter your password"));
        }
        let dir = self.data_dir()?;
        let backend =
            RemoteBackend::sign_in(&input.server_url, &input.email, input.password.0, &dir)
                .await
                .map_err(sign_in_error)?;
        self.signed_in(backend).await
    }

    /// Connects with an Admin API key (an organization hosted by the
    /// platform); the key is kept like a session token.
    pub async fn sign_in_with_key(&self, input: AdminKeySignIn) -> AppResult<ConnectionStatus> {
        parse_server_url(&input.server_url)?;
        self.team_allows_server(&input.server_url)?;
        if input.api_key.0.expose().trim().is_empty() {
            return Err(AppError::validation("api_key", "paste the Admin API key"));
        }
        let dir = self.data_dir()?;
        let key = Sensitive::new(input.api_key.0.expose().trim().to_owned());
        let backend = RemoteBackend::with_admin_key(&input.server_url, key, &dir)
            .await
            .map_err(|e| {
                if e.code == ErrorCode::Unauthorized {
                    AppError::new(
                        ErrorCode::Unauthorized,
                        "the server did not accept this key",
                    )
                    .with_field("api_key")
                } else {
                    e
                }
            })?;
        self.signed_in(backend).await
    }

    async fn signed_in(&self, backend: RemoteBackend) -> AppResult<ConnectionStatus> {
        let profile = backend.profile().clone();
        let remembered = self
            .vault
            .remember(&profile.session_key(), backend.token())
            .await;
        self.save(|saved| {
            saved.profiles.retain(|p| p.id != profile.id);
            saved.profiles.push(profile.clone());
            saved.active = Some(profile.id.clone());
        })?;
        self.install(Current::Remote {
            profile,
            backend: Box::new(backend),
            remembered,
        })
        .await;
        Ok(self.status().await)
    }

    /// Ends the session: in the keychain and on this computer always, and on
    /// the server when it answers. The profile stays, so signing in again is
    /// one step. When the server could not be told, the sign-in screen says
    /// so.
    pub async fn sign_out(&self) -> AppResult<ConnectionStatus> {
        let (profile, backend, generation) = {
            let mut slot = self.slot.write().await;
            let Current::Remote { profile, .. } = &slot.current else {
                return Err(AppError::new(
                    ErrorCode::Validation,
                    "not signed in to a server",
                ));
            };
            let signed_out = Current::SignedOut {
                profile: profile.clone(),
                notice: None,
            };
            slot.generation += 1;
            let Current::Remote {
                profile, backend, ..
            } = std::mem::replace(&mut slot.current, signed_out)
            else {
                unreachable!("checked above")
            };
            (profile, backend, slot.generation)
        };
        // The window is signed out from here on; the slow parts follow
        // without holding up other calls.
        backend.set_listener(None);
        let mut problems = Vec::new();
        match backend.sign_out().await {
            Ok(()) => {}
            Err(e) if e.code == ErrorCode::Unavailable => problems.push(
                "the server could not be reached to end the session there; it ends when it expires"
                    .to_owned(),
            ),
            Err(e) => problems.push(format!(
                "the server did not end the session ({}); it ends when it expires",
                e.message
            )),
        }
        if let Err(e) = self.vault.forget(&profile.session_key()).await {
            if e.code != ErrorCode::KeychainUnavailable {
                problems.push(format!(
                    "the session could not be removed from the keychain: {}",
                    e.message
                ));
            }
        }
        backend.forget_cached().await;
        backend.close().await;
        if !problems.is_empty() {
            let notice = format!(
                "Signed out on this computer, but {}.",
                problems.join("; and ")
            );
            let mut slot = self.slot.write().await;
            if slot.generation == generation {
                slot.current = Current::SignedOut {
                    profile,
                    notice: Some(notice),
                };
            }
        }
        self.tell(ConnectionEvent::Changed);
        Ok(self.status().await)
    }

    /// Removes a profile's token from memory and the keychain. A keychain
    /// that cannot be reached holds nothing of ours to remove (the token
    /// could not be stored there either), so that is no reason to fail.
    pub(super) async fn forget_token(&self, profile: &Profile) {
        if let Err(e) = self.vault.forget(&profile.session_key()).await {
            eprintln!("keydesk: {e}");
        }
    }

    /// The server refused the credential of the source of `generation`:
    /// forget it, keep the profile, and send the window to the sign-in
    /// screen with the reason. Nothing happens when that source has been
    /// replaced since.
    pub(super) async fn session_ended(&self, generation: u64) {
        let (profile, backend) = {
            let mut slot = self.slot.write().await;
            if slot.generation != generation {
                return;
            }
            let Current::Remote { profile, .. } = &slot.current else {
                return;
            };
            let signed_out = Current::SignedOut {
                profile: profile.clone(),
                notice: Some(session_ended_notice(&profile.server_url)),
            };
            slot.generation += 1;
            let Current::Remote {
                profile, backend, ..
            } = std::mem::replace(&mut slot.current, signed_out)
            else {
                unreachable!("checked above")
            };
            (profile, backend)
        };
        backend.set_listener(None);
        self.forget_token(&profile).await;
        backend.close().await;
        self.tell(ConnectionEvent::Changed);
    }
}

/// Why the window is signed out when the server refused the session: the
/// sign-in screen shows it, and the notifier knows this sign-out by it (a
/// sign-out asked for has no notice, or another one).
pub fn session_ended_notice(server_url: &str) -> String {
    format!(
        "Your session on {server_url} has ended (it expired, or was signed out elsewhere). Sign in again to continue."
    )
}

/// A refused sign-in names no part of what was wrong (the server does not
/// say either); the message sits under the password field.
fn sign_in_error(error: AppError) -> AppError {
    if error.code == ErrorCode::Unauthorized {
        AppError::new(
            ErrorCode::Unauthorized,
            "wrong email or password, or too many attempts: check them, or wait a few minutes",
        )
        .with_field("password")
    } else {
        error
    }
}
