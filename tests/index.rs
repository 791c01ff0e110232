//! The package index lookups against a real local HTTP server serving
//! responses recorded from pypi.org and registry.npmjs.org
//! (tests/data/index/, re-recorded by tools/record-index.py): what each
//! kind of package gets, that the answers agree with what pip itself finds
//! for musllinux (tests/data/index/pip-download-musllinux.tsv), offline
//! mode, a failing or hanging server, and a corrupt cache.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use muslcheck::config::{IndexLookups, IndexOptions};
use muslcheck::ecosystem::python::InstalledWheel;
use muslcheck::index::{Asked, Subject};
use muslcheck::model::{
    AnswerSource, Arch, Artifact, ArtifactKind, Assessment, Ecosystem, IndexMode, IndexSummary,
    Package, Reinstall, ReinstallAnswer, ReportPath, Verdict,
};
use muslcheck::platform::Platform;
use serde_json::Value;

mod common;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/index")
}

/// How the test server answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// The recorded documents (404 for anything else).
    Recorded,
    /// HTTP 500 to everything.
    Broken,
    /// Reads the request, then says nothing for a minute.
    Hanging,
    /// The recorded documents, each after this long.
    Slow(Duration),
}

/// A local HTTP/1.1 server on 127.0.0.1 that counts the requests it gets:
/// `/pypi/simple/NAME/` and `/npm/NAME` serve the recorded documents.
struct Server {
    address: String,
    requests: Arc<AtomicUsize>,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let (counted, logged) = (Arc::clone(&requests), Arc::clone(&paths));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (counted, logged) = (Arc::clone(&counted), Arc::clone(&logged));
                std::thread::spawn(move || answer(stream, behaviour, &counted, &logged));
            }
        });
        Server {
            address,
            requests,
            paths,
        }
    }

    fn paths(&self) -> Vec<String> {
        let mut paths = self.paths.lock().unwrap().clone();
        paths.sort();
        paths
    }

    fn pypi(&self) -> String {
        format!("{}/pypi/simple", self.address)
    }

    fn npm(&self) -> String {
        format!("{}/npm", self.address)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn answer(
    stream: TcpStream,
    behaviour: Behaviour,
    requests: &AtomicUsize,
    paths: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let mut stream = stream;
    let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
    paths.lock().unwrap().push(path.clone());
    let (status, body) = match behaviour {
        Behaviour::Hanging => {
            std::thread::sleep(Duration::from_secs(60));
            return;
        }
        Behaviour::Broken => ("500 Internal Server Error", b"oops".to_vec()),
        Behaviour::Recorded | Behaviour::Slow(_) => {
            if let Behaviour::Slow(after) = behaviour {
                std::thread::sleep(after);
            }
            match recorded(&path) {
                Some(body) => ("200 OK", body),
                None => ("404 Not Found", b"{}".to_vec()),
            }
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

fn recorded(path: &str) -> Option<Vec<u8>> {
    let file = if let Some(name) = path.strip_prefix("/pypi/simple/") {
        data()
            .join("pypi")
            .join(format!("{}.json", name.trim_end_matches('/')))
    } else {
        let name = path.strip_prefix("/npm/")?;
        data().join("npm").join(format!("{name}.json"))
    };
    if file.components().any(|c| c.as_os_str() == "..") {
        return None;
    }
    std::fs::read(file).ok()
}

fn platform() -> Platform {
    Platform::new("alpine:3.20".parse().unwrap(), Arch::X86_64, false)
}

fn options(server: &Server, cache: &Path, lookups: IndexLookups) -> IndexOptions {
    IndexOptions {
        lookups,
        pypi_url: Some(server.pypi()),
        npm_url: Some(server.npm()),
        cache_dir: Some(cache.to_path_buf()),
        python_minor: Some(11),
        timeout: Some(Duration::from_secs(10)),
        ..IndexOptions::default()
    }
}

/// A lockfile entry for `name==version`: a package the index is asked about.
fn entry(ecosystem: Ecosystem, name: &str, version: &str) -> Artifact {
    Artifact::entry(
        ReportPath::file(format!("lock/{name}")),
        Some(Package {
            ecosystem,
            name: name.to_string(),
            version: version.to_string(),
        }),
        ArtifactKind::Package {
            answer: ReinstallAnswer::unknown("a lockfile entry the index is asked about"),
        },
        Assessment::of(Verdict::Ok, Vec::new()),
    )
}

fn test_packages() -> Vec<Artifact> {
    let text = std::fs::read_to_string(data().join("test-packages.tsv")).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let ecosystem = match fields[0] {
                "pypi" => Ecosystem::Pypi,
                _ => Ecosystem::Npm,
            };
            entry(ecosystem, fields[1], fields[2])
        })
        .collect()
}

fn ask(
    artifacts: &[Artifact],
    options: &IndexOptions,
) -> (BTreeMap<String, ReinstallAnswer>, IndexSummary) {
    let subjects = Subject::of_artifacts(artifacts);
    let asked = Asked {
        subjects: &subjects,
        installed_wheels: &BTreeMap::new(),
        roots: &[],
    };
    let (answers, summary) = muslcheck::index::answers(&asked, &platform(), options);
    let by_name = answers
        .into_iter()
        .map(|(package, answer)| (format!("{}=={}", package.name, package.version), answer))
        .collect();
    (by_name, summary)
}

fn answer_of<'a>(answers: &'a BTreeMap<String, ReinstallAnswer>, key: &str) -> &'a ReinstallAnswer {
    answers
        .get(key)
        .unwrap_or_else(|| panic!("no index answer for {key}: {answers:#?}"))
}

