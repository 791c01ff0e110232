//! Container images in: `docker save` archives (legacy and Docker ≥ 25), OCI
//! layouts and OCI archives give the app's files the same verdicts and
//! packages as the same files scanned as a tree; whiteouts hide files;
//! hostile and damaged images are findings while the rest is still judged;
//! the report says what the image is. The images are assembled by
//! corpus/images/make-images.sh from real pieces (Debian's jq with its dpkg
//! database, bcrypt 6.0.0, sharp 0.33.5 installed for glibc with its
//! lockfile, MarkupSafe's manylinux wheel, corpus binaries).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{artifacts, cli, codes, fetched, json_of, json_scan, muslcheck, stdout};

/// The images directory, or `None` (the test then skips, unless
/// MUSLCHECK_REQUIRE_TOOLS says nothing may).
fn images() -> Option<PathBuf> {
    let dir = fetched("images");
    if dir.is_none() {
        assert!(
            std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
            "corpus/thirdparty/fetched/images is absent (MUSLCHECK_REQUIRE_TOOLS is set): \
             run corpus/images/make-images.sh"
        );
        eprintln!("SKIPPED: corpus/images/make-images.sh builds the images");
    }
    dir
}

const FORMATS: [&str; 6] = [
    "app.oci",
    "app-oci-archive.tar",
    "app-zstd.oci",
    "app-docker-legacy.tar",
    "app-docker25.tar",
    // Picked for x86_64 out of a nested multi-platform index.
    "multi.oci",
];

/// Path (below the root) → (verdict, package name) of each file artifact.
fn verdicts(report: &Value) -> BTreeMap<String, (String, String)> {
    artifacts(report)
        .iter()
        .map(|a| {
            let path = a["path"].as_str().unwrap();
            let inside = path.split_once("!/").map_or(path, |(_, member)| member);
            let package = a["package"]["name"].as_str().unwrap_or("-").to_string();
            (
                inside.to_string(),
                (a["verdict"].as_str().unwrap().to_string(), package),
            )
        })
        .collect()
}

fn is_distro(report: &Value, path: &str) -> bool {
    artifacts(report).iter().any(|a| {
        a["path"].as_str().unwrap().ends_with(path)
            && matches!(
                a["package"]["ecosystem"].as_str(),
                Some("debian" | "alpine")
            )
    })
}

#[test]
fn the_app_files_get_the_same_verdicts_as_a_tree_in_every_format() {
    let Some(dir) = images() else { return };
    let (tree, _) = json_scan(&dir.join("rootfs"), &["--target", "alpine"]);
    let tree_verdicts = verdicts(&tree);
    // The app's files: what the distribution's packages and the node runtime
    // do not own (an image report answers those as the base and the runtime).
    let app: BTreeMap<&String, &(String, String)> = tree_verdicts
        .iter()
        .filter(|(path, _)| !is_distro(&tree, path) && path.as_str() != "usr/local/bin/node")
        .collect();
    assert!(
        app.len() >= 10,
        "bcrypt, native-demo, MarkupSafe, vendored: {app:?}"
    );
    for format in FORMATS {
        let (report, status) = json_scan(&dir.join(format), &["--target", "alpine"]);
        assert_eq!(status, 1, "{format}: the vendored glibc binaries break");
        let image = verdicts(&report);
        let image_app: BTreeMap<&String, &(String, String)> = image
            .iter()
            .filter(|(path, _)| !is_distro(&report, path))
            .collect();
        assert_eq!(image_app, app, "{format}");
        assert_eq!(report["images"][0]["layers"], 3, "{format}");
    }
}

/// Path (below the root) → how reinstalling each installed or pinned package
/// is answered: (reinstall, detail, where the answer came from, build, apk packages).
fn reinstall_answers(report: &Value) -> BTreeMap<String, [String; 5]> {
    artifacts(report)
        .iter()
        .filter(|a| a["kind"] == "package")
        .map(|a| {
            let path = a["path"].as_str().unwrap();
            let inside = path.split_once("!/").map_or(path, |(_, member)| member);
            let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let answer = [
                text(&a["reinstall"]),
                text(&a["detail"]),
                text(&a["source"]["from"]),
                text(&a["build"]),
                text(&a["build_packages"]),
            ];
            (inside.to_string(), answer)
        })
        .collect()
}

