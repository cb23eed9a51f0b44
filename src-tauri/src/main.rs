//! Entry point of the `keydesk` binary: hands over to the library and turns a
//! startup failure into a message and a non-zero exit code.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(error) = keydesk_desktop::run() {
        eprintln!("keydesk: {error}");
        std::process::exit(1);
    }
}