#[test]
fn each_kind_of_package_gets_the_answer_its_files_on_the_index_give() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let (answers, summary) = ask(
        &test_packages(),
        &options(&server, cache.path(), IndexLookups::Online),
    );

    let numpy = answer_of(&answers, "numpy==1.26.4");
    assert_eq!(numpy.reinstall, Reinstall::MuslBuild);
    assert_eq!(
        numpy.build.as_deref(),
        Some("numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl")
    );
    assert_eq!(
        numpy.source,
        AnswerSource::Index {
            url: format!("{}/numpy/", server.pypi())
        }
    );

    let old = answer_of(&answers, "numpy==1.24.4");
    assert_eq!(old.reinstall, Reinstall::SourceBuild, "{old:?}");
    assert_eq!(old.first_musl_version.as_deref(), Some("1.25.0"));
    assert_eq!(old.build.as_deref(), Some("numpy-1.24.4.tar.gz"));

    let onnx = answer_of(&answers, "onnxruntime==1.18.1");
    assert_eq!(onnx.reinstall, Reinstall::CannotInstall, "{onnx:?}");
    assert!(
        onnx.detail.contains("No matching distribution found"),
        "{}",
        onnx.detail
    );

    let psycopg2 = answer_of(&answers, "psycopg2==2.9.9");
    assert_eq!(psycopg2.reinstall, Reinstall::SourceBuild, "{psycopg2:?}");
    assert_eq!(
        psycopg2.build_packages,
        ["build-base", "python3-dev", "postgresql-dev"]
    );

    let requests = answer_of(&answers, "requests==2.32.3");
    assert_eq!(requests.reinstall, Reinstall::NotNative, "{requests:?}");
    assert_eq!(
        requests.build.as_deref(),
        Some("requests-2.32.3-py3-none-any.whl")
    );

    // Its manylinux wheel bundles libsndfile; the pure wheel comes first on musl.
    let soundfile = answer_of(&answers, "soundfile==0.14.0");
    assert_eq!(soundfile.reinstall, Reinstall::NotNative, "{soundfile:?}");
    assert_eq!(
        soundfile.build.as_deref(),
        Some("soundfile-0.14.0-py2.py3-none-any.whl")
    );

    let swc = answer_of(&answers, "@swc/core==1.7.0");
    assert_eq!(swc.reinstall, Reinstall::MuslBuild, "{swc:?}");
    assert_eq!(swc.build.as_deref(), Some("@swc/core-linux-x64-musl@1.7.0"));
    let watcher = answer_of(&answers, "@parcel/watcher==2.4.1");
    assert_eq!(watcher.reinstall, Reinstall::MuslBuild, "{watcher:?}");
    assert_eq!(
        watcher.build.as_deref(),
        Some("@parcel/watcher-linux-x64-musl@2.4.1")
    );

    let ast_grep = answer_of(&answers, "@ast-grep/cli==0.51.1");
    assert_eq!(ast_grep.reinstall, Reinstall::NoMuslBuild, "{ast_grep:?}");
    assert!(
        ast_grep
            .detail
            .contains("@ast-grep/cli-linux-x64-gnu@0.51.1"),
        "{}",
        ast_grep.detail
    );

    // A platform package that names no libc: npm on musl installs it again.
    let sqlite_vec = answer_of(&answers, "sqlite-vec-linux-x64==0.1.9");
    assert_eq!(sqlite_vec.reinstall, Reinstall::MuslBuild, "{sqlite_vec:?}");
    assert!(sqlite_vec.same_build_as_installed, "{sqlite_vec:?}");
    assert_eq!(
        sqlite_vec.build.as_deref(),
        Some("sqlite-vec-linux-x64@0.1.9")
    );
    assert!(!ast_grep.same_build_as_installed && !swc.same_build_as_installed);

    assert_eq!(summary.mode, IndexMode::Online);
    assert_eq!(summary.asked, 10);
    assert_eq!(summary.answered, 10);
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(summary.fetched, server.requests());
}

#[test]
fn a_musllinux_wheel_counts_only_for_the_python_the_files_were_built_for() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let numpy = [entry(Ecosystem::Pypi, "numpy", "1.26.4")];
    let mut options = options(&server, cache.path(), IndexLookups::Online);
    options.python_minor = None;
    let installed_for = |minor: u32| {
        let package = numpy[0].package.clone().unwrap();
        let wheel = InstalledWheel::read(&format!(
            "Tag: cp3{minor}-cp3{minor}-manylinux_2_17_x86_64\n"
        ));
        let installed_wheels = BTreeMap::from([(package, wheel)]);
        let subjects = Subject::of_artifacts(&numpy);
        let asked = Asked {
            subjects: &subjects,
            installed_wheels: &installed_wheels,
            roots: &[],
        };
        let (answers, _) = muslcheck::index::answers(&asked, &platform(), &options);
        answers.into_iter().next().unwrap().1
    };
    let py312 = installed_for(12);
    assert_eq!(
        py312.build.as_deref(),
        Some("numpy-1.26.4-cp312-cp312-musllinux_1_1_x86_64.whl")
    );
    // numpy 1.26.4 has no CPython 3.13 wheel: pip builds the sdist.
    let py313 = installed_for(13);
    assert_eq!(py313.reinstall, Reinstall::SourceBuild, "{py313:?}");
    assert!(py313.detail.contains("CPython 3.13"), "{}", py313.detail);
}

#[test]
fn the_index_urls_come_from_pip_conf_and_the_project_npmrc() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::copy(
        requirements().join("requirements.txt"),
        project.path().join("requirements.txt"),
    )
    .unwrap();
    std::fs::copy(
        common::corpus("projects/npm-sharp-glibc-lock/package-lock.json"),
        project.path().join("package-lock.json"),
    )
    .unwrap();
    std::fs::write(
        project.path().join(".npmrc"),
        format!(
            "//registry.example/:_authToken=secret\nregistry={}/\n",
            server.npm()
        ),
    )
    .unwrap();
    let pip_conf = cache.path().join("pip.conf");
    std::fs::write(
        &pip_conf,
        format!("[global]\nindex-url = {}\n", server.pypi()),
    )
    .unwrap();
    let pip_conf = pip_conf.to_str().unwrap();
    // The user's registry, asked when the project's is not: one that refuses.
    let user_npmrc = cache.path().join("user.npmrc");
    std::fs::write(&user_npmrc, "registry=http://127.0.0.1:1/\n").unwrap();
    let scan = |options: &[&str], cache: &Path| {
        Command::cargo_bin("muslcheck")
            .unwrap()
            .args(options)
            .args(["--arch", "x86_64", "--format", "json", "--fail-on", "never"])
            .arg(project.path())
            .env_remove("PIP_INDEX_URL")
            .env_remove("UV_INDEX_URL")
            .env_remove("UV_DEFAULT_INDEX")
            .env_remove("npm_config_registry")
            .env_remove("NPM_CONFIG_REGISTRY")
            .env_remove("MUSLCHECK_OFFLINE")
            .env("PIP_CONFIG_FILE", pip_conf)
            .env("npm_config_userconfig", &user_npmrc)
            .env("XDG_CACHE_HOME", cache)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    };
    let output = scan(&[], cache.path());
    let index = index_of(&output);
    let paths = server.paths();
    for wanted in [
        "/pypi/simple/numpy/",
        "/pypi/simple/pandas/",
        "/pypi/simple/psycopg2/",
        "/npm/sharp",
    ] {
        assert!(
            paths.iter().any(|p| p == wanted),
            "{wanted} not asked: {paths:?} {index}"
        );
    }
    assert!(!paths.iter().any(|p| p.contains("secret")));

    // With --no-config the scanned tree configures nothing, its `.npmrc`
    // included: the user's registry is asked.
    let fresh_cache = tempfile::tempdir().unwrap();
    let asked_before = server.paths().len();
    let output = scan(&["--no-config"], fresh_cache.path());
    let index = index_of(&output);
    let npm_asked: Vec<String> = server.paths()[..]
        .iter()
        .filter(|p| p.starts_with("/npm/"))
        .cloned()
        .collect();
    let npm_asked_before = paths.iter().filter(|p| p.starts_with("/npm/")).count();
    assert_eq!(npm_asked.len(), npm_asked_before, "{npm_asked:?} {index}");
    assert!(
        server.paths().len() > asked_before,
        "PyPI still asked: {index}"
    );
    assert!(
        index["reason"]
            .as_str()
            .unwrap_or("")
            .contains("127.0.0.1:1"),
        "{index}"
    );
}

/// An index answering every request within its timeout, but slowly, is
/// given up on once all the lookups have taken the scan's total: the rest
/// are not asked.
#[test]
fn an_index_that_answers_slowly_is_asked_only_within_the_total_timeout() {
    let server = Server::start(Behaviour::Slow(Duration::from_millis(500)));
    let cache = tempfile::tempdir().unwrap();
    let packages: Vec<Artifact> = (0..40)
        .map(|i| entry(Ecosystem::Npm, &format!("no-such-addon-{i}"), "1.0.0"))
        .collect();
    let options = IndexOptions {
        total_timeout: Some(Duration::from_secs(1)),
        ..options(&server, cache.path(), IndexLookups::Online)
    };
    let started = Instant::now();
    let (_, summary) = ask(&packages, &options);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(summary.mode, IndexMode::Degraded, "{summary:?}");
    assert!(
        summary
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("the lookups took 1 s in all"),
        "{summary:?}"
    );
    // Two rounds of eight at most, not forty requests.
    assert!(server.requests() <= 24, "{} requests", server.requests());
}

