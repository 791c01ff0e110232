//! Whatever a scanned file names itself or holds cannot take over the
//! terminal or forge report lines: file names, package names from
//! `package.json`, and ELF strings (DT_NEEDED, symbol names, the interpreter)
//! with ESC sequences, CR, LF, other C0 and C1 controls and bidi overrides
//! are shown escaped in text and GitHub output, stay exact in JSON, and are
//! percent-encoded in SARIF URIs.

mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use common::corpus;

/// Names that would drive a terminal or forge lines if printed raw. Each
/// carries `FORGED` right after its first control, so a line starting with
/// `FORGED` was forged.
const HOSTILE_NAMES: &[&str] = &[
    "title\x1b]0;FORGED pwned\x07.so",
    "clear\x1b[2J\x1b[HFORGED.so",
    "cr\rFORGED ok.so",
    "lf\nFORGED ok.so",
    "ctl\x01FORGED\x08\x7f.so",
    "c1\u{9b}FORGED31m.so",
    "bidi\u{202e}FORGEDos.so",
    "isolate\u{2066}FORGED\u{2069}.so",
    "sep\u{2028}FORGED.so",
];

/// Names that are harmless on a terminal but break a URI if left raw.
const URI_NAMES: &[&str] = &[
    "sp ace.so",
    "per%25cent.so",
    "hash#frag.so",
    "query?x=1.so",
    "ünï.so",
];

const WHEEL: &str = "ujson-5.10.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

/// `text` as exactly `len` bytes: padded with `x` (it must fit).
fn same_len(text: &str, len: usize) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    assert!(bytes.len() <= len, "{text:?} is longer than {len} bytes");
    bytes.resize(len, b'x');
    bytes
}

/// Replaces the NUL-terminated string `old` in section `section` of the ELF
/// file at `path` by `new` (same length), so the file stays well formed.
fn patch_string(path: &Path, section: &str, old: &str, new: &str) {
    let mut bytes = std::fs::read(path).unwrap();
    let (start, end) = {
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        let header = elf
            .section_headers
            .iter()
            .find(|h| elf.shdr_strtab.get_at(h.sh_name) == Some(section))
            .unwrap_or_else(|| panic!("{path:?} has no {section}"));
        let start = usize::try_from(header.sh_offset).unwrap();
        (start, start + usize::try_from(header.sh_size).unwrap())
    };
    let mut needle = old.as_bytes().to_vec();
    needle.push(0);
    let at = bytes[start..end]
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{old:?} not in {section} of {path:?}"))
        + start;
    let replacement = same_len(new, old.len());
    bytes[at..at + old.len()].copy_from_slice(&replacement);
    std::fs::write(path, bytes).unwrap();
}

/// A tree whose file names, package name and ELF strings are hostile.
fn hostile_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in HOSTILE_NAMES.iter().chain(URI_NAMES) {
        std::fs::copy(corpus("bin/hello-glibc"), dir.path().join(name)).unwrap();
    }
    // A hard link: shown as `also at …`.
    std::fs::hard_link(
        dir.path().join(HOSTILE_NAMES[0]),
        dir.path().join("zz-hard\x1b[2J\nFORGED link.so"),
    )
    .unwrap();
    // A wheel whose file name (and so its members' paths) holds an escape.
    std::fs::copy(
        corpus(&format!("thirdparty/{WHEEL}")),
        dir.path()
            .join(format!("u\x1b[2J{}", WHEEL.trim_start_matches('u'))),
    )
    .unwrap();
    // The interpreter and a missing symbol's name.
    let program = dir.path().join("patched-program");
    std::fs::copy(corpus("bin/hello-glibc"), &program).unwrap();
    patch_string(
        &program,
        ".interp",
        "/lib64/ld-linux-x86-64.so.2",
        "/lib/\x1b]0;t\x07\rFORGED\u{202e}",
    );
    patch_string(
        &program,
        ".dynstr",
        "__snprintf_chk",
        "\x1b[2J\nFORGED\u{9b}",
    );
    // A missing library (DT_NEEDED) and a missing symbol of a library.
    let library = dir.path().join("libpatched.so");
    std::fs::copy(corpus("lib/libmissing-dep.so"), &library).unwrap();
    patch_string(
        &library,
        ".dynstr",
        "libnotthere.so.1",
        "lib\x1b[31m\rFORGED",
    );
    patch_string(
        &library,
        ".dynstr",
        "notthere_value",
        "n\u{202e}\nFORGED\x1b[K",
    );
    // An npm package whose manifest names it with controls.
    let package = dir.path().join("node_modules/evil");
    std::fs::create_dir_all(package.join("build/Release")).unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name": "ev\u001b]0;x\u0007il\nFORGED", "version": "1.0.0\r\u009bFORGED"}"#,
    )
    .unwrap();
    std::fs::copy(
        corpus("lib/libglibcisms.so"),
        package.join("build/Release/evil.node"),
    )
    .unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    common::command()
        .args(["--arch", "x86_64", "--fail-on", "never"])
        .args(args)
        .arg(dir)
        .output()
        .unwrap()
}

