//! Documentation that runs: the shell examples of `README.md` and
//! `docs/*.md` are run against a fresh server, so they cannot go stale.
//!
//! The convention (docs/README.md says the same for writers):
//!
//! - A fenced block whose info string is exactly `sh` or `bash` is run. A
//!   file's blocks run in order in one `bash -Eeuo pipefail` session, so a
//!   variable one block sets (`POLICY_ID=$(curl ... | jq -r .id)`) is there
//!   in the next. Each file gets a fresh in-process server of the default
//!   scenario, an empty temporary working directory, and the `mockcloud`
//!   binary on `PATH`. `localhost:8080` and `127.0.0.1:8080` in those blocks
//!   are rewritten to that server's address, so the docs show the address a
//!   reader uses (`M=http://localhost:8080`).
//! - `sh no-run` (or `bash no-run`) is a command shown but not run: one that
//!   starts a server, builds, installs, or needs Docker, Python or cargo.
//!   Output is `text`; files are `json`, `toml`, `yaml`, `rust`, `python`.
//!   Any other info string that starts with a shell's name (`shell`,
//!   `console`, `zsh`, `sh-session`, ...) is refused, so a typo cannot take
//!   an example out of the test.
//! - Every `curl` in a run block fails on an HTTP error status (`-f`, e.g.
//!   `curl -fsS`, `--fail` or `--fail-with-body`), or writes the status
//!   (`-w '%{http_code}'`) for the example to check:
//!   `test "$(curl -s -o /dev/null -w '%{http_code}' ...)" = 404`.
//! - A block fails the test by any non-zero exit status. What a file's
//!   blocks leave running (a `mockcloud serve --port 0 &`) is stopped with
//!   its session.
//!
//! Running them needs `bash`, `curl` 7.82 or later (`--json`), `jq` and GNU
//! `date` (dates are computed relative to today: `date -u -d ...`); where
//! one is missing the test says so and passes (`common::external`) unless
//! MOCKCLOUD_REQUIRE_EXTERNAL=1. `MOCKCLOUD_DOCS_VERBOSE=1` prints what each
//! file's blocks wrote (with `-- --nocapture`).
//!
//! Also checked here: README.md's length, that every relative link and
//! `#anchor` between the pages resolves, and that docs/rust.md shows
//! `tests/it/rust_example.rs`, which the suite compiles and runs.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one file's blocks may take together before the file fails (a
/// block waiting for something that never comes). The files run side by
/// side and all take a few seconds.
const FILE_TIMEOUT: Duration = Duration::from_secs(60);

/// The README is the front page: what, for whom, install, the two commands,
/// credentials, an example per vendor and per way of use, and links.
const README_MAX_LINES: usize = 200;

/// Pages linked before they land, written in parallel (issue 15). Excused
/// only while absent: once one exists its links are checked like any other.
const PENDING_PAGES: &[&str] = &[];

/// `MOCKCLOUD_DOCS_VERBOSE=1` prints what each file's blocks wrote.
fn verbose() -> bool {
    std::env::var("MOCKCLOUD_DOCS_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `README.md`, then `docs/*.md` in name order.
fn doc_files() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    let mut files = vec![root().join("README.md")];
    files.extend(pages);
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A fenced code block: its info string, the line of its opening fence
/// (1-based), and its text with the fence's indentation removed.
#[derive(Debug)]
struct Block {
    info: String,
    line: usize,
    text: String,
}

/// The fenced blocks of a Markdown text (backtick or tilde fences, indented
/// up to three spaces or inside list items; a block closes at a fence of
/// the same character at least as long).
fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(char, usize, usize, Block)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let fence_len = fence_char.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        match &mut open {
            Some((c, len, _, _))
                if fence_char == Some(*c)
                    && fence_len >= *len
                    && trimmed[fence_len..].trim().is_empty() =>
            {
                let (_, _, _, block) = open.take().unwrap();
                blocks.push(block);
            }
            Some((_, _, block_indent, block)) => {
                let cut = line
                    .char_indices()
                    .take_while(|(i, c)| *i < *block_indent && *c == ' ')
                    .count();
                block.text.push_str(&line[cut..]);
                block.text.push('\n');
            }
            None if fence_len >= 3 => {
                let c = fence_char.unwrap();
                open = Some((
                    c,
                    fence_len,
                    indent,
                    Block {
                        info: trimmed[fence_len..].trim().to_string(),
                        line: index + 1,
                        text: String::new(),
                    },
                ));
            }
            None => {}
        }
    }
    if let Some((_, _, _, block)) = open {
        panic!("a code block opened at line {} is never closed", block.line);
    }
    blocks
}