#[test]
fn arm64_targets_get_their_own_platform_package() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let platform = Platform::new("alpine:3.20".parse().unwrap(), Arch::Aarch64, false);
    let swc = [entry(Ecosystem::Npm, "@swc/core", "1.7.0")];
    let subjects = Subject::of_artifacts(&swc);
    let asked = Asked {
        subjects: &subjects,
        installed_wheels: &BTreeMap::new(),
        roots: &[],
    };
    let (answers, _) = muslcheck::index::answers(
        &asked,
        &platform,
        &options(&server, cache.path(), IndexLookups::Online),
    );
    let (_, answer) = &answers[0];
    assert_eq!(
        answer.build.as_deref(),
        Some("@swc/core-linux-arm64-musl@1.7.0")
    );
}

/// The 44 pinned distributions of the stack, as lockfile entries.
fn stack_packages() -> Vec<Artifact> {
    let text = std::fs::read_to_string(data().join("pip-download-musllinux.tsv")).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("name\t"))
        .map(|line| {
            let row: Vec<&str> = line.split('\t').collect();
            entry(Ecosystem::Pypi, row[0], row[1])
        })
        .collect()
}

#[test]
fn the_index_answers_agree_with_what_pip_finds_for_musllinux() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data().join("pip-download-musllinux.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("name\t"))
        .map(|line| line.split('\t').collect())
        .collect();
    assert!(rows.len() >= 40, "the stack has ~40 distributions");
    let artifacts: Vec<Artifact> = rows
        .iter()
        .map(|row| entry(Ecosystem::Pypi, row[0], row[1]))
        .collect();
    let (answers, summary) = ask(
        &artifacts,
        &options(&server, cache.path(), IndexLookups::Online),
    );
    assert_eq!(summary.failed, 0, "{summary:?}");
    let mut disagreements = Vec::new();
    for row in &rows {
        let key = format!("{}=={}", row[0], row[1]);
        let answer = answer_of(&answers, &key);
        let agrees = match (row[2], row[3]) {
            ("found", wheel) if wheel.ends_with("-none-any.whl") => {
                answer.reinstall == Reinstall::NotNative && answer.build.as_deref() == Some(wheel)
            }
            ("found", wheel) => {
                answer.reinstall == Reinstall::MuslBuild && answer.build.as_deref() == Some(wheel)
            }
            _ => matches!(
                answer.reinstall,
                Reinstall::SourceBuild | Reinstall::CannotInstall
            ),
        };
        if !agrees {
            disagreements.push(format!(
                "{key}: pip {} {}, index {answer:?}",
                row[2], row[3]
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn the_stack_as_installed_is_asked_about_with_its_python_version() {
    let Some(stack) = common::fetched("manylinux-stack") else {
        return;
    };
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let mut index = options(&server, cache.path(), IndexLookups::Online);
    // The installed files say 3.11 (WHEEL tags, module names): nothing else does here.
    index.python_minor = None;
    let mut scan_options = common::options(false);
    scan_options.index = index.clone();
    let report = muslcheck::scan(&[stack], &scan_options).unwrap();
    assert_eq!(report.index.mode, IndexMode::Online, "{:?}", report.index);
    assert!(report.index.asked >= 40, "{:?}", report.index);
    assert_eq!(
        report.index.answered, report.index.asked,
        "{:?}",
        report.index
    );
    assert_eq!(
        report.index.fetched, report.index.asked,
        "{:?}",
        report.index
    );
    let (answers, summary) = ask(&report.artifacts, &index);
    assert_eq!(
        summary.from_cache, summary.asked,
        "the scan's lookups filled the cache"
    );
    assert!(summary.asked >= 40, "{summary:?}");
    assert_eq!(summary.answered, summary.asked, "{summary:?}");
    let normalised = |name: &str| name.to_lowercase().replace(['_', '.'], "-");
    let text = std::fs::read_to_string(data().join("pip-download-musllinux.tsv")).unwrap();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("name\t"))
    {
        let row: Vec<&str> = line.split('\t').collect();
        let answer = answers
            .iter()
            .find(|(key, _)| normalised(key) == normalised(&format!("{}=={}", row[0], row[1])))
            .map(|(_, answer)| answer)
            .unwrap_or_else(|| panic!("{} {} not asked about", row[0], row[1]));
        let found = row[2] == "found";
        let installs = matches!(
            answer.reinstall,
            Reinstall::MuslBuild | Reinstall::NotNative
        );
        assert_eq!(found, installs, "{line}: {answer:?}");
    }
}

/// `muslcheck --format json ARGS DIR` with the index at `server` and its
/// cache in `cache`.
fn scan_cli(
    server: &Server,
    cache: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    cli(server, cache, &[], dir, args, env)
}

/// `muslcheck matrix` with the index served by `server`.
fn matrix_cli(server: &Server, cache: &Path, dir: &Path, args: &[&str]) -> Output {
    cli(server, cache, &["matrix"], dir, args, &[])
}

fn cli(
    server: &Server,
    cache: &Path,
    command_words: &[&str],
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut command = Command::cargo_bin("muslcheck").unwrap();
    command
        .args(command_words)
        .args(["--arch", "x86_64", "--format", "json", "--fail-on", "never"])
        .args(args)
        .arg(dir)
        .env("PIP_INDEX_URL", server.pypi())
        .env("npm_config_registry", server.npm())
        .env("XDG_CACHE_HOME", cache)
        .env_remove("MUSLCHECK_OFFLINE")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("all_proxy")
        .timeout(Duration::from_secs(120));
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn index_of(output: &Output) -> Value {
    common::json_of(output)["index"].clone()
}

/// A project pinning numpy, pandas and psycopg2 (and pure requests).
fn requirements() -> PathBuf {
    common::corpus("projects/requirements-mixed")
}

#[test]
fn offline_makes_no_request_and_says_so() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    for (args, env) in [
        (&["--offline"][..], &[][..]),
        (&[][..], &[("MUSLCHECK_OFFLINE", "1")][..]),
    ] {
        let output = scan_cli(&server, cache.path(), &requirements(), args, env);
        let index = index_of(&output);
        assert_eq!(index["mode"], "offline", "{index}");
        // A pin alone does not say whether it is native: pure requests too.
        assert_eq!(
            index["asked"], 4,
            "numpy, pandas, psycopg2, requests: {index}"
        );
        assert_eq!(index["answered"], 0);
        assert!(
            common::stderr(&output)
                .contains("package index (offline): 0 of 4 package(s) answered from the cache"),
            "{}",
            common::stderr(&output)
        );
    }
    let project = tempfile::tempdir().unwrap();
    std::fs::copy(
        requirements().join("requirements.txt"),
        project.path().join("requirements.txt"),
    )
    .unwrap();
    std::fs::write(project.path().join("muslcheck.toml"), "offline = true\n").unwrap();
    let output = scan_cli(&server, cache.path(), project.path(), &[], &[]);
    assert_eq!(index_of(&output)["mode"], "offline");
    assert_eq!(server.requests(), 0, "offline asked the server");

    // Online once fills the cache; offline then answers from it, still asking nothing.
    let online = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    assert_eq!(index_of(&online)["answered"], 4, "{}", index_of(&online));
    let asked = server.requests();
    assert_eq!(asked, 4);
    let offline = scan_cli(&server, cache.path(), &requirements(), &["--offline"], &[]);
    let index = index_of(&offline);
    assert_eq!(
        (index["answered"].clone(), index["from_cache"].clone()),
        (4.into(), 4.into()),
        "{index}"
    );
    let again = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    assert_eq!(
        index_of(&again)["from_cache"],
        4,
        "a fresh cache answers online too"
    );
    assert_eq!(server.requests(), asked);
}

#[test]
fn a_failing_index_degrades_the_scan_to_the_cache_and_the_scan_completes() {
    let server = Server::start(Behaviour::Broken);
    let cache = tempfile::tempdir().unwrap();
    let output = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let index = index_of(&output);
    assert_eq!(index["mode"], "degraded", "{index}");
    assert_eq!(index["answered"], 0);
    assert!(
        index["reason"].as_str().unwrap().contains("HTTP 500"),
        "{index}"
    );
    // The first failure stops the requests still to make (up to 4 were in flight).
    assert!(server.requests() <= 4, "{}", server.requests());
    let stderr = common::stderr(&output);
    assert!(stderr.contains("degraded"), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("package index"))
            .count(),
        1
    );
}

#[test]
fn after_the_first_server_error_no_new_request_goes_out() {
    let server = Server::start(Behaviour::Broken);
    let cache = tempfile::tempdir().unwrap();
    let stack = stack_packages();
    let (answers, summary) = ask(
        &stack,
        &options(&server, cache.path(), IndexLookups::Online),
    );
    assert!(answers.is_empty());
    assert_eq!(summary.mode, IndexMode::Degraded);
    assert_eq!(summary.failed, stack.len(), "{summary:?}");
    // Only the requests already in flight (8 at once) when the first 500 came back.
    assert!(server.requests() <= 8, "{} requests", server.requests());
}

#[test]
fn a_hanging_index_is_given_up_on_within_the_timeout() {
    let server = Server::start(Behaviour::Hanging);
    let cache = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = scan_cli(
        &server,
        cache.path(),
        &requirements(),
        &[],
        &[("MUSLCHECK_INDEX_TIMEOUT", "1")],
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let index = index_of(&output);
    assert_eq!(index["mode"], "degraded", "{index}");
    assert!(
        index["reason"].as_str().unwrap().contains("timeout"),
        "{index}"
    );
    assert_eq!(output.status.code(), Some(0));
}

/// A package the index does not have (a private one, or one of a crafted
/// lockfile's thousand names) is asked about once a day, not on every scan.
#[test]
fn a_package_the_index_does_not_have_is_not_asked_about_again_the_same_day() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let online = options(&server, cache.path(), IndexLookups::Online);
    let packages = [
        entry(Ecosystem::Pypi, "no-such-private-package", "1.0"),
        entry(Ecosystem::Npm, "@private/no-such-addon", "1.0.0"),
    ];
    let (_, first) = ask(&packages, &online);
    assert_eq!(
        (first.asked, first.answered, first.fetched),
        (2, 0, 2),
        "{first:?}"
    );
    assert_eq!(
        server.paths(),
        [
            "/npm/@private%2fno-such-addon",
            "/pypi/simple/no-such-private-package/"
        ]
    );
    let (_, again) = ask(&packages, &online);
    assert_eq!(server.requests(), 2, "asked again: {:?}", server.paths());
    assert_eq!(
        (
            again.answered,
            again.fetched,
            again.from_cache,
            again.failed
        ),
        (0, 0, 2, 0),
        "{again:?}"
    );
    // Offline, the cached "not found" is an answer too: nothing failed.
    let offline = options(&server, cache.path(), IndexLookups::CacheOnly);
    let (_, offline) = ask(&packages, &offline);
    assert_eq!((offline.from_cache, offline.failed), (2, 0), "{offline:?}");
}

#[test]
fn a_corrupt_cache_is_a_miss_never_an_answer_nor_a_crash() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let online = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    assert_eq!(index_of(&online)["answered"], 4);
    let files: Vec<PathBuf> = walk(cache.path());
    // The pages, and each page's digest for the version asked.
    assert_eq!(files.len(), 8, "{files:?}");
    // Each kind of file cut short (a digest at its last line's end, where
    // what is left still parses), emptied, and overwritten with another
    // kind of file.
    for extension in ["json", "digest"] {
        let of_kind = files
            .iter()
            .filter(|file| file.extension().is_some_and(|e| e == extension));
        for (i, file) in of_kind.enumerate() {
            let whole = std::fs::read(file).unwrap();
            let cut = match extension {
                "digest" => {
                    whole[..whole.len() - 1]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .unwrap()
                        + 1
                }
                _ => whole.len() / 2,
            };
            match i {
                0 => std::fs::write(file, &whole[..cut]).unwrap(),
                1 => std::fs::write(file, b"").unwrap(),
                _ => std::fs::write(file, b"\x7fELF\x02\x01\x01garbage\n\n\n{}").unwrap(),
            }
        }
    }
    let offline = scan_cli(&server, cache.path(), &requirements(), &["--offline"], &[]);
    let index = index_of(&offline);
    assert_eq!(
        (index["answered"].clone(), index["failed"].clone()),
        (0.into(), 4.into()),
        "{index}"
    );
    let online = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    let index = index_of(&online);
    assert_eq!(
        (index["answered"].clone(), index["fetched"].clone()),
        (4.into(), 4.into()),
        "{index}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn one_lookup_answers_every_target_and_glibc_images_get_the_manylinux_wheels_their_glibc_takes() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let artifacts = test_packages();
    let subjects = Subject::of_artifacts(&artifacts);
    let asked = Asked {
        subjects: &subjects,
        installed_wheels: &BTreeMap::new(),
        roots: &[],
    };
    let lookup = muslcheck::index::look_up(
        &asked,
        &options(&server, cache.path(), IndexLookups::Online),
    );
    let fetched = server.requests();
    assert!(fetched > 0);
    let on = |target: &str| -> BTreeMap<String, ReinstallAnswer> {
        let platform = Platform::new(target.parse().unwrap(), Arch::X86_64, false);
        let (answers, summary) = lookup.answers(&platform);
        assert_eq!(summary.answered, answers.len());
        answers
            .into_iter()
            .map(|(package, answer)| (format!("{}=={}", package.name, package.version), answer))
            .collect()
    };
    let musl = on("alpine:3.20");
    let debian11 = on("debian:11-slim");
    let amazon2 = on("amazonlinux:2");
    let scratch = on("scratch");
    // Judging the documents for another target asks the index nothing.
    assert_eq!(server.requests(), fetched);

    assert_eq!(
        answer_of(&musl, "numpy==1.26.4").reinstall,
        Reinstall::MuslBuild
    );
    let numpy = answer_of(&debian11, "numpy==1.26.4");
    assert_eq!(numpy.reinstall, Reinstall::GlibcBuild, "{numpy:?}");
    assert_eq!(
        numpy.build.as_deref(),
        Some("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    );
    // glibc 2.31 takes onnxruntime's manylinux_2_27 wheel; glibc 2.26 does
    // not, and there is no sdist to build.
    let onnx = answer_of(&debian11, "onnxruntime==1.18.1");
    assert_eq!(onnx.reinstall, Reinstall::GlibcBuild, "{onnx:?}");
    let onnx = answer_of(&amazon2, "onnxruntime==1.18.1");
    assert_eq!(onnx.reinstall, Reinstall::CannotInstall, "{onnx:?}");
    assert!(
        onnx.detail.contains("manylinux_2_26_x86_64"),
        "{}",
        onnx.detail
    );
    // Building the sdist needs the image's own package names.
    let psycopg2 = answer_of(&debian11, "psycopg2==2.9.9");
    assert_eq!(psycopg2.reinstall, Reinstall::SourceBuild, "{psycopg2:?}");
    // The known-problem table's postgresql-dev, by Debian's name.
    assert_eq!(
        psycopg2.build_packages,
        ["build-essential", "python3-dev", "libpq-dev"]
    );
    // npm on glibc installs the platform package already installed: the
    // files decide. Without a C library nothing installs at all.
    assert!(!debian11.contains_key("@swc/core==1.7.0"), "{debian11:#?}");
    assert!(scratch.is_empty(), "{scratch:#?}");
}

/// An npm platform package that names no libc (sqlite-vec-linux-x64 0.1.9:
/// linux, x64) is what npm on musl installs again: where its file breaks
/// for what it is (a glibc build), nothing installs a musl build; where it
/// loads, the same package is the answer.
#[test]
fn an_npm_platform_package_naming_no_libc_installs_itself_again() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    // With gcompat a glibc program loads, and is still no musl build.
    for (fixture, reinstall, gcompat) in [
        ("lib/libfortified.so", "no-musl-build", false),
        ("lib/libplain-musl.so", "musl-build", false),
        ("bin/hello-glibc", "no-musl-build", true),
    ] {
        let project = tempfile::tempdir().unwrap();
        let package = project.path().join("node_modules/sqlite-vec-linux-x64");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::copy(common::corpus(fixture), package.join("vec0.so")).unwrap();
        std::fs::write(
            package.join("package.json"),
            r#"{"name":"sqlite-vec-linux-x64","version":"0.1.9","os":["linux"],"cpu":["x64"]}"#,
        )
        .unwrap();
        let gcompat: &[&str] = if gcompat { &["--gcompat"] } else { &[] };
        let output = scan_cli(
            &server,
            cache.path(),
            project.path(),
            &[&["--target", "alpine:3.20"], gcompat].concat(),
            &[],
        );
        let report = common::json_of(&output);
        let decision = common::decision(&report, "sqlite-vec-linux-x64");
        assert_eq!(
            decision["reinstalled"]["reinstall"], reinstall,
            "{fixture}: {decision:#}"
        );
        let detail = decision["reinstalled"]["detail"].as_str().unwrap();
        if reinstall == "no-musl-build" {
            assert!(
                detail.contains(
                    "npm installs sqlite-vec-linux-x64@0.1.9, the package installed here"
                ) && detail.contains("vec0.so, built for glibc"),
                "{detail}"
            );
        }
    }
}

/// A requirements file pins versions and lists no files: the index says
/// what pip on musl gets for each. Pure-Python ones (requests) and those
/// nothing answers are not mentioned; a native version without a musllinux
/// wheel is MC201 on the requirements file, as a known-problem row would
/// be, and a row in the plan. Only a version the table already answers
/// keeps the table's words.
#[test]
fn pins_of_a_requirements_file_are_answered_by_the_index() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let stack = std::fs::read_to_string(common::corpus("thirdparty/manylinux-stack.txt")).unwrap();
    std::fs::write(
        project.path().join("requirements.txt"),
        format!("{stack}\nrequests==2.32.3\n"),
    )
    .unwrap();
    let output = scan_cli(
        &server,
        cache.path(),
        project.path(),
        &["--target", "alpine:3.20"],
        &[],
    );
    let report = common::json_of(&output);
    let decisions = report["packages"].as_array().unwrap();
    let decision_of = |name: &str| decisions.iter().find(|d| d["package"]["name"] == name);
    assert!(decision_of("requests").is_none(), "{decisions:#?}");
    let numpy = decision_of("numpy").unwrap_or_else(|| panic!("{decisions:#?}"));
    assert_eq!(numpy["reinstalled"]["reinstall"], "musl-build", "{numpy:#}");
    // One entry per pinned package, each with its findings.
    let said: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["path"] == "requirements.txt")
        .flat_map(|a| a["findings"].as_array().into_iter().flatten())
        .filter(|f| f["code"] == "MC201" || f["code"] == "MC207")
        .filter_map(|f| f["message"].as_str())
        .collect();
    let without_wheel: Vec<&Value> = decisions
        .iter()
        .filter(|d| d["reinstalled"]["source"]["from"] == "index")
        .filter(|d| {
            matches!(
                d["reinstalled"]["reinstall"].as_str(),
                Some("source-build" | "cannot-install")
            )
        })
        .collect();
    assert!(!without_wheel.is_empty(), "{decisions:#?}");
    for decision in without_wheel {
        let name = decision["package"]["name"].as_str().unwrap();
        assert!(
            said.iter().any(|m| m.starts_with(&format!("{name} "))),
            "{name}: {said:#?}"
        );
        assert_eq!(decision["as_is"]["verdict"], Value::Null, "{decision:#}");
    }
}

/// A venv installed on Alpine (a musllinux build of MarkupSafe) moved to a
/// glibc image: its files need musl's libc, and reinstalling on the target
/// gets the manylinux wheel, which is the fix, not "no fix".
#[test]
fn a_musl_build_on_a_glibc_image_is_fixed_by_reinstalling_when_the_index_has_a_glibc_build() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("site-packages");
    let module = "markupsafe/_speedups.cpython-311-x86_64-linux-musl.so";
    common::install_distribution(&site, "MarkupSafe", "2.1.5", "lib/libplain-musl.so", module);

    let output = scan_cli(
        &server,
        cache.path(),
        venv.path(),
        &["--target", "debian:12-slim"],
        &[],
    );
    let report = common::json_of(&output);
    let file = common::by_suffix(&report, module);
    assert_eq!(file["verdict"], "breaks", "{file}");
    assert_eq!(file["facts"]["libc"]["kind"], "musl");
    let package = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"]["name"] == "MarkupSafe")
        .unwrap_or_else(|| panic!("{:#}", report["packages"]));
    assert_eq!(
        package["reinstalled"]["reinstall"], "glibc-build",
        "{package}"
    );
    let kinds: Vec<&str> = package["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["reinstall-on-target"], "{package}");
    assert!(
        report["plan"]["no_fix"].as_array().unwrap().is_empty(),
        "{:#}",
        report["plan"]
    );
}

/// Once a page has been decided for a version, its digest (the pinned
/// version's files and later wheels) answers the next scans while the page
/// in the cache is the same: the page itself is not read again. Cut the
/// cached pages' bodies (headers kept) and the digests still answer, with
/// nothing asked; without the digests the cut pages are misses.
#[test]
fn a_pages_digest_answers_its_version_without_reading_the_page_again() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let decisions = |output: &Output| {
        let report = common::json_of(output);
        (report["packages"].clone(), report["artifacts"].clone())
    };
    let first = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    assert_eq!(server.requests(), 4);
    let index = cache.path().join("muslcheck/index");
    let with_extension = |extension: &str| -> Vec<PathBuf> {
        std::fs::read_dir(&index)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == extension))
            .collect()
    };
    assert_eq!(
        with_extension("digest").len(),
        4,
        "one per package and version"
    );
    for page in with_extension("json") {
        let bytes = std::fs::read(&page).unwrap();
        let header: Vec<&[u8]> = bytes.splitn(5, |&b| b == b'\n').take(4).collect();
        let mut cut = header.join(&b'\n');
        cut.extend_from_slice(b"\nnot the page\n");
        std::fs::write(&page, cut).unwrap();
    }
    let second = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    assert_eq!(server.requests(), 4, "the digests answered");
    assert_eq!(index_of(&second)["from_cache"], 4, "{}", index_of(&second));
    assert_eq!(decisions(&second), decisions(&first));

    // A digest cut at a line's end still parses, but is a miss: its page,
    // cut too, is asked again.
    let digests = with_extension("digest");
    let whole = std::fs::read(&digests[0]).unwrap();
    let line_end = whole[..whole.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap();
    std::fs::write(&digests[0], &whole[..=line_end]).unwrap();
    let third = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    assert_eq!(server.requests(), 5, "one cut digest, one page asked again");
    assert_eq!(decisions(&third), decisions(&first));

    for digest in with_extension("digest") {
        std::fs::remove_file(digest).unwrap();
    }
    for page in with_extension("json") {
        let bytes = std::fs::read(&page).unwrap();
        let mut cut = bytes[..bytes.len() / 2].to_vec();
        cut.push(b'\n');
        std::fs::write(&page, cut).unwrap();
    }
    let fourth = scan_cli(&server, cache.path(), &requirements(), &[], &[]);
    assert_eq!(
        server.requests(),
        9,
        "without digests, cut pages are misses"
    );
    assert_eq!(decisions(&fourth), decisions(&first));
}

