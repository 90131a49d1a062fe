//! What operators run keeps secrets private: `./static-variables.py` writes
//! the runtime config itself, readable by its owner only, never over an
//! existing file and never to stdout; its default name is ignored by git;
//! and the scripts delete only the throwaway directories they made.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

#[test]
fn the_runtime_config_is_written_private_and_never_overwritten() {
    let root = e2e::repo_root();
    let dir = std::env::temp_dir().join(format!("auth-e2e-vars-{}", e2e::unique_number()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("runtime-config.toml");
    let secret = format!("a-secret-that-must-stay-private-{}", e2e::unique_number());
    let run = || {
        Command::new("python3")
            .arg(root.join("static-variables.py"))
            .arg(root.join("spin.toml"))
            .arg(&target)
            .env("SPIN_VARIABLE_JWT_SECRET", &secret)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let printed = [first.stdout, first.stderr].concat();
    assert!(
        !String::from_utf8_lossy(&printed).contains(&secret),
        "nothing secret printed"
    );
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.contains(&secret));

    std::fs::write(&target, "kept").unwrap();
    let second = run();
    assert!(!second.status.success(), "an existing file is refused");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_default_runtime_config_is_ignored_by_git() {
    let out = Command::new("git")
        .args(["check-ignore", "-q", "runtime-config.toml"])
        .current_dir(e2e::repo_root())
        .status()
        .unwrap();
    assert!(out.success(), "runtime-config.toml is not git-ignored");
}

#[test]
fn stopping_deletes_no_work_dir_it_did_not_make() {
    let root = e2e::repo_root();
    let theirs = std::env::temp_dir().join(format!("auth-e2e-theirs-{}", e2e::unique_number()));
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("precious"), "keep me").unwrap();
    let script = format!(
        "source {}/tests/support/servers.sh; WORK_DIR={}; stop_servers",
        root.display(),
        theirs.display()
    );
    let status = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        theirs.join("precious").exists(),
        "a WORK_DIR from outside was deleted"
    );

    // run.sh never adopts a WORK_DIR from its environment.
    let run = std::fs::read_to_string(root.join("run.sh")).unwrap();
    let unset = run.find("unset WORK_DIR").expect("run.sh unsets WORK_DIR");
    let first_use = run.find("$WORK_DIR").unwrap();
    assert!(unset < first_use);
    std::fs::remove_dir_all(&theirs).unwrap();
}