/// What the convention makes of a block: `Some(true)` run, `Some(false)`
/// shown only, `None` an info string the convention refuses.
fn runs(info: &str) -> Option<bool> {
    const SHELLS: &[&str] = &["sh", "bash", "shell", "console", "zsh", "terminal"];
    match info {
        "sh" | "bash" => Some(true),
        "sh no-run" | "bash no-run" => Some(false),
        _ => {
            let first = info.split_whitespace().next().unwrap_or("").to_lowercase();
            let shell_like = SHELLS
                .iter()
                .any(|shell| first == *shell || first.starts_with(&format!("{shell}-")));
            (!shell_like).then_some(false)
        }
    }
}

/// The `curl` commands of a shell text that neither fail on an HTTP error
/// nor write the status for the example to check, as `line: command`.
fn unchecked_curls(text: &str) -> Vec<String> {
    let logical = text.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in logical.lines() {
        let bytes = line.as_bytes();
        let mut from = 0;
        while let Some(at) = line[from..].find("curl ").map(|i| i + from) {
            from = at + 5;
            let starts_command = at == 0
                || matches!(
                    bytes[at - 1],
                    b' ' | b'\t' | b'|' | b';' | b'&' | b'(' | b'`'
                );
            if !starts_command || in_comment(&line[..at]) {
                continue;
            }
            let command = one_command(&line[at..]);
            let checked = command.contains("%{http_code}")
                || command.split_whitespace().any(|word| {
                    word == "--fail"
                        || word == "--fail-with-body"
                        || (word.starts_with('-')
                            && !word.starts_with("--")
                            && word.len() > 1
                            && word[1..].chars().all(|c| c.is_ascii_alphabetic())
                            && word.contains('f'))
                });
            if !checked {
                found.push(command.to_string());
            }
        }
    }
    found
}

/// Whether the shell text `before` ends inside a `#` comment.
fn in_comment(before: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for c in before.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') if previous.is_whitespace() => return true,
            (None, _) => {}
        }
        previous = c;
    }
    false
}

/// The text of the command starting `text`, up to an unquoted `|`, `;`,
/// `&` or `)` (the end of a `$(...)`).
fn one_command(text: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '|' | ';' | '&' | ')') => return &text[..i],
            (None, _) => {}
        }
    }
    text
}

#[test]
fn the_readme_is_at_most_200_lines() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines; move detail to docs/ (at most {README_MAX_LINES})"
    );
}

#[test]
fn shell_blocks_follow_the_convention() {
    let mut problems = Vec::new();
    for file in doc_files() {
        let markdown = std::fs::read_to_string(&file).unwrap();
        for block in fenced_blocks(&markdown) {
            let at = format!("{}:{}", relative(&file), block.line);
            match runs(&block.info) {
                None => problems.push(format!(
                    "{at}: info string {:?}: a shell block is `sh` (run) or `sh no-run` (shown)",
                    block.info
                )),
                Some(true) => {
                    for curl in unchecked_curls(&block.text) {
                        problems.push(format!(
                            "{at}: `{}` passes an HTTP error: add -f (curl -fsS) or check -w '%{{http_code}}'",
                            curl.trim()
                        ));
                    }
                }
                Some(false) => {}
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The anchor GitHub gives a heading: lowercase, markup and punctuation
/// dropped, spaces made hyphens.
fn heading_anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings (outside code blocks), with
/// GitHub's `-1`, `-2` suffixes for repeats.
fn anchors(markdown: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut anchors = Vec::new();
    for line in lines_outside_blocks(markdown) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let base = heading_anchor(heading.trim());
        let repeats = seen.iter().filter(|a| **a == base).count();
        anchors.push(if repeats == 0 {
            base.clone()
        } else {
            format!("{base}-{repeats}")
        });
        seen.push(base);
    }
    anchors
}

/// The lines outside fenced blocks.
fn lines_outside_blocks(markdown: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let len = c.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        match fence {
            Some((open, open_len)) => {
                if c == Some(open) && len >= open_len && trimmed[len..].trim().is_empty() {
                    fence = None;
                }
            }
            None if len >= 3 => fence = Some((c.unwrap(), len)),
            None => lines.push(line),
        }
    }
    lines
}

/// The targets of the inline links `[text](target)` of a Markdown text.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in lines_outside_blocks(markdown) {
        // Inline code spans hold no links.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].trim().to_string());
            rest = &after[end..];
        }
    }
    targets
}

