//! What the window shows of the connection: its kind, the profiles, offline and why signed out.

use serde::Serialize;

use crate::keychain::Remembered;
use crate::remote::{OfflineInfo, Profile};
use crate::team::TeamPolicy;

use super::{Connection, Current};

/// Where the window's data comes from right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// The app's own SQLite file.
    Local,
    /// Signed in to the active profile's server.
    Remote,
    /// The active profile's server is chosen, but nobody is signed in.
    SignedOut,
}

/// Everything the window needs to show the connection: the profile switcher,
/// the offline banner, the sign-in screen and its message.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConnectionStatus {
    pub kind: ConnectionKind,
    /// The active profile (remote or signed out); `None` in local mode.
    pub profile: Option<Profile>,
    pub profiles: Vec<Profile>,
    /// Where the session token went (remote mode only).
    pub remembered: Option<Remembered>,
    /// Set while the lists shown come from the cache.
    pub offline: Option<OfflineInfo>,
    /// Why the window is signed out, when it did not ask to be.
    pub notice: Option<String>,
    /// The team's rules, when the installation has any: the sign-in screen
    /// starts at its server, and offers the local store only if allowed.
    pub team: Option<TeamPolicy>,
}

impl Connection {
    pub async fn status(&self) -> ConnectionStatus {
        // Profiles on servers the team does not allow are not offered.
        let profiles: Vec<Profile> = self
            .saved
            .lock()
            .expect("profiles lock")
            .profiles
            .iter()
            .filter(|p| self.team_allows_server(&p.server_url).is_ok())
            .cloned()
            .collect();
        let slot = self.slot.read().await;
        let (kind, profile, remembered, offline, notice) = match &slot.current {
            Current::Local(_) | Current::Broken(_) => {
                (ConnectionKind::Local, None, None, None, None)
            }
            Current::Remote {
                profile,
                backend,
                remembered,
            } => (
                ConnectionKind::Remote,
                Some(profile.clone()),
                Some(remembered.clone()),
                backend.offline_status(),
                None,
            ),
            Current::SignedOut { profile, notice } => (
                ConnectionKind::SignedOut,
                Some(profile.clone()),
                None,
                None,
                notice.clone(),
            ),
        };
        ConnectionStatus {
            kind,
            profile,
            profiles,
            remembered,
            offline,
            notice,
            team: self.team.clone(),
        }
    }
}