/// A cached page the cache still counts fresh but that lacks the version
/// asked about was written before that release (pillow_heif 1.9.0 came out
/// hours after its page was cached, which then answered nothing): it is
/// asked again, once per run and only online. A page that has the version
/// is not.
#[test]
fn a_cached_page_without_the_version_asked_about_is_asked_again() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let online = options(&server, cache.path(), IndexLookups::Online);
    let released = [entry(Ecosystem::Pypi, "numpy", "1.26.4")];
    let unreleased = [entry(Ecosystem::Pypi, "numpy", "9.9")];
    ask(&released, &online);
    assert_eq!(server.requests(), 1);
    ask(&released, &online);
    assert_eq!(
        server.requests(),
        1,
        "the page has 1.26.4: the cache answers"
    );
    let (_, summary) = ask(&unreleased, &online);
    assert_eq!(server.requests(), 2, "the page predates 9.9: asked again");
    assert_eq!((summary.fetched, summary.from_cache), (1, 0), "{summary:?}");
    ask(&unreleased, &online);
    assert_eq!(server.requests(), 3, "and again next run, the digest too");
    ask(
        &unreleased,
        &options(&server, cache.path(), IndexLookups::CacheOnly),
    );
    assert_eq!(server.requests(), 3, "offline asks nothing");
    let (answers, _) = ask(&released, &online);
    assert_eq!(server.requests(), 3);
    assert_eq!(
        answer_of(&answers, "numpy==1.26.4").reinstall,
        Reinstall::MuslBuild
    );
}