#[test]
fn links_between_the_pages_resolve() {
    let mut problems = Vec::new();
    for file in doc_files() {
        let markdown = std::fs::read_to_string(&file).unwrap();
        for target in link_targets(&markdown) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let linked = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            let here = relative(&file);
            if !linked.exists() {
                let pending = PENDING_PAGES
                    .iter()
                    .any(|page| root().join(page) == normalize(&linked));
                if !pending {
                    problems.push(format!("{here}: ({target}): no such file"));
                }
                continue;
            }
            if anchor.is_empty() || linked.extension().is_none_or(|ext| ext != "md") {
                continue;
            }
            let text = std::fs::read_to_string(&linked).unwrap();
            if !anchors(&text).iter().any(|a| a == anchor) {
                problems.push(format!(
                    "{here}: ({target}): no heading with anchor #{anchor} in {}",
                    relative(&linked)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// `a/b/../c` as `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `bash`, a `curl` with `--json` (7.82 or later), `jq` and GNU `date`, or
/// what is missing.
fn shell_tools() -> Result<(), String> {
    let version = |tool: &str, args: &[&str]| -> Result<String, String> {
        let output = std::process::Command::new(tool)
            .args(args)
            .output()
            .map_err(|e| format!("no `{tool}` on PATH ({e})"))?;
        if !output.status.success() {
            return Err(format!("`{tool} {}` failed", args.join(" ")));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    version("bash", &["--version"])?;
    version("jq", &["--version"])?;
    version("date", &["-u", "-d", "2026-01-01 -1 month", "+%Y-%m"])
        .map_err(|_| "no GNU date (`date -u -d`)".to_string())?;
    let curl = version("curl", &["--version"])?;
    let number = curl.split_whitespace().nth(1).unwrap_or_default();
    let mut parts = number.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < (7, 82) {
        return Err(format!("curl {number} has no --json (7.82 or later)"));
    }
    Ok(())
}

/// One file's run blocks as one script, and for each script line the
/// file's line it came from (0 for the lines the script adds).
fn script(file: &Path, base_url: &str) -> Option<(String, Vec<usize>)> {
    let markdown = std::fs::read_to_string(file).unwrap();
    let address = base_url.trim_start_matches("http://");
    let mut script = String::from(
        "set -Eeuo pipefail\n\
         trap 'echo \"docs-test: exit status $? at script line $LINENO\" >&2' ERR\n",
    );
    let mut origin = vec![0, 0];
    let mut any = false;
    for block in fenced_blocks(&markdown) {
        if runs(&block.info) != Some(true) {
            continue;
        }
        any = true;
        let text = block
            .text
            .replace("localhost:8080", address)
            .replace("127.0.0.1:8080", address);
        for (offset, line) in text.lines().enumerate() {
            script.push_str(line);
            script.push('\n');
            origin.push(block.line + 1 + offset);
        }
    }
    any.then_some((script, origin))
}

/// Runs one file's blocks against a fresh server; `Err` with what failed.
async fn run_file(file: PathBuf) -> Result<(), String> {
    let name = relative(&file);
    let server = common::start_default().await;
    let Some((script, origin)) = script(&file, &server.base_url()) else {
        return Ok(());
    };
    let work = std::env::temp_dir().join(format!(
        "mockcloud-docs-{}-{}",
        std::process::id(),
        name.replace(['/', '.'], "-")
    ));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_mockcloud"));
    let path = std::env::join_paths(
        std::iter::once(binary.parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    // Its own process group, so that what the blocks leave running (a
    // `mockcloud serve &`) is stopped with it.
    let mut child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&work)
        .env("PATH", path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .expect("bash runs");
    let group = child.id().expect("bash has a pid");
    let read = |pipe: Option<_>| {
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send> = pipe.unwrap();
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text).await;
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
    let status = tokio::time::timeout(FILE_TIMEOUT, child.wait()).await;
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(std::process::Stdio::null())
        .status();
    let stdout = stdout.await.unwrap();
    let stderr = stderr.await.unwrap();
    if verbose() {
        eprintln!("=== {name}: stdout\n{stdout}\n=== {name}: stderr\n{stderr}");
    }
    let _ = std::fs::remove_dir_all(&work);
    let status = match status {
        Ok(status) => status.expect("bash runs"),
        Err(_) => {
            return Err(format!(
                "{name}: still running after {FILE_TIMEOUT:?}\n--- stderr\n{stderr}"
            ));
        }
    };
    if status.success() {
        return Ok(());
    }
    let at = stderr
        .lines()
        .find_map(|line| line.strip_prefix("docs-test: "))
        .and_then(|what| {
            let (status, line) = what.split_once(" at script line ")?;
            let line: usize = line.trim().parse().ok()?;
            let from = origin.get(line).copied().filter(|l| *l > 0)?;
            Some(format!("{name}:{from}: {status}"))
        })
        .unwrap_or_else(|| format!("{name}: {status}"));
    // Short, so that it survives a CI log cut to its last lines.
    let tail = |text: &str, n: usize| {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    };
    Err(format!(
        "{at}\n--- stdout (last lines)\n{}\n--- stderr (last lines)\n{}",
        tail(&stdout, 6),
        tail(&stderr, 12)
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shell_example_runs_against_a_fresh_server() {
    let test = "docs::every_shell_example_runs_against_a_fresh_server";
    if common::external(test, shell_tools()).is_none() {
        return;
    }
    let runs = doc_files().into_iter().map(run_file);
    let failures: Vec<String> = futures_util::future::join_all(runs)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn the_convention_reads_blocks_as_documented() {
    let markdown = "text\n\n```sh\nM=http://localhost:8080\n```\n\n  ```sh no-run\n  cargo run\n  ```\n\n````text\n```sh\nnot a block\n```\n````\n";
    let blocks = fenced_blocks(markdown);
    let infos: Vec<(&str, Option<bool>)> = blocks
        .iter()
        .map(|b| (b.info.as_str(), runs(&b.info)))
        .collect();
    assert_eq!(
        infos,
        [
            ("sh", Some(true)),
            ("sh no-run", Some(false)),
            ("text", Some(false))
        ]
    );
    assert_eq!(blocks[1].text, "cargo run\n");
    assert_eq!(runs("shell"), None);
    assert_eq!(runs("console"), None);
    assert_eq!(runs("json"), Some(false));

    assert!(unchecked_curls("curl -fsS \"$M/x\" | jq .\n").is_empty());
    assert!(
        unchecked_curls("test \"$(curl -s -o /dev/null -w '%{http_code}' $M/x)\" = 404\n")
            .is_empty()
    );
    assert!(unchecked_curls("curl --fail-with-body \\\n  --json '{}' $M/x\n").is_empty());
    assert_eq!(unchecked_curls("curl -s $M/x | jq -f f\n").len(), 1);
    assert_eq!(unchecked_curls("X=$(curl -s $M/x)\n").len(), 1);
    assert!(unchecked_curls("# curl is not run here\n").is_empty());
    assert!(unchecked_curls("curl -f $M/x   # or: curl $M/y\n").is_empty());

    assert_eq!(
        heading_anchor("Grafana Cloud: stacks, plugins, API keys"),
        "grafana-cloud-stacks-plugins-api-keys"
    );
    assert_eq!(anchors("# A\n## A\n```sh\n# A\n```\n"), ["a", "a-1"]);
}

#[test]
fn the_rust_page_shows_the_tested_example() {
    let example = std::fs::read_to_string(root().join("tests/it/rust_example.rs")).unwrap();
    let code: Vec<&str> = example
        .lines()
        .skip_while(|line| line.starts_with("//!") || line.is_empty())
        .collect();
    let code = code.join("\n") + "\n";
    let page = std::fs::read_to_string(root().join("docs/rust.md")).unwrap();
    assert!(
        fenced_blocks(&page)
            .iter()
            .any(|block| block.info == "rust" && block.text == code),
        "docs/rust.md should show tests/it/rust_example.rs (without its //! header) as a rust block"
    );
}
