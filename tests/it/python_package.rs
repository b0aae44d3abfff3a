//! The Python package (`pyproject.toml`, `python/mockcloud/`) as a user gets
//! it: maturin builds the wheel (this crate's binary and the package), a
//! fresh venv installs it with the official clients, the wheel's `mockcloud
//! --version` runs with no Rust toolchain on `PATH`, and pytest runs the
//! plugin's own suite (`python/tests/`) from that venv.
//!
//! `.ci/run` installs maturin into `.venv` and the suite's requirements
//! into `.venv/wheelhouse` (installed from there offline; from the package
//! index when it is missing). MOCKCLOUD_SDK_PYTHON names another interpreter
//! (maturin is then looked for beside it, else in `.venv`). Where they are
//! missing the test says so and passes (`common::external`), unless
//! MOCKCLOUD_REQUIRE_EXTERNAL=1.

use crate::common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Tools {
    python: PathBuf,
    maturin: PathBuf,
}

/// The interpreter (MOCKCLOUD_SDK_PYTHON, else `.venv/bin/python`) and
/// maturin (beside it, else `.venv/bin/maturin`); or what is missing.
fn tools() -> Result<Tools, String> {
    let python = match std::env::var_os("MOCKCLOUD_SDK_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => common::venv_tool("python")?,
    };
    let beside = python.with_file_name("maturin");
    let maturin = if beside.is_file() {
        beside
    } else {
        common::venv_tool("maturin")?
    };
    Ok(Tools { python, maturin })
}

/// Runs `command`; panics with its output unless it exits 0.
fn run(what: &str, command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: {command:?} does not start: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {command:?}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `PATH` for the venv's programs: its `bin` first, then every entry of
/// this one that has no `cargo` or `rustc` (the Rust toolchain).
fn path_without_rust(venv_bin: &Path) -> OsString {
    let current = std::env::var_os("PATH").unwrap_or_default();
    let kept = std::env::split_paths(&current)
        .filter(|dir| !dir.join("cargo").exists() && !dir.join("rustc").exists());
    std::env::join_paths(std::iter::once(venv_bin.to_path_buf()).chain(kept)).unwrap()
}

/// A command in the fresh venv's world: its PATH without Rust, and none of
/// the variables that would point it elsewhere (a cargo-built binary, a
/// scenario, a toolchain).
fn venv_command(program: &Path, venv_bin: &Path) -> Command {
    let mut command = Command::new(program);
    command.env("PATH", path_without_rust(venv_bin));
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("MOCKCLOUD_")
            || name_text.starts_with("CARGO")
            || name_text.starts_with("RUSTUP")
            || name_text.starts_with("RUSTC")
            || ["PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"].contains(&name_text.as_ref())
        {
            command.env_remove(&name);
        }
    }
    command
}

#[test]
fn the_wheel_gives_a_mockcloud_command_and_a_pytest_plugin_whose_suite_passes() {
    let Some(Tools { python, maturin }) = common::external(
        "python_package::the_wheel_gives_a_mockcloud_command_and_a_pytest_plugin_whose_suite_passes",
        tools(),
    ) else {
        return;
    };
    let work = std::env::temp_dir().join(format!("mockcloud-python-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();

    // The wheel, from the `wheel` profile (the dev profile in a directory
    // of its own: a build here must not replace the binary other tests
    // start; `.ci/run` builds it ahead, so it is fresh); stored, not
    // deflated: it is unpacked once, next door.
    let wheels = work.join("wheels");
    run(
        "maturin build",
        Command::new(&maturin)
            .args([
                "build",
                "--locked",
                "--profile",
                "wheel",
                "--compression-method",
                "stored",
                "--out",
            ])
            .arg(&wheels)
            .current_dir(ROOT),
    );
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .expect("maturin wrote a wheel");

    // A fresh venv (pip comes from the outer interpreter: `pip --python`).
    let venv = work.join("venv");
    run(
        "python -m venv",
        Command::new(&python)
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv),
    );
    let venv_bin = venv.join("bin");
    let venv_python = venv_bin.join("python");
    let mut install = Command::new(&python);
    install
        .args(["-m", "pip", "--disable-pip-version-check", "--python"])
        .arg(&venv_python)
        .args(["install", "--quiet"]);
    let wheelhouse = Path::new(ROOT).join(".venv/wheelhouse");
    if wheelhouse.is_dir() {
        install
            .arg("--no-index")
            .arg("--find-links")
            .arg(&wheelhouse);
    }
    // With every extra: their requirements must agree with the suite's pins.
    let mut with_extras = wheel.into_os_string();
    with_extras.push("[all]");
    install
        .arg(with_extras)
        .args(["-r", "python/tests/requirements.txt"])
        .current_dir(ROOT);
    run("pip install the wheel", &mut install);

    // The wheel's command, where no Rust toolchain can be found.
    let no_rust = path_without_rust(&venv_bin);
    for tool in ["cargo", "rustc"] {
        assert!(
            std::env::split_paths(&no_rust).all(|dir| !dir.join(tool).exists()),
            "{tool} is still on {no_rust:?}"
        );
    }
    let version = run(
        "mockcloud --version",
        venv_command(&venv_bin.join("mockcloud"), &venv_bin).arg("--version"),
    );
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("mockcloud {}", env!("CARGO_PKG_VERSION"))
    );

    // The suite imports the installed package, not python/mockcloud.
    let tests = Path::new(ROOT).join("python/tests");
    let imported = run(
        "import mockcloud",
        venv_command(&venv_python, &venv_bin)
            .args(["-c", "import mockcloud; print(mockcloud.__file__)"])
            .current_dir(&tests),
    );
    let module = String::from_utf8_lossy(&imported.stdout);
    assert!(
        Path::new(module.trim()).starts_with(&venv),
        "mockcloud imported from {module}"
    );

    let output = venv_command(&venv_python, &venv_bin)
        .args(["-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider"])
        .arg("--basetemp")
        .arg(work.join("pytest"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(&tests)
        .output()
        .expect("pytest runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    let summary = report.lines().rev().find(|line| !line.trim().is_empty());
    let summary = summary.unwrap_or_default();
    // Every test ran: a client fixture skips where its SDK is missing.
    assert!(
        summary.contains(" passed") && !summary.contains("skipped"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&work);
}