/// The report of a venv holding psycopg2 2.9.9, which compiles from its
/// sdist on Alpine, with the fixture `fixture` as its module.
fn psycopg2_with_module(server: &Server, cache: &Path, fixture: &str) -> Value {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.11/site-packages");
    common::install_distribution(
        &site,
        "psycopg2",
        "2.9.9",
        fixture,
        "psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so",
    );
    let report = common::json_of(&scan_cli(server, cache, venv.path(), &[], &[]));
    let decision = common::decision(&report, "psycopg2");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "source-build",
        "{decision:#}"
    );
    report
}

/// A package whose installed files load as they are needs nothing in the
/// plan, though reinstalling it on the target would compile it (psycopg2
/// 2.9.9 has no musllinux wheel); the same package failing as it is gets the
/// build dependencies and the install on the target: the build tools the
/// index's answer names and the `-dev` package of the library it links,
/// which the known-problem table names.
#[test]
fn a_package_that_loads_as_it_is_needs_nothing_though_a_reinstall_would_compile() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    for (fixture, loads) in [
        ("lib/libplain-musl.so", true),
        ("lib/libfortified.so", false),
    ] {
        let report = psycopg2_with_module(&server, cache.path(), fixture);
        let decision = common::decision(&report, "psycopg2");
        let build = &report["plan"]["build_dependencies"];
        if loads {
            assert_eq!(decision["as_is"]["verdict"], "ok", "{decision:#}");
            let actions = decision["actions"].as_array();
            assert!(actions.is_none_or(Vec::is_empty), "{decision:#}");
            assert!(build.as_array().is_none_or(Vec::is_empty), "{build}");
        } else {
            assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision:#}");
            let build: Vec<&str> = build
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert!(build.contains(&"build-base"), "{build:?}");
            assert!(build.contains(&"postgresql-dev"), "{build:?}");
            // What build-base brings is not named again.
            assert!(
                !build.contains(&"gcc") && !build.contains(&"musl-dev"),
                "{build:?}"
            );
            let source = &decision["reinstalled"]["source"];
            assert_eq!(source["from"], "index", "{decision:#}");
        }
        // postgresql-dev brings libpq, which `apk del .build-deps` would
        // take away from the module built against it: the plan keeps it.
        let keep = &report["plan"]["keep_built_libraries"];
        if loads {
            assert!(keep.is_null(), "{keep:#}");
        } else {
            let dirs = keep["dirs"].as_array().unwrap();
            assert_eq!(dirs.len(), 1, "{keep:#}");
            assert!(dirs[0].as_str().unwrap().contains("platlib"), "{keep:#}");
            let command = keep["command"].as_str().unwrap();
            assert!(
                command.ends_with("| xargs -rt apk add --no-cache --virtual .run-deps"),
                "{command}"
            );
        }
    }
}

