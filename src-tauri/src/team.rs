//! Team provisioning: a `team.json` that a team ships with its installer (or
//! an administrator puts on the machine) to pre-set Keydesk for its people:
//! the server to sign in to, the only servers allowed, whether the local
//! store may be used, and the expiry new keys start with. Owns finding the
//! file, reading and checking it, and the rules it sets; the connection
//! enforces them (connection/), the window shows them.
//!
//! Where it is looked for, first found wins:
//! 1. the file `KEYDESK_TEAM_FILE` names (for administrators and tests);
//! 2. the machine-wide file: `/etc/keydesk/team.json` on Linux,
//!    `/Library/Application Support/Keydesk/team.json` on macOS,
//!    `%ProgramData%\Keydesk\team.json` on Windows;
//! 3. `team.json` among the app's bundled resources (what `scripts/team-build`
//!    puts in a team's installer).
//!
//! A file that is there but cannot be read or is not valid does not fall back
//! to "no rules": the app then allows no server and no local store, and says
//! why, rather than quietly ignoring what the team asked for.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::remote::parse_server_url;

/// The environment variable naming a team file to use instead of the others.
pub const TEAM_FILE_ENV: &str = "KEYDESK_TEAM_FILE";
/// The file's name, machine-wide and among the bundled resources.
pub const TEAM_FILE_NAME: &str = "team.json";

/// The file as written by a team.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamFile {
    /// The server the sign-in screen starts with.
    default_server_url: Option<String>,
    /// The only servers one may sign in to; empty or absent: any.
    #[serde(default)]
    allowed_servers: Vec<String>,
    /// Whether the local store may be used (default: yes).
    local_mode: Option<bool>,
    /// The expiry new keys start with, in days.
    default_key_expiry_days: Option<u32>,
}

/// The rules in force, as the window sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TeamPolicy {
    /// Where the rules come from (a path), for the window to say.
    pub source: String,
    pub default_server_url: Option<String>,
    /// Normalized server addresses (no trailing slash); empty: any server.
    pub allowed_servers: Vec<String>,
    pub local_mode: bool,
    pub default_key_expiry_days: Option<u32>,
    /// Set when the file could not be used: nothing is allowed, and this
    /// says why.
    pub problem: Option<String>,
}

/// A server address as profiles keep it: parsed, without the trailing slash.
fn normalized(url: &str) -> Option<String> {
    parse_server_url(url)
        .ok()
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
}

impl TeamPolicy {
    /// Reads and checks the team file at `path`.
    pub fn read(path: &Path) -> TeamPolicy {
        let source = path.display().to_string();
        let file = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|text| {
                serde_json::from_str::<TeamFile>(&text).map_err(|e| format!("it is not valid: {e}"))
            });
        match file.and_then(TeamPolicy::checked) {
            Ok(mut policy) => {
                policy.source = source;
                policy
            }
            Err(why) => TeamPolicy::refusing(source, why),
        }
    }

    fn checked(file: TeamFile) -> Result<TeamPolicy, String> {
        let mut allowed = Vec::new();
        for url in &file.allowed_servers {
            allowed.push(normalized(url).ok_or_else(|| {
                format!("allowed_servers: {url:?} is not a server address Keydesk can use")
            })?);
        }
        let default_server_url = match &file.default_server_url {
            Some(url) => Some(normalized(url).ok_or_else(|| {
                format!("default_server_url: {url:?} is not a server address Keydesk can use")
            })?),
            None => None,
        };
        let local_mode = file.local_mode.unwrap_or(true);
        if let Some(default) = &default_server_url {
            if !allowed.is_empty() && !allowed.contains(default) {
                return Err(format!(
                    "default_server_url {default} is not among allowed_servers"
                ));
            }
        }
        if !local_mode && default_server_url.is_none() {
            return Err(
                "with local_mode false, default_server_url must name the server to sign in to"
                    .to_owned(),
            );
        }
        if file.default_key_expiry_days == Some(0) {
            return Err("default_key_expiry_days must be at least 1".to_owned());
        }
        Ok(TeamPolicy {
            source: String::new(),
            default_server_url,
            allowed_servers: allowed,
            local_mode,
            default_key_expiry_days: file.default_key_expiry_days,
            problem: None,
        })
    }

    fn refusing(source: String, why: String) -> TeamPolicy {
        TeamPolicy {
            problem: Some(format!(
                "The team settings in {source} cannot be used ({why}); ask whoever installed Keydesk to fix them."
            )),
            source,
            default_server_url: None,
            allowed_servers: Vec::new(),
            local_mode: false,
            default_key_expiry_days: None,
        }
    }

    /// Whether signing in to `server_url` is allowed; otherwise why not, in
    /// words for the sign-in form.
    pub fn allows_server(&self, server_url: &str) -> Result<(), String> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        if self.allowed_servers.is_empty() {
            return Ok(());
        }
        match normalized(server_url) {
            Some(url) if self.allowed_servers.contains(&url) => Ok(()),
            _ => Err(format!(
                "this installation of Keydesk signs in only to {}",
                self.allowed_servers.join(", ")
            )),
        }
    }

    /// Why the local store may not be used, if it may not.
    pub fn refuses_local(&self) -> Option<String> {
        if let Some(problem) = &self.problem {
            return Some(problem.clone());
        }
        (!self.local_mode).then(|| {
            "this installation of Keydesk works only with a server: the local store is turned off"
                .to_owned()
        })
    }
}

