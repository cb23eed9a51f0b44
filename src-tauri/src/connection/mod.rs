//! Which backend the window talks to, and switching it: the local store, or
//! one of the saved servers ("profiles") while signed in to it. Owns the
//! profiles file (`profiles.json` in the data folder: server addresses and
//! account names, never a credential), signing in and out, and the session
//! token's trip to and from the keychain (keychain.rs).
//!
//! `Connection` is itself a `Backend`: every call goes to the current
//! backend, and an `unauthorized` answer from a server (the session expired
//! or was revoked) signs the window out of that profile — the token is
//! forgotten, the profile is kept, and the sign-in screen says why.
//!
//! The types the window sees and `status` are in status.rs, signing in and
//! out in session.rs, the profiles file in profiles.rs, the current source
//! in source.rs, and the `Backend` calls passed on in forward.rs.

mod forward;
mod profiles;
mod session;
mod source;
mod status;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::RwLock;

use crate::backend::UnavailableBackend;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::keychain::{Remembered, SessionVault};
use crate::local::LocalBackend;
use crate::remote::{CredentialKind, Profile, RemoteBackend};
use crate::team::TeamPolicy;

pub use profiles::PROFILES_FILE;
pub use session::{session_ended_notice, AdminKeySignIn, PasswordSignIn, SecretInput};
pub use status::{ConnectionKind, ConnectionStatus};

use profiles::{read_profiles, SavedProfiles};

/// What the app shell hears from the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// A list shown from the cache was refreshed with something new.
    Refreshed { kind: String },
    /// Signed in, out, switched, or went offline or back online.
    Changed,
}

pub type ConnectionListener = Arc<dyn Fn(ConnectionEvent) + Send + Sync>;

enum Current {
    Local(Arc<LocalBackend>),
    Remote {
        profile: Profile,
        backend: Box<RemoteBackend>,
        remembered: Remembered,
    },
    SignedOut {
        profile: Profile,
        notice: Option<String>,
    },
    /// No data folder, or the local store would not open.
    Broken(Arc<UnavailableBackend>),
}

/// The current source and its generation, which grows with every switch:
/// an answer that arrives late says which generation it was asked of, so it
/// can never sign out a source that replaced it.
struct Slot {
    current: Current,
    generation: u64,
}

pub struct Connection {
    data_dir: Option<PathBuf>,
    vault: SessionVault,
    slot: RwLock<Slot>,
    saved: Mutex<SavedProfiles>,
    listener: Mutex<Option<ConnectionListener>>,
    /// The team's rules (team.rs), when the installation has any.
    team: Option<TeamPolicy>,
    this: Weak<Connection>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Opens what the app used last: the local store, or the active profile
    /// with its token from the keychain (no server contact, so the window
    /// opens at once from the cache). `data_dir` is `None` when the platform
    /// gave no data folder; every call then says so.
    pub async fn open(data_dir: Option<PathBuf>, vault: SessionVault) -> Arc<Self> {
        Self::open_for_team(data_dir, vault, None).await
    }

    /// Like `open`, held to a team's rules: a saved profile on a server the
    /// team does not allow is not resumed, and without the local store the
    /// app starts on the sign-in screen of the team's server.
    pub async fn open_for_team(
        data_dir: Option<PathBuf>,
        vault: SessionVault,
        team: Option<TeamPolicy>,
    ) -> Arc<Self> {
        let saved = data_dir.as_deref().map(read_profiles).unwrap_or_default();
        let connection = Arc::new_cyclic(|this| Connection {
            data_dir,
            vault,
            slot: RwLock::new(Slot {
                current: Current::Broken(Arc::new(UnavailableBackend::new("starting"))),
                generation: 0,
            }),
            saved: Mutex::new(saved.clone()),
            listener: Mutex::new(None),
            team,
            this: this.clone(),
        });
        let opened = match saved
            .active
            .and_then(|id| saved.profiles.into_iter().find(|p| p.id == id))
            .filter(|profile| connection.team_allows_server(&profile.server_url).is_ok())
        {
            Some(profile) => connection.resume(profile).await,
            None => match connection.team_allows_local() {
                Ok(()) => connection.local().await,
                Err(_) => connection.team_sign_in(),
            },
        };
        connection.install(opened).await;
        connection
    }

    /// Who hears refreshes and connection changes (the app shell, which
    /// passes them on to the window).
    pub fn set_listener(&self, listener: ConnectionListener) {
        *self.listener.lock().expect("listener lock") = Some(listener);
    }

    fn tell(&self, event: ConnectionEvent) {
        let listener = self.listener.lock().ok().and_then(|l| l.clone());
        if let Some(listener) = listener {
            listener(event);
        }
    }

    /// Refuses a server the team does not allow, naming the sign-in
    /// form's field.
    fn team_allows_server(&self, server_url: &str) -> AppResult<()> {
        match &self.team {
            Some(team) => team
                .allows_server(server_url)
                .map_err(|why| AppError::validation("server_url", why)),
            None => Ok(()),
        }
    }

    /// Refuses the local store when the team turned it off.
    fn team_allows_local(&self) -> AppResult<()> {
        match self.team.as_ref().and_then(TeamPolicy::refuses_local) {
            Some(why) => Err(AppError::new(ErrorCode::Forbidden, why)),
            None => Ok(()),
        }
    }

    /// The sign-in screen of the team's server, for a first start without
    /// the local store (no account yet: the form asks for it).
    fn team_sign_in(&self) -> Current {
        let team = self.team.as_ref();
        let server = team
            .and_then(|t| t.default_server_url.clone())
            .unwrap_or_default();
        Current::SignedOut {
            profile: Profile::new(&server, "", CredentialKind::Session),
            notice: team.and_then(|t| t.problem.clone()),
        }
    }

    fn data_dir(&self) -> AppResult<PathBuf> {
        self.data_dir
            .clone()
            .ok_or_else(|| AppError::unavailable(NO_DATA_DIR))
    }
}

const NO_DATA_DIR: &str =
    "no data folder: the platform gave no app-data directory and KEYDESK_DATA_DIR is not set";