/// A glibc C++ module needs libstdc++ and libgcc_s from Alpine as it is.
/// Reinstalled from a musllinux wheel (numpy 1.26.4 has one), which bundles
/// every library but libc and libz (auditwheel's policy), it needs neither:
/// the plan adds no package. Compiled from source on the target (psycopg2
/// 2.9.9 has no musllinux wheel), the module links Alpine's: they stay.
#[test]
fn a_musllinux_wheel_in_place_of_glibc_files_needs_none_of_their_system_libraries() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    for (name, version, reinstall, adds) in [
        ("numpy", "1.26.4", "musl-build", false),
        ("psycopg2", "2.9.9", "source-build", true),
    ] {
        let venv = tempfile::tempdir().unwrap();
        let site = venv.path().join("lib/python3.11/site-packages");
        common::install_distribution(
            &site,
            name,
            version,
            "lib/libcxx-shared-ptr.so",
            &format!("{name}/_core.cpython-311-x86_64-linux-gnu.so"),
        );
        let report = common::json_of(&scan_cli(&server, cache.path(), venv.path(), &[], &[]));
        let decision = common::decision(&report, name);
        assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision:#}");
        assert_eq!(
            decision["reinstalled"]["reinstall"], reinstall,
            "{decision:#}"
        );
        let as_is_needs: Vec<&str> = common::artifacts(&report)
            .iter()
            .flat_map(|a| a["findings"].as_array().into_iter().flatten())
            .filter(|f| f["code"] == "MC107")
            .flat_map(|f| f["evidence"]["packages"].as_array().into_iter().flatten())
            .filter_map(|p| p["package"].as_str())
            .collect();
        assert!(as_is_needs.contains(&"libstdc++"), "{report:#}");
        let apk_add = report["plan"]["apk_add"].as_array().unwrap();
        assert_eq!(
            apk_add.iter().any(|p| p == "libstdc++"),
            adds,
            "{name}: {apk_add:?}"
        );
    }
}