#[test]
fn an_installed_packages_own_files_answer_its_reinstall_in_an_image_as_in_a_tree() {
    let Some(dir) = images() else { return };
    let (tree, _) = json_scan(&dir.join("rootfs"), &["--target", "alpine"]);
    let tree_answers = reinstall_answers(&tree);
    // bcrypt 6.0.0 bundles prebuilds/linux-x64/bcrypt.musl.node: its files
    // answer, not the known-problem table (whose answer is to compile).
    let bcrypt = &tree_answers["usr/src/app/node_modules/bcrypt/package.json"];
    assert_eq!(bcrypt[0], "musl-build", "{bcrypt:?}");
    assert_eq!(bcrypt[2], "package-files", "{bcrypt:?}");
    assert_eq!(bcrypt[3], "bcrypt.musl.node", "{bcrypt:?}");
    for format in FORMATS {
        let (report, _) = json_scan(&dir.join(format), &["--target", "alpine"]);
        assert_eq!(reinstall_answers(&report), tree_answers, "{format}");
    }
}

#[test]
fn whiteouts_and_opaque_directories_hide_lower_layers_files() {
    let Some(dir) = images() else { return };
    for format in FORMATS {
        let (report, _) = json_scan(&dir.join(format), &["--target", "alpine"]);
        let paths = verdicts(&report);
        // libgone.so (glibc-only, breaks) is deleted by a whiteout in layer 3,
        // old/uses-cxx by layer 3's opaque old/.
        assert!(
            !paths
                .keys()
                .any(|p| p.contains("libgone") || p.contains("uses-cxx")),
            "{format}: {paths:?}"
        );
        assert!(
            paths.contains_key("usr/local/bin/vendored-tool"),
            "{format}"
        );
    }
    // A lower layer does hold both (the legacy archive's layer tars, as `tar -xO` gives them).
    let listing = std::process::Command::new("tar")
        .args(["-xOf"])
        .arg(dir.join("app-docker-legacy.tar"))
        .arg("--wildcards")
        .arg("*/layer.tar")
        .output()
        .unwrap();
    let layers = String::from_utf8_lossy(&listing.stdout);
    assert!(
        layers.contains("usr/src/app/lib/libgone.so")
            && layers.contains("usr/src/app/old/uses-cxx"),
        "a lower layer holds both files"
    );
}

fn finding_at<'a>(report: &'a Value, path_end: &str, code: &str) -> &'a Value {
    artifacts(report)
        .iter()
        .find(|a| {
            a["path"].as_str().unwrap().ends_with(path_end) && codes(a).iter().any(|c| c == code)
        })
        .unwrap_or_else(|| panic!("{code} at …{path_end}: {report:#}"))
}

fn has_ok_file(report: &Value, member: &str) -> bool {
    artifacts(report).iter().any(|a| {
        a["path"]
            .as_str()
            .unwrap()
            .ends_with(&format!("!/{member}"))
            && a["verdict"] == "ok"
    })
}

#[test]
fn hostile_names_are_findings_and_the_rest_is_judged() {
    let Some(dir) = images() else { return };
    let (report, _) = json_scan(&dir.join("hostile/names.tar"), &["--target", "alpine"]);
    finding_at(&report, "!/../escaped.so", "MC006");
    finding_at(&report, "!//absolute.so", "MC006");
    let whiteout = finding_at(&report, "!/usr/.wh..", "MC006");
    assert!(whiteout.to_string().contains("whiteout"), "{whiteout}");
    assert!(has_ok_file(&report, "usr/local/bin/ok"), "{report:#}");
    // Nothing was written next to the archive or above it.
    assert!(!dir.join("hostile/escaped.so").exists() && !dir.join("escaped.so").exists());

    let (report, _) = json_scan(&dir.join("hostile/manifest-outside.tar"), &[]);
    let outside: Vec<String> = artifacts(&report)
        .iter()
        .filter(|a| codes(a).iter().any(|c| c == "MC006"))
        .map(|a| a.to_string())
        .collect();
    assert_eq!(outside.len(), 2, "{outside:?}");
    assert!(outside.iter().any(|a| a.contains("../../../../etc/passwd")));
    assert!(outside.iter().any(|a| a.contains("/etc/shadow")));
    assert!(has_ok_file(&report, "usr/local/bin/ok"), "{report:#}");
}

