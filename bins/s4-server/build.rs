//! Records the commit the binary is built from for `s4_build_info`: `S4_BUILD_COMMIT` if set
//! (release builds from a tarball), else `git rev-parse --short=12 HEAD` of the source tree,
//! else `unknown`. Never the network.

fn main() {
    println!("cargo:rerun-if-env-changed=S4_BUILD_COMMIT");
    let commit = std::env::var("S4_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(git_head)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=S4_BUILD_COMMIT={commit}");
}

fn git_head() -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    // Rebuild when HEAD moves (a worktree's .git is a file; the path is asked of git).
    if let Ok(out) = std::process::Command::new("git")
        .args(["rev-parse", "--git-path", "HEAD"])
        .output()
    {
        let head = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !head.is_empty() {
            println!("cargo:rerun-if-changed={head}");
        }
    }
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!commit.is_empty()).then_some(commit)
}