/// soundfile 0.14.0 has no musllinux wheel; pip takes its pure wheel, which
/// loads the system's libsndfile through ctypes (`find_library('sndfile')`)
/// where the manylinux wheel bundled one. The plan installs it by SONAME.
/// Not so beside an extension module: a library nothing needs is then a
/// plugin a bundled library opens (mysql-connector-python 26.10's SASL
/// mechanisms), and the pure wheel needs none.
#[test]
fn a_pure_wheel_in_place_of_a_bundled_ctypes_library_gets_the_system_s() {
    use common::synthetic_elf::SharedObject;
    let server = Server::start(Behaviour::Recorded);
    let bundled = "_soundfile_data/libsndfile_x86_64.so";
    let module = "_soundfile.cpython-311-x86_64-linux-gnu.so";
    for with_module in [false, true] {
        let cache = tempfile::tempdir().unwrap();
        let venv = tempfile::tempdir().unwrap();
        let site = venv.path().join("lib/python3.11/site-packages");
        let library = SharedObject {
            soname: Some("libsndfile.so.1".to_string()),
            // glibc's vector libm, which nothing on Alpine provides.
            needed: ["libm.so.6", "libmvec.so.1", "libc.so.6"]
                .map(String::from)
                .to_vec(),
            exports: vec!["sf_open".to_string()],
            ..SharedObject::default()
        };
        std::fs::create_dir_all(site.join("_soundfile_data")).unwrap();
        std::fs::write(site.join(bundled), library.to_bytes()).unwrap();
        std::fs::write(site.join("soundfile.py"), "import ctypes\n").unwrap();
        let mut files = vec![bundled, "soundfile.py"];
        if with_module {
            let extension = SharedObject {
                needed: vec!["libc.so.6".to_string()],
                exports: vec!["PyInit__soundfile".to_string()],
                ..SharedObject::default()
            };
            std::fs::write(site.join(module), extension.to_bytes()).unwrap();
            files.push(module);
        }
        common::write_dist_info(&site, "soundfile", "0.14.0", &files);

        let report = common::json_of(&scan_cli(&server, cache.path(), venv.path(), &[], &[]));
        let decision = common::decision(&report, "soundfile");
        assert_eq!(decision["as_is"]["verdict"], "breaks", "{decision:#}");
        assert_eq!(
            decision["reinstalled"]["reinstall"], "not-native",
            "{decision:#}"
        );
        let library = common::artifact(&report, &format!("lib/python3.11/site-packages/{bundled}"));
        assert!(
            library["host"]["evidence"]
                .as_str()
                .is_some_and(|e| e.contains("ctypes")),
            "{library:#}"
        );
        let apk_add = report["plan"]["apk_add"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let expected: &[&str] = if with_module {
            &[]
        } else {
            &["so:libsndfile.so.1"]
        };
        assert_eq!(apk_add, expected, "{:#}", report["plan"]);
        let reinstalled = report["plan"]["reinstall"].to_string();
        assert!(reinstalled.contains("soundfile"), "{reinstalled}");
    }
}

/// A build from source of Rust code needs cargo: psycopg2 2.9.9 compiles
/// from its sdist on Alpine, and when its module is one rustc built (its
/// `.comment` says so: here cryptography's, which needs glibc), the build
/// dependencies say cargo too.
#[test]
fn a_source_build_of_rust_code_needs_cargo() {
    const RUST_MODULE: &str = "thirdparty/fetched/venv/cryptography/hazmat/bindings/_rust.abi3.so";
    if !common::corpus(RUST_MODULE).exists() {
        eprintln!("SKIPPED: {RUST_MODULE} absent (corpus/thirdparty/make-venv.sh fetches it)");
        return;
    }
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    for (fixture, cargo) in [(RUST_MODULE, true), ("lib/libcxx-shared-ptr.so", false)] {
        let report = psycopg2_with_module(&server, cache.path(), fixture);
        let module = common::artifact(
            &report,
            "lib/python3.11/site-packages/psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so",
        );
        assert_eq!(
            module["facts"]["built_by_rustc"].as_bool(),
            cargo.then_some(true)
        );
        let build = report["plan"]["build_dependencies"].as_array().unwrap();
        assert_eq!(
            build.iter().any(|p| p == "cargo"),
            cargo,
            "{fixture}: {build:?}"
        );
        assert!(build.iter().any(|p| p == "build-base"), "{build:?}");
    }
}

/// A reinstall whose wheel is the one installed (the dist-info's `WHEEL`
/// tags name the index's choice) gets the same files: where one of them
/// breaks for what it is, that wheel is no build for the target
/// (mini_racer 0.14.1's musllinux wheel holds a glibc library). Installed
/// from another wheel, loading, or lacking only names no C library defines,
/// the index's wheel stays the answer.
/// A project of `files` (name, text) scanned on each of `targets` with the
/// recorded index (one server and cache for all): the JSON reports.
fn project_on_recorded_index(files: &[(&str, &str)], targets: &[&str]) -> Vec<Value> {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(project.path().join(name), text).unwrap();
    }
    targets
        .iter()
        .map(|target| {
            let args = ["--target", target];
            common::json_of(&scan_cli(&server, cache.path(), project.path(), &args, &[]))
        })
        .collect()
}

/// A requirements file's pin with no wheel for Linux at all (psycopg2
/// 2.9.9: an sdist) compiles on a glibc image too, and the known-problem
/// table's musl answer does not hide it there: its library's development
/// package is named by Debian's name. No image runs the project
/// "as it is", and with no file judged no image is named the leanest.
#[test]
fn a_pin_without_linux_wheels_compiles_on_glibc_images_too_and_runs_nowhere_as_it_is() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("requirements.txt"), "psycopg2==2.9.9\n").unwrap();
    let output = scan_cli(
        &server,
        cache.path(),
        project.path(),
        &["--target", "debian:12-slim"],
        &[],
    );
    let report = common::json_of(&output);
    let decision = common::decision(&report, "psycopg2");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "source-build",
        "{decision:#}"
    );
    assert_eq!(
        decision["actions"][0],
        // libpq-dev: Debian's name for the table's postgresql-dev (pg_config, libpq's headers).
        serde_json::json!({"kind": "build-dependencies", "packages": ["build-essential", "python3-dev", "libpq-dev"]}),
        "{decision:#}"
    );
    let output = matrix_cli(
        &server,
        cache.path(),
        project.path(),
        &["--target", "alpine:3.20", "--target", "debian:12-slim"],
    );
    let matrix = common::json_of(&output);
    for target in matrix["targets"].as_array().unwrap() {
        assert_eq!(target["runs_as_is"], false, "{target:#}");
        assert_eq!(target["runs_after_plan"], true, "{target:#}");
    }
    assert!(
        matrix.get("leanest").is_none_or(Value::is_null),
        "{:#}",
        matrix["leanest"]
    );
}