/// The characters that must never reach a terminal raw (LF aside, which
/// only the renderer itself may write).
fn is_dangerous(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn assert_nothing_raw(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    let raw: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| is_dangerous(*c))
        .collect();
    assert!(
        raw.is_empty(),
        "{what}: raw control characters {raw:?} in:\n{}",
        text.escape_debug()
    );
    let forged: Vec<&str> = text
        .lines()
        .filter(|line| line.trim_start().starts_with("FORGED"))
        .collect();
    assert!(forged.is_empty(), "{what}: forged lines {forged:?}");
}

#[test]
fn text_output_escapes_controls_from_names_and_elf_strings() {
    let dir = hostile_tree();
    let output = run(dir.path(), &["--verbose"]);
    assert_eq!(output.status.code(), Some(0));
    assert_nothing_raw("stdout", &output.stdout);
    assert_nothing_raw("stderr", &output.stderr);
    let text = String::from_utf8(output.stdout).unwrap();
    // Escaped, not dropped: each hostile string is still recognisable.
    for shown in [
        r"title\x1b]0;FORGED pwned\x07.so",
        r"clear\x1b[2J\x1b[HFORGED.so",
        r"cr\x0dFORGED ok.so",
        r"lf\x0aFORGED ok.so",
        r"ctl\x01FORGED\x08\x7f.so",
        r"c1\u{9b}FORGED31m.so",
        r"bidi\u{202e}FORGEDos.so",
        r"isolate\u{2066}FORGED\u{2069}.so",
        r"sep\u{2028}FORGED.so",
        // ELF strings: interpreter, symbol, DT_NEEDED, a library's symbol.
        r"/lib/\x1b]0;t\x07\x0dFORGED\u{202e}",
        r"\x1b[2J\x0aFORGED\u{9b}",
        r"lib\x1b[31m\x0dFORGED",
        r"n\u{202e}\x0aFORGED\x1b[K",
        // The package name and version from package.json.
        r"ev\x1b]0;x\x07il\x0aFORGED",
        r"1.0.0\x0d\u{9b}FORGED",
        "ünï.so",
        r"also at zz-hard\x1b[2J\x0aFORGED link.so",
        r"u\x1b[2Jjson-5.10.0-cp311",
    ] {
        assert!(text.contains(shown), "{shown} not in:\n{text}");
    }
}

#[test]
fn wheel_audit_escapes_the_wheel_name() {
    let dir = hostile_tree();
    let output = Command::cargo_bin("muslcheck")
        .unwrap()
        .arg("audit-wheel")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_nothing_raw("stdout", &output.stdout);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(r"u\x1b[2Jjson-5.10.0-cp311"), "{text}");
}

#[test]
fn github_annotations_escape_controls_and_stay_one_per_line() {
    let dir = hostile_tree();
    let output = run(dir.path(), &["--format", "github"]);
    assert_nothing_raw("stdout", &output.stdout);
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 10, "{text}");
    for line in &lines {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "not a workflow command: {line:?}"
        );
    }
    // A newline in a name is shown, not decoded into the annotation.
    assert!(
        !text.contains("%0AFORGED") && !text.contains("%0DFORGED"),
        "{text}"
    );
    assert!(text.contains(r"lf\x0aFORGED ok.so"), "{text}");
    // The workflow-command escapes still apply on top.
    assert!(text.contains("file=per%2525cent.so,"), "{text}");
    assert!(
        text.contains(r"file=title\x1b]0;FORGED pwned\x07.so,"),
        "{text}"
    );
}