/// The machine-wide team file's place on this platform.
pub fn machine_wide_path() -> Option<PathBuf> {
    if cfg!(target_os = "windows") {
        std::env::var_os("ProgramData")
            .map(|dir| PathBuf::from(dir).join("Keydesk").join(TEAM_FILE_NAME))
    } else if cfg!(target_os = "macos") {
        Some(PathBuf::from("/Library/Application Support/Keydesk").join(TEAM_FILE_NAME))
    } else {
        Some(PathBuf::from("/etc/keydesk").join(TEAM_FILE_NAME))
    }
}

/// The team rules, if a team file is found (see the module's comment for
/// where); `resource_dir` is the app's bundled resources folder.
pub fn find(resource_dir: Option<&Path>) -> Option<TeamPolicy> {
    let named = std::env::var_os(TEAM_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    if let Some(path) = named {
        // Named on purpose: missing is a problem, not "no rules".
        return Some(TeamPolicy::read(&path));
    }
    let candidates = [
        machine_wide_path(),
        resource_dir.map(|dir| dir.join(TEAM_FILE_NAME)),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|path| path.exists())
        .map(|path| TeamPolicy::read(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> TeamPolicy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TEAM_FILE_NAME);
        std::fs::write(&path, json).unwrap();
        TeamPolicy::read(&path)
    }

    #[test]
    fn a_team_without_local_mode_is_held_to_its_servers() {
        let team = policy(
            r#"{"default_server_url": "https://keys.acme.example/",
                "allowed_servers": ["https://keys.acme.example", "https://backup.acme.example"],
                "local_mode": false, "default_key_expiry_days": 30}"#,
        );
        assert_eq!(team.problem, None);
        assert_eq!(
            team.default_server_url.as_deref(),
            Some("https://keys.acme.example")
        );
        assert!(team.refuses_local().is_some());
        assert_eq!(team.allows_server("https://keys.acme.example/"), Ok(()));
        assert_eq!(team.allows_server("https://backup.acme.example"), Ok(()));
        let refused = team.allows_server("https://elsewhere.example").unwrap_err();
        assert!(refused.contains("https://keys.acme.example"), "{refused}");
        assert_eq!(team.default_key_expiry_days, Some(30));
    }

    #[test]
    fn no_allowed_list_allows_any_server_and_local_mode_is_on_by_default() {
        let team = policy(r#"{"default_server_url": "https://keys.acme.example"}"#);
        assert_eq!(team.allows_server("https://other.example"), Ok(()));
        assert_eq!(team.refuses_local(), None);
    }

    #[test]
    fn a_broken_team_file_allows_nothing_and_says_why() {
        for (json, says) in [
            ("{not json", "not valid"),
            (r#"{"local_mode": false}"#, "default_server_url must name"),
            (
                r#"{"default_server_url": "https://a.example", "allowed_servers": ["https://b.example"]}"#,
                "not among allowed_servers",
            ),
            (
                r#"{"allowed_servers": ["ftp://files.example"]}"#,
                "allowed_servers",
            ),
            (r#"{"local_mod": true}"#, "local_mod"),
        ] {
            let team = policy(json);
            let problem = team.problem.clone().unwrap_or_default();
            assert!(problem.contains(says), "{json}: {problem}");
            assert!(team.refuses_local().is_some(), "{json}");
            assert!(team.allows_server("https://a.example").is_err(), "{json}");
        }
    }

    #[test]
    fn a_named_team_file_that_is_missing_is_a_problem_not_freedom() {
        let team = TeamPolicy::read(Path::new("/nonexistent/keydesk/team.json"));
        assert!(team.problem.unwrap().contains("cannot read it"));
    }
}