/// uv.lock lists the files its Pythons take: an entry may list only the
/// sdist (netifaces 0.11.0's wheels are for Windows and older Pythons).
/// Such a pin is asked of the index like a requirements file's: lz4 4.3.3
/// publishes wheels and no musllinux one, so pip on Alpine builds the sdist.
/// It was left out.
#[test]
fn a_lock_entry_listing_only_its_sdist_is_asked_of_the_index() {
    let lock = "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"lz4\"\n\
                version = \"4.3.3\"\nsource = { registry = \"https://pypi.org/simple\" }\n\
                sdist = { url = \"https://files.pythonhosted.org/packages/lz4-4.3.3.tar.gz\", \
                hash = \"sha256:01fe674ef2889dbb9899d8a67361e0c4a2c833af5aeb37dd505727cf5d2a131e\" }\n";
    let report = &project_on_recorded_index(&[("uv.lock", lock)], &["alpine:3.20"])[0];
    let decision = common::decision(report, "lz4");
    assert_eq!(decision["package"]["version"], "4.3.3", "{decision:#}");
    assert_eq!(
        decision["reinstalled"]["reinstall"], "source-build",
        "{decision:#}"
    );
    assert_eq!(
        decision["reinstalled"]["source"]["from"], "index",
        "{decision:#}"
    );
}

/// A pin pip cannot install on the target stops the image's build at
/// `pip install -r requirements.txt`: MC207, an error (exit 1 by default),
/// not MC201's warning. onnxruntime 1.18.1 publishes only manylinux_2_27
/// wheels and no sdist: it cannot install on Alpine, nor on amazonlinux:2
/// (glibc 2.26), and installs on Debian 12.
#[test]
fn a_pin_that_cannot_install_is_an_error_on_any_target() {
    let cases = [
        ("alpine:3.20", true),
        ("amazonlinux:2", true),
        ("debian:12-slim", false),
    ];
    let targets: Vec<&str> = cases.iter().map(|(target, _)| *target).collect();
    let reports =
        project_on_recorded_index(&[("requirements.txt", "onnxruntime==1.18.1\n")], &targets);
    for ((target, cannot), report) in cases.into_iter().zip(&reports) {
        let codes: Vec<(String, String)> = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["findings"].as_array().cloned().unwrap_or_default())
            .map(|f| {
                let text = |key: &str| f[key].as_str().unwrap_or_default().to_string();
                (text("code"), text("severity"))
            })
            .collect();
        let expected = ("MC207".to_string(), "error".to_string());
        assert_eq!(codes.contains(&expected), cannot, "{target}: {codes:?}");
        assert!(
            !codes.iter().any(|(code, _)| code == "MC201"),
            "{target}: {codes:?}"
        );
        let pin = common::artifact_where(report, |a| a["package"]["name"] == "onnxruntime")
            .unwrap_or_else(|| panic!("{target}: no entry for the pin: {report:#}"));
        assert_eq!(
            pin["reinstall"] == "cannot-install",
            cannot,
            "{target}: {pin:#}"
        );
    }
}

/// A pure wheel (`py3-none-any`) may hold ELF files (debugpy's attach
/// helper): when it is the wheel installed here, pip on the target installs
/// it again with the same files, so it is no build for the target, not
/// "nothing native".
#[test]
fn a_pure_wheel_holding_a_glibc_library_is_no_musl_build_when_installed_here() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    for (fixture, reinstall) in [
        ("lib/libcxx-shared-ptr.so", "no-musl-build"),
        // One that loads on musl as it is needs nothing.
        ("lib/libplain-musl.so", "not-native"),
    ] {
        let venv = tempfile::tempdir().unwrap();
        let site = venv.path().join("lib/python3.11/site-packages");
        common::install_distribution(&site, "requests", "2.32.3", fixture, "requests/_helper.so");
        std::fs::write(
            site.join("requests-2.32.3.dist-info/WHEEL"),
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        .unwrap();
        let output = scan_cli(
            &server,
            cache.path(),
            venv.path(),
            &["--target", "alpine:3.20"],
            &[],
        );
        let report = common::json_of(&output);
        let decision = common::decision(&report, "requests");
        let answer = &decision["reinstalled"];
        assert_eq!(answer["reinstall"], reinstall, "{fixture}: {decision:#}");
        if reinstall == "no-musl-build" {
            let detail = answer["detail"].as_str().unwrap();
            assert!(
                detail.contains("requests-2.32.3-py3-none-any.whl, the wheel installed here")
                    && detail.contains("_helper.so, built for glibc"),
                "{detail}"
            );
        }
    }
}

#[test]
fn a_reinstall_of_the_wheel_installed_here_gets_its_broken_files_again() {
    let server = Server::start(Behaviour::Recorded);
    let cache = tempfile::tempdir().unwrap();
    let musllinux = "cp311-cp311-musllinux_1_1_x86_64";
    let manylinux = "cp311-cp311-manylinux_2_17_x86_64";
    for (target, tag, fixture, reinstall, same) in [
        (
            "alpine:3.20",
            musllinux,
            "lib/libcxx-shared-ptr.so",
            "no-musl-build",
            true,
        ),
        (
            "alpine:3.20",
            manylinux,
            "lib/libcxx-shared-ptr.so",
            "musl-build",
            false,
        ),
        (
            "alpine:3.20",
            musllinux,
            "lib/libplain-musl.so",
            "musl-build",
            false,
        ),
        // A function no C library defines: what the process loads first
        // supplies it (usearch's module takes numkong's, loaded with
        // RTLD_GLOBAL by usearch's Python code), so the wheel is a build.
        (
            "alpine:3.20",
            musllinux,
            "image/lazy/lazy.cpython-312-x86_64-linux-musl.so",
            "musl-build",
            false,
        ),
        (
            "debian:12-slim",
            manylinux,
            "image/lazy/lazy.cpython-312-x86_64-linux-gnu.so",
            "glibc-build",
            false,
        ),
        // arc4random is GLIBC_2.36; Debian 11 has 2.31.
        (
            "debian:11-slim",
            manylinux,
            "lib/libarc4random.so",
            "no-glibc-build",
            true,
        ),
    ] {
        let venv = tempfile::tempdir().unwrap();
        let site = venv.path().join("lib/python3.11/site-packages");
        common::install_distribution(
            &site,
            "numpy",
            "1.26.4",
            fixture,
            "numpy/_core.cpython-311-x86_64-linux-gnu.so",
        );
        std::fs::write(
            site.join("numpy-1.26.4.dist-info/WHEEL"),
            format!("Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n"),
        )
        .unwrap();
        let output = scan_cli(
            &server,
            cache.path(),
            venv.path(),
            &["--target", target],
            &[],
        );
        let report = common::json_of(&output);
        let decision = common::decision(&report, "numpy");
        let case = format!("{target} {tag} {fixture}");
        assert_eq!(
            decision["reinstalled"]["reinstall"], reinstall,
            "{case}: {decision:#}"
        );
        let detail = decision["reinstalled"]["detail"].as_str().unwrap();
        assert_eq!(
            detail.contains("the wheel installed here"),
            same,
            "{case}: {detail}"
        );
        if same {
            assert!(detail.contains("_core.cpython-311"), "{case}: {detail}");
            assert!(decision["reinstalled"]["build"].is_null(), "{decision:#}");
        }
    }
}