#[test]
fn json_keeps_names_exact_and_escapes_controls() {
    let dir = hostile_tree();
    let output = run(dir.path(), &["--format", "json"]);
    assert!(
        !output
            .stdout
            .iter()
            .any(|b| *b < 0x20 && !matches!(b, b'\n' | b' ')),
        "a raw control byte in the JSON"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    for name in HOSTILE_NAMES {
        assert!(paths.contains(name), "{name:?} not in {paths:?}");
    }
}

/// Decodes `%XX` escapes; `None` when one is malformed.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

#[test]
fn sarif_uris_are_percent_encoded_and_valid() {
    let dir = hostile_tree();
    let output = run(dir.path(), &["--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();

    let schema_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/sarif-2.1.0.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    // The schema says `"format": "uri-reference"`; check it, too.
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let problems: Vec<String> = validator
        .iter_errors(&sarif)
        .take(10)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");

    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    for uri in &uris {
        assert!(
            uri.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/%".contains(&b)),
            "{uri:?} has a character a URI path cannot hold raw"
        );
    }
    let decoded: Vec<Vec<u8>> = uris.iter().filter_map(|u| percent_decode(u)).collect();
    assert_eq!(decoded.len(), uris.len(), "malformed escapes in {uris:?}");
    for name in HOSTILE_NAMES.iter().chain(URI_NAMES) {
        assert!(
            decoded.iter().any(|d| d == name.as_bytes()),
            "no URI decodes to {name:?}: {uris:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn sarif_uris_carry_the_bytes_of_non_utf8_names() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    for name in [&b"lib\xff.so"[..], b"back\\slash.so"] {
        std::fs::copy(
            corpus("bin/hello-glibc"),
            dir.path().join(std::ffi::OsStr::from_bytes(name)),
        )
        .unwrap();
    }
    let output = run(dir.path(), &["--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let uris: std::collections::BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert_eq!(
        uris.into_iter().collect::<Vec<_>>(),
        ["back%5Cslash.so", "lib%FF.so"]
    );
}

/// What a suggested command line gives its program, word by word, as a
/// POSIX shell parses it, run in `dir` (where a command a name smuggled in
/// would leave its file).
fn shell_words_of(dir: &Path, command: &str) -> Vec<String> {
    let script = format!("set -- {command}; printf '%s\\n' \"$@\"");
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{command}: {output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn suggested_commands_give_scanned_names_as_single_words() {
    let dir = tempfile::tempdir().unwrap();
    // A library needed by a name that would end the command and start another.
    let hostile_soname = "a;touch PWNED #x";
    let library = dir.path().join("libpatched.so");
    std::fs::copy(corpus("lib/libmissing-dep.so"), &library).unwrap();
    patch_string(&library, ".dynstr", "libnotthere.so.1", hostile_soname);
    // An npm package compiled on the target, under a name that does the same.
    let hostile_package = "evilpkg;touch${IFS}PWNED;#";
    let package = dir.path().join("node_modules/evilpkg");
    std::fs::create_dir_all(package.join("build/Release")).unwrap();
    std::fs::write(
        package.join("package.json"),
        serde_json::json!({"name": hostile_package, "version": "1.0.0$(touch PWNED)", "gypfile": true})
            .to_string(),
    )
    .unwrap();
    std::fs::write(package.join("binding.gyp"), r#"{"targets": []}"#).unwrap();
    std::fs::copy(
        corpus("lib/libglibcisms.so"),
        package.join("build/Release/addon.node"),
    )
    .unwrap();

    let output = run(dir.path(), &["--offline", "--details"]);
    let text = String::from_utf8(output.stdout).unwrap();
    let commands: Vec<&str> = text
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("RUN "))
        .map(|line| line.split("   #").next().unwrap())
        .collect();
    let npm = commands
        .iter()
        .find(|c| c.starts_with("npm install"))
        .unwrap_or_else(|| panic!("no npm line:\n{text}"));
    let sandbox = tempfile::tempdir().unwrap();
    for command in &commands {
        shell_words_of(sandbox.path(), command);
    }
    let fix = text
        .lines()
        .find_map(|line| line.split_once("= fix: `apk add "))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(words, _)| words)
        .unwrap_or_else(|| panic!("no fix line:\n{text}"));
    assert!(
        !sandbox.path().join("PWNED").exists(),
        "a suggested command ran what a name held:\n{text}"
    );
    assert!(
        shell_words_of(sandbox.path(), fix).contains(&format!("so:{hostile_soname}")),
        "{fix}"
    );
    assert!(
        shell_words_of(sandbox.path(), npm)
            .contains(&format!("{hostile_package}@1.0.0$(touch PWNED)")),
        "{npm}"
    );
    assert!(!sandbox.path().join("PWNED").exists());
}
