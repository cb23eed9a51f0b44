//! Build script of the benchmark floor: tauri-build with no commands.
fn main() {
    tauri_build::build();
}
