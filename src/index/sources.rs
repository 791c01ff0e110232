//! Where the indexes are: the URLs pip, uv and npm on this machine would
//! use, from their environment variables and configuration files, and the
//! cache directory.

use std::path::{Path, PathBuf};

use crate::discover::{METADATA_CAP, ScannedPaths, read_found_text, read_text_file};

pub const PYPI: &str = "https://pypi.org/simple";
pub const NPM: &str = "https://registry.npmjs.org";

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

fn home() -> Option<PathBuf> {
    env("HOME").map(PathBuf::from)
}

/// The PyPI index: `PIP_INDEX_URL`, `UV_INDEX_URL`, `UV_DEFAULT_INDEX`, then
/// `index-url` of pip's configuration files in pip's order (the file named
/// by `PIP_CONFIG_FILE`, the virtualenv's, the user's, the system's), else PyPI.
pub fn pypi_index() -> String {
    for name in ["PIP_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX"] {
        if let Some(url) = env(name) {
            return url;
        }
    }
    pip_config_files()
        .iter()
        .find_map(|path| {
            let text = read_text_file(path, METADATA_CAP).ok()?;
            pip_index_url(&text)
        })
        .unwrap_or_else(|| PYPI.to_string())
}

/// pip's configuration files, the one that wins first.
fn pip_config_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(file) = env("PIP_CONFIG_FILE").filter(|f| f != "/dev/null") {
        files.push(PathBuf::from(file));
    }
    if let Some(venv) = env("VIRTUAL_ENV") {
        files.push(Path::new(&venv).join("pip.conf"));
    }
    let config_home = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home().map(|home| home.join(".config")));
    if let Some(config_home) = config_home {
        files.push(config_home.join("pip").join("pip.conf"));
    }
    if let Some(home) = home() {
        files.push(home.join(".pip").join("pip.conf"));
    }
    let config_dirs = env("XDG_CONFIG_DIRS").unwrap_or_else(|| "/etc/xdg".to_string());
    for dir in config_dirs.split(':').filter(|d| !d.is_empty()) {
        files.push(Path::new(dir).join("pip").join("pip.conf"));
    }
    files.push(PathBuf::from("/etc/pip.conf"));
    files
}

/// `index-url` in a pip.conf: the `[install]` section's, else `[global]`'s.
pub fn pip_index_url(text: &str) -> Option<String> {
    let mut section = String::new();
    let (mut install, mut global) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        let key = key.trim().replace('_', "-");
        let value = value.trim();
        if key != "index-url" || value.is_empty() {
            continue;
        }
        match section.as_str() {
            "install" => install = Some(value.to_string()),
            "global" => global = Some(value.to_string()),
            _ => {}
        }
    }
    install.or(global)
}

/// The npm registry: `npm_config_registry`, `registry=` of the scanned
/// project's `.npmrc` (when `project_npmrc`), then the user's `.npmrc`,
/// else npmjs.
pub fn npm_registry(roots: &[PathBuf], project_npmrc: bool) -> String {
    for name in ["npm_config_registry", "NPM_CONFIG_REGISTRY"] {
        if let Some(url) = env(name) {
            return url;
        }
    }
    let scanned = ScannedPaths::new(roots);
    let project = roots
        .iter()
        .filter(|root| project_npmrc && root.is_dir())
        .find_map(|root| {
            let text = read_found_text(&root.join(".npmrc"), METADATA_CAP, &scanned).ok()?;
            npmrc_registry(&text)
        });
    if let Some(url) = project {
        return url;
    }
    let user = env("npm_config_userconfig")
        .or_else(|| env("NPM_CONFIG_USERCONFIG"))
        .map(PathBuf::from)
        .or_else(|| home().map(|home| home.join(".npmrc")));
    user.and_then(|path| npmrc_registry(&read_text_file(&path, METADATA_CAP).ok()?))
        .unwrap_or_else(|| NPM.to_string())
}

/// `registry=` in an `.npmrc` (not a scope's, not one naming a variable).
pub fn npmrc_registry(text: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let (key, value) = line.trim().split_once('=')?;
        let value = value.trim().trim_matches('"');
        (key.trim() == "registry" && !value.is_empty() && !value.contains("${"))
            .then(|| value.to_string())
    })
}

/// `$XDG_CACHE_HOME/muslcheck/index`, else `~/.cache/muslcheck/index`.
pub fn cache_dir() -> Option<PathBuf> {
    env("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| home().map(|home| home.join(".cache")))
        .map(|dir| dir.join("muslcheck").join("index"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_conf_install_section_wins_over_global() {
        let text = "[global]\nindex-url = https://a.example/simple\n\n[install]\nindex_url=https://b.example/simple\n";
        assert_eq!(
            pip_index_url(text).as_deref(),
            Some("https://b.example/simple")
        );
        assert_eq!(
            pip_index_url("[global]\n# index-url = no\nindex-url: https://a.example/simple\n")
                .as_deref(),
            Some("https://a.example/simple")
        );
        assert_eq!(pip_index_url("[freeze]\nindex-url = x\n"), None);
    }

    #[test]
    fn npmrc_registry_skips_scopes_and_variables() {
        let text = "@corp:registry=https://corp.example/\n//registry.npmjs.org/:_authToken=${TOKEN}\nregistry=https://mirror.example/npm/\n";
        assert_eq!(
            npmrc_registry(text).as_deref(),
            Some("https://mirror.example/npm/")
        );
        assert_eq!(npmrc_registry("registry=${REGISTRY}\n"), None);
    }
}