#[test]
fn damaged_layers_are_findings_and_the_other_layers_are_read() {
    let Some(dir) = images() else { return };
    let (report, _) = json_scan(&dir.join("hostile/corrupt.oci"), &[]);
    let corrupt = finding_at(&report, "", "MC001");
    assert!(corrupt.to_string().contains("corrupt layer"), "{corrupt}");
    assert!(has_ok_file(&report, "usr/local/bin/ok"), "{report:#}");

    let (report, _) = json_scan(&dir.join("hostile/digest.oci"), &["--target", "alpine"]);
    let mismatch = finding_at(&report, "", "MC001");
    assert!(
        mismatch.to_string().contains("digest mismatch"),
        "{mismatch}"
    );
    // The altered layer's files are still judged.
    assert!(verdicts(&report).contains_key("usr/local/bin/vendored-tool"));

    let started = Instant::now();
    let (report, _) = json_scan(&dir.join("hostile/bomb.oci"), &[]);
    let bomb = finding_at(&report, "", "MC001");
    assert!(bomb.to_string().contains("decompression bomb"), "{bomb}");
    assert!(has_ok_file(&report, "usr/local/bin/ok"), "{report:#}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "a 1 GiB layer is stopped early: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_multi_platform_index_is_picked_by_arch_or_names_its_platforms() {
    let Some(dir) = images() else { return };
    let multi = dir.join("multi.oci");
    let report = json_of(&cli(&[
        "--arch",
        "aarch64",
        "--format",
        "json",
        multi.to_str().unwrap(),
    ]));
    let tool = artifacts(&report)
        .iter()
        .find(|a| {
            a["path"]
                .as_str()
                .unwrap()
                .ends_with("!/usr/local/bin/vendored-tool")
        })
        .expect("the arm64 image's file");
    assert_eq!(tool["facts"]["arch"], "aarch64");

    let (report, _) = json_scan(&dir.join("s390x-only.oci"), &[]);
    let none = finding_at(&report, "s390x-only.oci", "MC001");
    let text = none.to_string();
    assert!(
        text.contains("linux/s390x") && text.contains("linux/arm64") && text.contains("--arch"),
        "{text}"
    );
}

#[test]
fn a_debian_based_image_with_a_glibc_app_says_base_command_packages_and_plan() {
    let Some(dir) = images() else { return };
    let (report, _) = json_scan(&dir.join("app-docker-legacy.tar"), &["--target", "alpine"]);
    let image = &report["images"][0];
    assert_eq!(image["format"], "docker-save");
    assert_eq!(image["reference"], "app:latest");
    assert_eq!(image["base"], "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(image["working_dir"], "/usr/src/app");
    assert_eq!(
        image["command"]["path"], "/usr/local/bin/vendored-tool",
        "through the symlink"
    );
    assert_eq!(image["command"]["verdict"], "breaks");
    let distro = &image["distro_packages"];
    assert_eq!(distro["manager"], "debian");
    assert_eq!(distro["count"], 3);
    // The copied jq needs libjq.so.1, which needs libonig.so.5; Debian's own
    // /usr/bin/jq is the base's and is not listed.
    assert_eq!(
        distro["needed_by_app"],
        serde_json::json!(["libjq.so.1 (libjq1)", "libonig.so.5 (libonig5)"])
    );
    assert!(!verdicts(&report).contains_key("usr/bin/jq"));
    assert_eq!(image["runtimes"][0]["official_variant"], "node:20-alpine");
    assert_eq!(report["plan"]["from"], "node:20-alpine");
    // Alpine's package for libjq.so.1 is not in the soname table: named, not guessed.
    let no_fix = report["plan"]["no_fix"].to_string();
    assert!(no_fix.contains("libjq.so.1 (libjq1)"), "{no_fix}");
    // On a Debian base the image's own packages are the ones to install.
    let (on_debian, _) = json_scan(
        &dir.join("app-docker-legacy.tar"),
        &["--target", "debian:12-slim"],
    );
    assert_eq!(
        on_debian["plan"]["apk_add"],
        serde_json::json!(["libjq1", "libonig5"])
    );
    assert_eq!(on_debian["plan"]["from"], "node:20-slim");
    // Those packages are the fix for the copied jq too: nothing is left
    // without one.
    let left = &on_debian["plan"]["no_fix"];
    assert!(
        left.is_null() || left.as_array().is_some_and(Vec::is_empty),
        "{left:#}"
    );
    let decisions: BTreeMap<&str, &str> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            Some((
                p["package"]["name"].as_str()?,
                p["as_is"]["verdict"].as_str()?,
            ))
        })
        .collect();
    for (package, verdict) in [
        ("bcrypt", "ok"),
        ("native-demo", "ok"),
        ("MarkupSafe", "ok"),
        ("libjq1", "breaks"),
        // Installed for glibc: on Alpine its loader requires the musl
        // platform package, which is not there.
        ("sharp", "breaks"),
        ("@img/sharp-linux-x64", "not-applicable"),
    ] {
        assert_eq!(
            decisions.get(package),
            Some(&verdict),
            "{package}: {decisions:?}"
        );
    }

    let text = stdout(&muslcheck(
        &dir.join("app-docker-legacy.tar"),
        &["--target", "alpine"],
    ));
    for expected in [
        "image ",
        "Debian GNU/Linux 12 (bookworm)",
        "runs /usr/local/bin/tool (/usr/local/bin/vendored-tool): elf; /usr/local/bin/vendored-tool breaks",
        "Debian packages: 3",
        "libjq.so.1 (libjq1)",
        "use node:20-alpine",
        "FROM node:20-alpine",
        // The image's own lockfile: reinstalled on the target, not copied.
        "RUN npm ci",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn images_met_in_a_tree_are_read_as_images() {
    let Some(dir) = images() else { return };
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir(tree.path().join("dist")).unwrap();
    std::fs::copy(
        dir.join("app-docker-legacy.tar"),
        tree.path().join("dist/app.tar"),
    )
    .unwrap();
    copy_dir(&dir.join("app.oci"), &tree.path().join("dist/layout"));
    let (report, _) = json_scan(tree.path(), &["--target", "alpine"]);
    assert_eq!(report["images"][0]["path"], "dist/app.tar");
    assert_eq!(report["images"][1]["path"], "dist/layout");
    assert!(
        artifacts(&report)
            .iter()
            .any(|a| a["path"] == "dist/layout!/usr/local/bin/vendored-tool"),
        "{report:#}"
    );
    assert!(
        !artifacts(&report)
            .iter()
            .any(|a| a["path"].as_str().unwrap().starts_with("dist/layout/")),
        "its blobs are not files of the tree"
    );
    let tool = artifacts(&report)
        .iter()
        .find(|a| a["path"] == "dist/app.tar!/usr/local/bin/vendored-tool")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(tool["verdict"], "breaks");
    assert!(
        !artifacts(&report)
            .iter()
            .any(|a| codes(a).iter().any(|c| c == "MC007")),
        "not reported as an archive left unread"
    );
}

#[test]
fn exclude_globs_apply_to_an_images_paths() {
    let Some(dir) = images() else { return };
    let (report, _) = json_scan(
        &dir.join("app.oci"),
        &[
            "--target",
            "alpine",
            "--exclude",
            "usr/src/app/bin/**",
            "--exclude",
            "vendored-tool",
        ],
    );
    let paths = verdicts(&report);
    assert!(!paths.contains_key("usr/src/app/bin/jq"), "{paths:?}");
    assert!(
        !paths.contains_key("usr/local/bin/vendored-tool"),
        "{paths:?}"
    );
    // Its hard link, not excluded, now names the file.
    assert_eq!(
        paths
            .get("usr/local/bin/vendored-tool-again")
            .map(|v| v.0.as_str()),
        Some("breaks")
    );
}

#[test]
fn a_gzip_compressed_docker_save_is_read_as_an_image() {
    let Some(dir) = images() else { return };
    let tree = tempfile::tempdir().unwrap();
    let tar = std::fs::read(dir.join("app-docker-legacy.tar")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let gzipped = tree.path().join("app.tar.gz");
    std::fs::write(&gzipped, gz.finish().unwrap()).unwrap();
    let (as_tar, _) = json_scan(&dir.join("app-docker-legacy.tar"), &["--target", "alpine"]);
    // Given as the path, and met in a tree.
    for scanned in [gzipped.as_path(), tree.path()] {
        let (report, _) = json_scan(scanned, &["--target", "alpine"]);
        assert_eq!(report["images"][0]["layers"], 3, "{report:#}");
        assert_eq!(verdicts(&report), verdicts(&as_tar));
    }
}

#[test]
fn a_temurin_jre_is_the_runtime_answered_by_its_official_variant() {
    let Some(dir) = images() else { return };
    let image = dir.join("java-docker-legacy.tar");
    let (on_alpine, status) = json_scan(&image, &["--target", "alpine"]);
    let runtime = &on_alpine["images"][0]["runtimes"][0];
    assert_eq!(runtime["name"], "java", "{runtime:#}");
    assert_eq!(runtime["version"], "21");
    assert_eq!(runtime["official_variant"], "eclipse-temurin:21-jre-alpine");
    assert_eq!(on_alpine["plan"]["from"], "eclipse-temurin:21-jre-alpine");
    // The JDK's own files (a glibc java and libjvm.so) come with the
    // variant: not flagged as the app's.
    assert!(
        !artifacts(&on_alpine)
            .iter()
            .any(|a| a["path"].as_str().unwrap().contains("opt/java/openjdk")),
        "{:#}",
        on_alpine["artifacts"]
    );
    let (on_debian, _) = json_scan(&image, &["--target", "debian:12-slim"]);
    assert_eq!(on_debian["plan"]["from"], "eclipse-temurin:21-jre");
    // The app's fat jar is read inside the image as on disk: the JNI member
    // each library's loader extracts, judged (snappy-java's glibc build
    // breaks on Alpine).
    let Some(jars) = fetched("jars") else {
        return;
    };
    let (on_disk, _) = json_scan(&jars.join("app-fat.jar"), &["--target", "alpine"]);
    let judged = |report: &Value| -> BTreeMap<String, String> {
        artifacts(report)
            .iter()
            .filter(|a| a["kind"] == "elf")
            .filter_map(|a| {
                let path = a["path"].as_str()?;
                let inside_jar = path
                    .split_once("app-fat.jar!/")
                    .or_else(|| path.split_once("app.jar!/"))?
                    .1;
                Some((inside_jar.to_string(), a["verdict"].as_str()?.to_string()))
            })
            .collect()
    };
    let in_image = judged(&on_alpine);
    assert!(in_image.len() >= 10, "{in_image:?}");
    assert_eq!(in_image, judged(&on_disk));
    assert!(in_image.values().any(|v| v == "breaks"), "{in_image:?}");
    assert_eq!(status, 1);
    let snappy = on_alpine["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"]["name"] == "org.xerial.snappy:snappy-java")
        .unwrap_or_else(|| panic!("{:#}", on_alpine["packages"]));
    assert_eq!(snappy["as_is"]["verdict"], "breaks");
}

/// An uncompressed tar of regular files (name, bytes).
fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(data.len() as u64);
        header.set_mode(0o755);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// A `docker save` archive (legacy layout, one uncompressed layer) holding
/// `files` (path in the image, bytes).
fn docker_save(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let members: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
    docker_save_of_layer(&tar_of(&members))
}

/// A `docker save` archive whose one layer is `layer` (an uncompressed tar).
fn docker_save_of_layer(layer: &[u8]) -> Vec<u8> {
    let config = br#"{"architecture":"amd64","os":"linux","config":{}}"#;
    let manifest = br#"[{"Config":"config.json","RepoTags":["app:1"],"Layers":["l1/layer.tar"]}]"#;
    tar_of(&[
        ("manifest.json", manifest),
        ("config.json", config),
        ("l1/layer.tar", layer),
    ])
}

#[test]
fn a_layers_gnu_sparse_member_is_the_file_gnu_tar_and_docker_extract() {
    // GNU tar --sparse --format=pax (1.0): the member is named
    // usr/lib/GNUSparseFile.N/libhidden.so and its data starts with a map.
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("usr/lib")).unwrap();
    let library = work.path().join("usr/lib/libhidden.so");
    std::fs::copy(common::corpus("lib/libarc4random.so"), &library).unwrap();
    let size = std::fs::metadata(&library).unwrap().len() + (1 << 20);
    std::fs::File::options()
        .write(true)
        .open(&library)
        .unwrap()
        .set_len(size)
        .unwrap();
    let layer = work.path().join("layer.tar");
    let made = std::process::Command::new("tar")
        .args(["--sparse", "--format=pax", "--sparse-version", "1.0", "-cf"])
        .arg(&layer)
        .arg("usr")
        .current_dir(work.path())
        .status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("SKIPPED: GNU tar (tar --sparse --format=pax) did not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = docker_save_of_layer(&std::fs::read(&layer).unwrap());
    std::fs::write(dir.path().join("image.tar"), image).unwrap();
    let (report, code) = json_scan(dir.path(), &[]);
    let hidden = common::artifact(&report, "image.tar!/usr/lib/libhidden.so");
    assert_eq!(hidden["verdict"], "breaks", "{hidden:#}");
    assert_eq!(hidden["size"], size);
    assert_eq!(codes(hidden), ["MC102"], "arc4random: {hidden:#}");
    assert_eq!(code, 1);
}

#[test]
fn an_images_libraries_are_found_where_its_loader_looks_by_default() {
    use common::synthetic_elf::SharedObject;
    const MUSL: &str = "libc.musl-x86_64.so.1";
    let program = |needs: &str, calls: &str, rpath: Option<&str>, runpath: Option<&str>| {
        SharedObject {
            needed: vec![MUSL.to_string(), needs.to_string()],
            undefined: vec![calls.to_string()],
            rpath: rpath.map(str::to_string),
            runpath: runpath.map(str::to_string),
            interpreter: Some("/lib/ld-musl-x86_64.so.1".to_string()),
            ..SharedObject::default()
        }
        .to_bytes()
    };
    let library = |soname: &str, defines: &str| {
        SharedObject {
            soname: Some(soname.to_string()),
            needed: vec![MUSL.to_string()],
            exports: vec![defines.to_string()],
            ..SharedObject::default()
        }
        .to_bytes()
    };
    let files = vec![
        // No RPATH: musl's default path (/lib, /usr/local/lib, /usr/lib).
        ("usr/local/bin/app", program("libapp.so.1", "app_fn", None, None)),
        ("usr/local/lib/libapp.so.1", library("libapp.so.1", "app_fn")),
        // An absolute RPATH is the image's directory.
        ("opt/tool/bin/tool", program("libtool.so", "tool_fn", Some("/opt/tool/lib"), None)),
        ("opt/tool/lib/libtool.so", library("libtool.so", "tool_fn")),
        // `..` past the image's / stays at its /.
        ("opt/up/bin/up", program("libup.so", "up_fn", None, Some("$ORIGIN/../../../../../lib2"))),
        ("lib2/libup.so", library("libup.so", "up_fn")),
        // A needed name with a slash, absolute: the image's path.
        ("usr/local/bin/abs", program("/opt/abs/libabs.so", "abs_fn", None, None)),
        ("opt/abs/libabs.so", library("libabs.so", "abs_fn")),
        // A library the image's distribution installed does not move to the target.
        ("usr/local/bin/uses-distro", program("libdistro.so.1", "distro_fn", None, None)),
        ("usr/lib/libdistro.so.1", library("libdistro.so.1", "distro_fn")),
        // glibc's ld.so: its built-in multiarch directory.
        (
            "usr/local/bin/gapp",
            SharedObject {
                needed: vec!["libc.so.6".to_string(), "libgapp.so.1".to_string()],
                undefined: vec!["gapp_fn".to_string()],
                interpreter: Some("/lib64/ld-linux-x86-64.so.2".to_string()),
                ..SharedObject::default()
            }
            .to_bytes(),
        ),
        (
            "usr/lib/x86_64-linux-gnu/libgapp.so.1",
            SharedObject {
                soname: Some("libgapp.so.1".to_string()),
                needed: vec!["libc.so.6".to_string()],
                exports: vec!["gapp_fn".to_string()],
                ..SharedObject::default()
            }
            .to_bytes(),
        ),
        (
            "var/lib/dpkg/status",
            b"Package: libdistro1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\n"
                .to_vec(),
        ),
        ("var/lib/dpkg/info/libdistro1:amd64.list", b"/.\n/usr/lib/libdistro.so.1\n".to_vec()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("app.tar");
    std::fs::write(&image, docker_save(&files)).unwrap();
    let (report, status) = json_scan(&image, &["--target", "alpine:3.20"]);
    let missing = |report: &Value, member: &str| -> Vec<String> {
        let artifact = artifacts(report)
            .iter()
            .find(|a| {
                a["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("!/{member}"))
            })
            .unwrap_or_else(|| panic!("{member} not in {report:#}"));
        artifact["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "MC103")
            .flat_map(|f| f["evidence"]["libraries"].as_array().unwrap().clone())
            .map(|library| library["name"].as_str().unwrap().to_string())
            .collect()
    };
    for found in [
        "usr/local/bin/app",
        "opt/tool/bin/tool",
        "opt/up/bin/up",
        "usr/local/bin/abs",
    ] {
        assert_eq!(
            missing(&report, found),
            Vec::<String>::new(),
            "{found}: {report:#}"
        );
    }
    assert_eq!(
        missing(&report, "usr/local/bin/uses-distro"),
        ["libdistro.so.1"]
    );
    let text = stdout(&muslcheck(&image, &["--target", "alpine:3.20"]));
    assert!(
        text.contains(
            "needs libdistro.so.1 which neither the scanned tree nor the target provides"
        ),
        "{text}"
    );
    assert_eq!(status, 1);
    // glibc's ld.so: its multiarch directory, on a glibc target.
    let (report, _) = json_scan(&image, &["--target", "debian:12-slim"]);
    assert_eq!(
        missing(&report, "usr/local/bin/gapp"),
        Vec::<String>::new(),
        "{report:#}"
    );

    // The same files as a directory with its package database: a root
    // filesystem (an image exported and unpacked), searched as `/`. Its
    // distribution's libraries are there as they are: only an image's base
    // is replaced by the target's.
    let tree = dir.path().join("tree");
    for (path, data) in &files {
        let to = tree.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, data).unwrap();
    }
    let verdict_of = |report: &Value, member: &str| -> String {
        artifacts(report)
            .iter()
            .find(|a| a["path"].as_str().unwrap().ends_with(member))
            .map(|a| a["verdict"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{member} not in {report:#}"))
    };
    let (report, _) = json_scan(&tree, &["--target", "alpine:3.20"]);
    for member in [
        "usr/local/bin/app",
        "opt/tool/bin/tool",
        "usr/local/bin/uses-distro",
        "usr/local/bin/abs",
    ] {
        assert_eq!(verdict_of(&report, member), "ok", "{member}: {report:#}");
    }
    // Without one, nothing says where `/` is: only the RPATHs that name the
    // tree's directories count.
    std::fs::remove_dir_all(tree.join("var/lib/dpkg")).unwrap();
    let (report, _) = json_scan(&tree, &["--target", "alpine:3.20"]);
    assert_eq!(
        verdict_of(&report, "usr/local/bin/app"),
        "breaks",
        "{report:#}"
    );
    assert_eq!(
        verdict_of(&report, "opt/tool/bin/tool"),
        "breaks",
        "{report:#}"
    );
}

/// A file linked against a library without a SONAME by a relative path
/// needs that path (`lib/libf.so`), which both loaders open from the
/// working directory: the fix says so, on musl and on glibc.
#[test]
fn a_needed_relative_path_is_explained_as_relative_to_the_working_directory() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let program = SharedObject {
        needed: vec!["lib/libf.so".to_string(), "libc.so.6".to_string()],
        undefined: vec!["f".to_string()],
        interpreter: Some("/lib64/ld-linux-x86-64.so.2".to_string()),
        ..SharedObject::default()
    }
    .to_bytes();
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    std::fs::write(dir.path().join("bin/app"), program).unwrap();
    for target in ["alpine:3.20", "debian:12-slim"] {
        let (report, status) = json_scan(dir.path(), &["--target", target]);
        assert_eq!(status, 1, "{target}");
        let remedy = common::finding(&report["artifacts"][0], "MC103")["remedy"]
            .as_str()
            .unwrap();
        assert!(
            remedy.starts_with(
                "`lib/libf.so` is a path relative to the directory the program is started in"
            ),
            "{target}: {remedy}"
        );
        assert!(
            remedy.contains("patchelf --replace-needed lib/libf.so libf.so"),
            "{target}: {remedy}"
        );
    }
}

/// An Alpine-based image: its app needs musl's libc and zlib from the
/// image's packages. On Alpine both are the base image's (no `apk add
/// musl`, no `apk add zlib`); on a glibc image musl's libc is no library a
/// package provides but the app's own C library, which its files' verdicts
/// and their packages' answers speak for: it is no "no fix" of the image.
#[test]
fn an_alpine_images_c_library_and_base_libraries_are_no_plan_of_their_own() {
    use common::synthetic_elf::SharedObject;
    const MUSL: &str = "libc.musl-x86_64.so.1";
    let library = |soname: &str, needed: &[&str], exports: &[&str]| {
        SharedObject {
            soname: Some(soname.to_string()),
            needed: needed.iter().map(ToString::to_string).collect(),
            exports: exports.iter().map(ToString::to_string).collect(),
            ..SharedObject::default()
        }
        .to_bytes()
    };
    let app = SharedObject {
        needed: vec![MUSL.to_string(), "libz.so.1".to_string()],
        undefined: vec!["inflate".to_string()],
        interpreter: Some("/lib/ld-musl-x86_64.so.1".to_string()),
        ..SharedObject::default()
    }
    .to_bytes();
    let files = vec![
        ("usr/local/bin/app", app),
        ("lib/libc.musl-x86_64.so.1", library(MUSL, &[], &["malloc"])),
        ("lib/libz.so.1", library("libz.so.1", &[MUSL], &["inflate"])),
        (
            "lib/apk/db/installed",
            b"P:musl\nV:1.2.5-r0\nF:lib\nR:libc.musl-x86_64.so.1\n\nP:zlib\nV:1.3.1-r1\nF:lib\nR:libz.so.1\n\n"
                .to_vec(),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("alpine-app.tar");
    std::fs::write(&image, docker_save(&files)).unwrap();
    let (report, _) = json_scan(&image, &["--target", "alpine:3.20"]);
    assert_eq!(
        report["plan"]["apk_add"],
        serde_json::json!([]),
        "{:#}",
        report["plan"]
    );
    let (report, _) = json_scan(&image, &["--target", "debian:12-slim"]);
    let no_fix = report["plan"]["no_fix"].to_string();
    assert!(!no_fix.contains(MUSL), "{no_fix}");
}

/// An OCI layout at `dir` whose manifest lists `blobs[i]` for each `i` of
/// `order`, each blob stored as `stored(i, bytes)` under the digest of `bytes`.
fn write_oci_layout(
    dir: &std::path::Path,
    blobs: &[Vec<u8>],
    order: &[usize],
    stored: impl Fn(usize, &[u8]) -> Vec<u8>,
) {
    use sha2::Digest as _;
    let store = dir.join("blobs/sha256");
    std::fs::create_dir_all(&store).unwrap();
    let put = |bytes: &[u8], kept: Vec<u8>| {
        let digest: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(store.join(&digest), kept).unwrap();
        serde_json::json!({"digest": format!("sha256:{digest}"), "size": bytes.len(),
            "mediaType": "application/vnd.oci.image.layer.v1.tar"})
    };
    let descriptors: Vec<Value> = blobs
        .iter()
        .enumerate()
        .map(|(i, blob)| put(blob, stored(i, blob)))
        .collect();
    let layers: Vec<&Value> = order.iter().map(|&i| &descriptors[i]).collect();
    let config = br#"{"architecture":"amd64","os":"linux","config":{}}"#;
    let config = put(config, config.to_vec());
    let manifest = serde_json::json!({"schemaVersion": 2, "config": config, "layers": layers});
    let manifest = manifest.to_string();
    let manifest = put(manifest.as_bytes(), manifest.clone().into_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [manifest]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn a_layer_listed_again_is_read_once_and_too_many_layers_are_a_finding() {
    let plain = std::fs::read(common::corpus("lib/libplain.so")).unwrap();
    let a = tar_of(&[("usr/lib/liba.so", &plain)]);
    let b = tar_of(&[("usr/lib/libb.so", &plain)]);
    let dir = tempfile::tempdir().unwrap();
    // Layer `a` listed three times, apart and in a row; its blob is altered
    // (end-of-archive blocks added), so each read of it is a digest mismatch.
    let repeated = dir.path().join("repeated.oci");
    write_oci_layout(&repeated, &[a.clone(), b], &[0, 1, 0, 0], |i, bytes| {
        let mut stored = bytes.to_vec();
        if i == 0 {
            stored.extend([0; 1024]);
        }
        stored
    });
    let (report, _) = json_scan(&repeated, &[]);
    assert!(has_ok_file(&report, "usr/lib/liba.so"), "{report:#}");
    assert!(has_ok_file(&report, "usr/lib/libb.so"), "{report:#}");
    let mismatches = artifacts(&report)
        .iter()
        .flat_map(|a| a["findings"].as_array().unwrap())
        .filter(|f| f["message"].as_str().unwrap().contains("digest mismatch"))
        .count();
    assert_eq!(mismatches, 1, "the layer was read once: {report:#}");

    let too_many = dir.path().join("too-many.oci");
    write_oci_layout(&too_many, &[a], &[0; 1001], |_, bytes| bytes.to_vec());
    let (report, _) = json_scan(&too_many, &[]);
    let refused = finding_at(&report, "too-many.oci", "MC001");
    assert!(
        refused
            .to_string()
            .contains("its manifest lists 1001 layers, more than the 1000 any runtime mounts"),
        "{refused}"
    );
    assert!(!has_ok_file(&report, "usr/lib/liba.so"), "{report:#}");
}

/// A layer member named outside the image is a header alone: 4 million,
/// a 9 MB gzip layer, were as many findings (1.4 GB, a 320 MB JSON
/// report). The first hundred are listed and the rest counted.
#[test]
fn members_named_outside_the_image_are_listed_up_to_a_cap_and_counted() {
    let mut layer = tar::Builder::new(Vec::new());
    for _ in 0..300 {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..4].copy_from_slice(b"../x");
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(0);
        header.set_mode(0o644);
        header.set_cksum();
        layer.append(&header, std::io::empty()).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("image.tar"),
        docker_save_of_layer(&layer.into_inner().unwrap()),
    )
    .unwrap();
    let (report, exit) = json_scan(dir.path(), &[]);
    assert!((0..=2).contains(&exit));
    let hostile: Vec<&str> = artifacts(&report)
        .iter()
        .flat_map(|a| a["findings"].as_array().into_iter().flatten())
        .filter(|f| f["code"] == "MC006")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(hostile.len(), 101, "{hostile:?}");
    assert!(
        hostile
            .iter()
            .any(|m| m.contains("200 more members named outside the image")),
        "{hostile:?}"
    );
}
