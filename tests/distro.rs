//! Files of a Debian root filesystem belong to their Debian packages (dpkg's
//! database), and the answer for them is Alpine's package, not a wheel.

mod common;

use serde_json::Value;

use common::{artifacts, fetched, json_scan, muslcheck, stdout};

#[test]
fn a_debian_roots_files_are_owned_by_their_packages_and_answered_with_apk() {
    let Some(root) = fetched("debian-root") else {
        eprintln!("SKIPPED: corpus/thirdparty/make-debian-root.sh builds it from Debian's mirror");
        return;
    };
    let (report, status) = json_scan(&root, &[]);
    assert_eq!(status, 1, "Debian's jq is built for glibc");
    let elf: Vec<&Value> = artifacts(&report)
        .iter()
        .filter(|a| a["facts"].is_object())
        .collect();
    assert!(elf.len() >= 3);
    for file in &elf {
        assert_eq!(file["package"]["ecosystem"], "debian", "{file}");
    }
    let jq = elf
        .iter()
        .find(|a| a["path"] == "usr/bin/jq")
        .expect("usr/bin/jq");
    assert_eq!(jq["package"]["name"], "jq");
    // Merged /usr: the list says /usr/lib/…, a Debian 11 list /lib/…; either names the file.
    let libjq = elf
        .iter()
        .find(|a| a["path"].as_str().unwrap().ends_with("libjq.so.1.0.4"))
        .expect("libjq");
    assert_eq!(libjq["package"]["name"], "libjq1");

    let steps = report["plan"]["reinstall"].as_array().unwrap();
    let apk = steps
        .iter()
        .find(|s| s["command"] == "distribution package")
        .expect("Alpine's packages in place of Debian's");
    let packages: Vec<&str> = apk["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        packages.len(),
        1,
        "the program, not its libraries: {packages:?}"
    );
    assert!(packages[0].starts_with("jq "), "{packages:?}");
    let text = stdout(&muslcheck(&root, &[]));
    assert!(text.contains("RUN apk add --no-cache jq "), "{text}");
    assert!(!text.contains("musllinux"), "{text}");
}
