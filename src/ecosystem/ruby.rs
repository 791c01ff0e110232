//! Ruby gems: which gem a file belongs to (by the directories RubyGems and
//! Bundler install into) and what a `Gemfile.lock` locks.

use std::path::{Component, Path};

/// The gem owning the file at `location`: below `gems/<name>-<version>/`
/// or `extensions/<platform>/<abi>/<name>-<version>/` of a gem home
/// (`vendor/bundle/ruby/<abi>/`, `GEM_HOME`, `/usr/lib/ruby/gems/<abi>/`).
/// Returns (name, version, platform of a platform gem).
pub fn gem_of(location: &Path) -> Option<(String, String, Option<String>)> {
    let parts: Vec<&str> = location
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect();
    // The innermost gem directory decides.
    for (i, part) in parts.iter().enumerate().rev() {
        let Some(dir) = parts.get(i + 1) else {
            continue;
        };
        let gem_dir = match *part {
            "gems" => Some(*dir),
            "extensions" => parts.get(i + 3).copied(),
            _ => None,
        };
        if let Some(parsed) = gem_dir.and_then(split_gem_dir) {
            // A gem directory holds files: the file itself is never one.
            if parts.len() > i + if *part == "gems" { 2 } else { 4 } {
                return Some(parsed);
            }
        }
    }
    None
}

/// `nokogiri-1.16.0-x86_64-linux-gnu` → (`nokogiri`, `1.16.0`,
/// `x86_64-linux-gnu`): the version starts at the first `-` followed by a
/// digit, the platform at the next `-`.
pub fn split_gem_dir(dir: &str) -> Option<(String, String, Option<String>)> {
    let at = dir
        .char_indices()
        .find(|&(i, c)| {
            c == '-'
                && dir
                    .get(i + 1..)
                    .is_some_and(|rest| rest.starts_with(|d: char| d.is_ascii_digit()))
        })
        .map(|(i, _)| i)?;
    let name = dir.get(..at)?;
    let rest = dir.get(at + 1..)?;
    if name.is_empty() {
        return None;
    }
    let (version, platform) = match rest.split_once('-') {
        Some((version, platform)) => (version, Some(platform.to_string())),
        None => (rest, None),
    };
    Some((name.to_string(), version.to_string(), platform))
}

/// What a `Gemfile.lock` records.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GemLock {
    /// `PLATFORMS`: `ruby`, `x86_64-linux`, `x86_64-linux-musl` …
    pub platforms: Vec<String>,
    /// Every spec of every source: (name, version, platform).
    pub specs: Vec<(String, String, Option<String>)>,
}

impl GemLock {
    /// Reads the sections Bundler writes: source sections (`GEM`, `GIT`,
    /// `PATH`) with `specs:` at four spaces, `PLATFORMS` at two.
    pub fn parse(text: &str) -> GemLock {
        let mut lock = GemLock::default();
        let mut section = "";
        for line in text.lines() {
            if !line.starts_with(' ') {
                section = line.trim();
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            let entry = line.trim();
            match section {
                "PLATFORMS" if indent == 2 => lock.platforms.push(entry.to_string()),
                "GEM" | "GIT" | "PATH" if indent == 4 => {
                    if let Some((name, rest)) = entry.split_once(" (")
                        && let Some(version) = rest.strip_suffix(')')
                    {
                        let (version, platform) = match version.split_once('-') {
                            Some((v, p)) => (v, Some(p.to_string())),
                            None => (version, None),
                        };
                        lock.specs
                            .push((name.to_string(), version.to_string(), platform));
                    }
                }
                _ => {}
            }
        }
        lock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gem_directories() {
        let of = |p: &str| gem_of(Path::new(p));
        assert_eq!(
            of("app/vendor/bundle/ruby/3.1.0/gems/bcrypt-3.1.18/lib/bcrypt_ext.so"),
            Some(("bcrypt".into(), "3.1.18".into(), None))
        );
        assert_eq!(
            of(
                "vendor/bundle/ruby/3.1.0/extensions/x86_64-linux/3.1.0/bcrypt-3.1.18/bcrypt_ext.so"
            ),
            Some(("bcrypt".into(), "3.1.18".into(), None))
        );
        assert_eq!(
            of("ruby/3.3.0/gems/nokogiri-1.16.0-x86_64-linux-gnu/lib/nokogiri/3.3/nokogiri.so"),
            Some((
                "nokogiri".into(),
                "1.16.0".into(),
                Some("x86_64-linux-gnu".into())
            ))
        );
        assert_eq!(of("usr/lib/libfoo-1.2.so"), None);
        assert_eq!(of("gems/x.so"), None);
    }

    #[test]
    fn lock_platforms_and_specs() {
        let lock = GemLock::parse(
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    bcrypt (3.1.18)\n    nokogiri (1.16.0-x86_64-linux-gnu)\n      racc (~> 1.4)\n\nPLATFORMS\n  ruby\n  x86_64-linux\n\nDEPENDENCIES\n  bcrypt\n\nBUNDLED WITH\n   2.5.3\n",
        );
        assert_eq!(lock.platforms, ["ruby", "x86_64-linux"]);
        assert_eq!(lock.specs.len(), 2);
        assert_eq!(
            lock.specs[1],
            (
                "nokogiri".into(),
                "1.16.0".into(),
                Some("x86_64-linux-gnu".into())
            )
        );
    }
}
