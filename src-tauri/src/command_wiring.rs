//! Checks that the app's commands are wired the same in the three places
//! that must agree, read as text: the command list of src-tauri/build.rs
//! (tauri-build makes an `allow-<command>` permission of each entry), the
//! invoke handler in src-tauri/src, and the capability files in
//! src-tauri/capabilities (with the permission sets of permissions/, if any).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `path` as the repository names it, for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", shown(path)))
}

/// `text` without its `//` comments, so that a commented-out entry does not count.
fn without_line_comments(text: &str) -> String {
    text.lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text between `open` (the first one after `from`) and the `close`
/// that ends it.
fn delimited(text: &str, from: usize, open: char, close: char) -> &str {
    let start = from + text[from..].find(open).expect("an opening bracket") + open.len_utf8();
    let mut depth = 1;
    for (offset, c) in text[start..].char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return &text[start..start + offset];
            }
        }
    }
    panic!("unclosed {open} in {text:.80}...");
}

/// The string literals of `text`, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn duplicates<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<&'a String> {
    let mut seen = BTreeSet::new();
    names
        .into_iter()
        .filter(|name| !seen.insert(*name))
        .collect()
}

/// The Rust sources of the desktop shell, except this file, by path.
fn shell_sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, found: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") && !path.ends_with(file!()) {
                let text = without_line_comments(&read(&path));
                found.push((path, text));
            }
        }
    }
    let mut found = Vec::new();
    walk(&root().join("src-tauri/src"), &mut found);
    found
}

/// The `COMMANDS` list of src-tauri/build.rs: the app manifest's commands.
fn build_manifest() -> Vec<String> {
    let text = without_line_comments(&read(&root().join("src-tauri/build.rs")));
    let at = text
        .find("const COMMANDS")
        .expect("src-tauri/build.rs declares `const COMMANDS`");
    let value = at + text[at..].find('=').expect("COMMANDS has a value");
    quoted(delimited(&text, value, '[', ']'))
}

/// The commands given to the invoke handler's macro, by bare name.
fn invoke_handler(sources: &[(PathBuf, String)]) -> Vec<String> {
    let needle = concat!("generate_", "handler!");
    let lists: Vec<(&PathBuf, &str)> = sources
        .iter()
        .flat_map(|(path, text)| {
            text.match_indices(needle)
                .map(move |(at, _)| (path, delimited(text, at, '[', ']')))
        })
        .collect();
    assert_eq!(
        lists.len(),
        1,
        "expected one invoke handler in src-tauri/src, found {}: {lists:?}",
        lists.len()
    );
    lists[0]
        .1
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| entry.rsplit("::").next().unwrap().to_owned())
        .collect()
}

/// Every `#[tauri::command]` function of the desktop shell: name -> file.
fn command_functions(sources: &[(PathBuf, String)]) -> BTreeMap<String, PathBuf> {
    let attribute = concat!("#[tauri::", "command");
    let mut found = BTreeMap::new();
    for (path, text) in sources {
        for (at, _) in text.match_indices(attribute) {
            let rest = &text[at..];
            let name_at = rest.find("fn ").expect("a command attribute on a function") + 3;
            let name: String = rest[name_at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name, path.clone());
        }
    }
    found
}

/// Where the line setting `key` starts in a TOML table's body.
fn key_at(body: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The permission sets the app defines itself in permissions/*.toml (the
/// generated `allow-`/`deny-` ones under permissions/autogenerated aside):
/// identifier -> the permissions it grants.
fn permission_sets() -> BTreeMap<String, Vec<String>> {
    let dir = root().join("permissions");
    let mut sets = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return sets;
    };
    for path in entries.map(|e| e.unwrap().path()) {
        if path.is_dir() {
            assert!(
                path.ends_with("autogenerated"),
                "permissions in {} are not read by this test",
                shown(&path)
            );
            continue;
        }
        let text = read(&path);
        assert!(
            !text.contains("[[permission]]"),
            "{} defines its own [[permission]]s: teach this test to read them",
            shown(&path)
        );
        // The file's tables: (header, body); each `[[set]]` and `[default]` is a set.
        let mut tables = vec![(String::new(), String::new())];
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') && trimmed.ends_with(']') && !trimmed.contains(['"', ',']) {
                tables.push((trimmed.to_owned(), String::new()));
            } else {
                let body = &mut tables.last_mut().unwrap().1;
                body.push_str(line);
                body.push('\n');
            }
        }
        for (header, body) in tables {
            let name = match header.as_str() {
                "[default]" => Some("default".to_owned()),
                "[[set]]" => key_at(&body, "identifier").and_then(|at| {
                    quoted(body[at..].lines().next().unwrap())
                        .into_iter()
                        .next()
                }),
                _ => None,
            };
            if let (Some(name), Some(at)) = (name, key_at(&body, "permissions")) {
                sets.insert(name, quoted(delimited(&body, at, '[', ']')));
            }
        }
    }
    sets
}

/// The permissions each capability file grants: file -> permission identifiers.
fn capabilities() -> BTreeMap<PathBuf, Vec<String>> {
    fn walk(dir: &Path, found: &mut BTreeMap<PathBuf, Vec<String>>) {
        for path in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
            if path.is_dir() {
                walk(&path, found);
                continue;
            }
            assert!(
                path.extension().is_some_and(|ext| ext == "json"),
                "{}: only JSON capability files are read by this test",
                shown(&path)
            );
            let value: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
            let capabilities = match &value {
                serde_json::Value::Array(list) => list.clone(),
                serde_json::Value::Object(map) if map.contains_key("capabilities") => map
                    ["capabilities"]
                    .as_array()
                    .expect("a capabilities list")
                    .clone(),
                _ => vec![value.clone()],
            };
            let mut permissions = Vec::new();
            for capability in &capabilities {
                for permission in capability["permissions"]
                    .as_array()
                    .expect("a permissions list")
                {
                    let identifier = permission
                        .as_str()
                        .or_else(|| permission["identifier"].as_str());
                    permissions.push(identifier.expect("a permission identifier").to_owned());
                }
            }
            found.insert(path, permissions);
        }
    }
    let mut found = BTreeMap::new();
    walk(&root().join("src-tauri/capabilities"), &mut found);
    found
}

/// The permission tauri-build generates to allow `command`.
fn allow(command: &str) -> String {
    format!("allow-{}", command.replace('_', "-"))
}

#[test]
fn every_command_is_registered_built_and_allowed() {
    let sources = shell_sources();
    let manifest = build_manifest();
    let handler = invoke_handler(&sources);
    let functions = command_functions(&sources);
    let sets = permission_sets();
    let capabilities = capabilities();
    assert!(
        !handler.is_empty() && !manifest.is_empty(),
        "no commands found: is the parsing out of date?"
    );

    let mut problems = Vec::new();
    for name in duplicates(&manifest) {
        problems.push(format!("`{name}` is listed twice in src-tauri/build.rs"));
    }
    for name in duplicates(&handler) {
        problems.push(format!(
            "`{name}` is registered twice in the invoke handler"
        ));
    }
    for (path, permissions) in &capabilities {
        for name in duplicates(permissions) {
            problems.push(format!("{} lists `{name}` twice", shown(path)));
        }
    }

    // Registered <-> defined.
    for name in &handler {
        if !functions.contains_key(name) {
            problems.push(format!(
                "`{name}` is registered but no #[tauri::command] fn of that name exists"
            ));
        }
    }
    for (name, path) in &functions {
        if !handler.contains(name) {
            problems.push(format!(
                "`{name}` ({}) is a command the invoke handler does not register",
                shown(path)
            ));
        }
    }
    // Registered <-> in the build manifest.
    for name in &handler {
        if !manifest.contains(name) {
            problems.push(format!("`{name}` is registered but missing from COMMANDS in src-tauri/build.rs (so no permission can allow it)"));
        }
    }
    for name in &manifest {
        if !handler.contains(name) {
            problems.push(format!(
                "src-tauri/build.rs lists `{name}`, which the invoke handler does not register"
            ));
        }
    }

    // What the capabilities grant, sets expanded; each app permission they name must exist.
    let known_commands: BTreeMap<String, &String> =
        manifest.iter().map(|name| (allow(name), name)).collect();
    let mut granted = BTreeSet::new();
    let mut pending: Vec<(String, String)> = capabilities
        .iter()
        .flat_map(|(path, permissions)| permissions.iter().map(move |p| (shown(path), p.clone())))
        .collect();
    let mut expanded = BTreeSet::new();
    while let Some((source, permission)) = pending.pop() {
        if permission.contains(':') {
            continue; // core and plugin permissions: tauri-build checks those
        }
        if known_commands.contains_key(&permission) {
            granted.insert(permission);
        } else if let Some(members) = sets.get(&permission) {
            if expanded.insert(permission.clone()) {
                pending.extend(
                    members
                        .iter()
                        .map(|member| (format!("permission set `{permission}`"), member.clone())),
                );
            }
        } else if let Some(command) = permission.strip_prefix("deny-") {
            if !manifest
                .iter()
                .any(|name| name.replace('_', "-") == command)
            {
                problems.push(format!(
                    "{source} denies `{permission}`, but there is no such command"
                ));
            }
        } else {
            problems.push(format!(
                "{source} grants `{permission}`, which allows no command that exists"
            ));
        }
    }
    for name in &handler {
        if !granted.contains(&allow(name)) {
            problems.push(format!(
                "`{name}` is registered but no capability allows it (`{}`)",
                allow(name)
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "the app's commands do not agree:\n  - {}",
        problems.join("\n  - ")
    );
}

/// The windows each capability file is for: file -> window labels.
fn capability_windows() -> BTreeMap<PathBuf, Vec<String>> {
    capabilities()
        .into_keys()
        .map(|path| {
            let value: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
            let windows = value["windows"]
                .as_array()
                .unwrap_or_else(|| panic!("{} names no windows", shown(&path)))
                .iter()
                .map(|w| w.as_str().expect("a window label").to_owned())
                .collect();
            (path, windows)
        })
        .collect()
}

/// The window labels of tauri.conf.json.
fn configured_windows() -> Vec<String> {
    let config: serde_json::Value =
        serde_json::from_str(&read(&root().join("tauri.conf.json"))).unwrap();
    config["app"]["windows"]
        .as_array()
        .expect("tauri.conf.json lists windows")
        .iter()
        .map(|w| w["label"].as_str().expect("a window label").to_owned())
        .collect()
}

/// What the tray window may call: who the app acts as, the workspaces to
/// create a key in, one's own keys (list, create, delete: the backend
/// decides what is one's own), copying or saving a new key, the
/// notification and start-at-login settings, and bringing up the main
/// window. Anything more is a decision to make here, on purpose.
const TRAY_COMMANDS: &[&str] = &[
    "connection_status",
    "get_state",
    "list_workspaces",
    "list_keys",
    "create_key",
    "delete_key",
    "copy_secret",
    "clear_copied_secret",
    "save_env_file",
    "get_preferences",
    "set_preferences",
    "start_at_login",
    "set_start_at_login",
    "open_main_window",
];

#[test]
fn each_window_has_one_capability_of_its_own_and_the_tray_window_no_admin_command() {
    let windows = configured_windows();
    let by_file = capability_windows();
    let mut problems = Vec::new();
    for window in &windows {
        let files: Vec<_> = by_file
            .iter()
            .filter(|(_, named)| named.contains(window))
            .map(|(path, _)| shown(path))
            .collect();
        if files.len() != 1 {
            problems.push(format!(
                "window `{window}` is named by {} capability files ({files:?}); each window has exactly one",
                files.len()
            ));
        }
    }
    for (path, named) in &by_file {
        if named.len() != 1 || !windows.contains(&named[0]) {
            problems.push(format!(
                "{} is for {named:?}: a capability serves one window of tauri.conf.json",
                shown(path)
            ));
        }
    }

    let capabilities = capabilities();
    let tray: Vec<&String> = by_file
        .iter()
        .filter(|(_, named)| named.iter().any(|w| w == "tray"))
        .flat_map(|(path, _)| &capabilities[path])
        .collect();
    assert!(
        !tray.is_empty(),
        "no capability grants the tray window anything"
    );
    let allowed: Vec<String> = TRAY_COMMANDS.iter().map(|c| allow(c)).collect();
    for permission in tray {
        let app_command = !permission.contains(':');
        let plugin_ok = permission.starts_with("core:event:");
        if (app_command && !allowed.contains(permission)) || (!app_command && !plugin_ok) {
            problems.push(format!(
                "the tray window is granted `{permission}`, beyond what it needs ({TRAY_COMMANDS:?} and events)"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the windows' capabilities are off:\n  - {}",
        problems.join("\n  - ")
    );
}
