//! The walk with `--follow-symlinks`: one root on one thread through
//! walkdir, whose loop detection a followed link needs, never leaving the
//! scanned roots.

use std::path::Path;

use walkdir::WalkDir;

use super::{Met, Root, Walker, skipped_dir_named, walked_name};
use crate::discover::{ProblemKind, io_reason, path_text};

impl Met {
    /// An entry of the walk that follows links.
    fn followed(entry: walkdir::DirEntry) -> Met {
        #[cfg(unix)]
        let ino = walkdir::DirEntryExt::ino(&entry);
        #[cfg(not(unix))]
        let ino = 0;
        Met {
            file_type: entry.file_type(),
            depth: entry.depth(),
            ino,
            path: entry.into_path(),
        }
    }
}

impl Walker<'_, '_> {
    fn walk_error(&mut self, root: &Root, err: &walkdir::Error) {
        let path = err
            .path()
            .map(|p| root.shown(p))
            .unwrap_or_else(|| path_text(root.given));
        let (kind, reason) = match err.loop_ancestor() {
            Some(ancestor) => (
                ProblemKind::SymlinkLoop,
                format!("symlink loop back to {}", ancestor.display()),
            ),
            None => (ProblemKind::Unreadable, io_reason(err)),
        };
        self.problem(path, kind, reason);
    }

    /// The whole root on this thread, following links that stay inside the roots.
    pub(super) fn walk_following_links(&mut self, root: &Root) {
        // Unsorted: the report is sorted at the end, and sorting every
        // directory by name was most of the walk's CPU time.
        let options = self.shared.options;
        let mut entries = WalkDir::new(&root.absolute)
            .follow_links(true)
            .follow_root_links(true)
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0
                    || !entry.file_type().is_dir()
                    || !skipped_dir_named(walked_name(entry.path()), entry.path(), root, options)
            });
        while let Some(entry) = entries.next() {
            match entry {
                Ok(entry) if self.leaves_the_roots(root, &entry) => {
                    if entry.file_type().is_dir() {
                        entries.skip_current_dir();
                    }
                }
                Ok(entry) => self.visit(root, &Met::followed(entry)),
                Err(err) => self.walk_error(root, &err),
            }
        }
    }

    /// Whether `entry` is a link the walk followed (with `--follow-symlinks`)
    /// to a place outside every root; if so it is recorded as a problem (unless
    /// excluded) and as an unfollowed link, and must not be visited or
    /// descended into.
    fn leaves_the_roots(&mut self, root: &Root, entry: &walkdir::DirEntry) -> bool {
        if entry.depth() == 0 || !entry.path_is_symlink() {
            return false;
        }
        let excluded = self
            .shared
            .options
            .exclude
            .matches_itself(root.relative(entry.path()));
        // Not followed unless shown to stay inside.
        let reason = match std::fs::canonicalize(entry.path()) {
            Ok(target)
                if self
                    .shared
                    .canonical_roots
                    .iter()
                    .any(|r| target.starts_with(r)) =>
            {
                return false;
            }
            Ok(target) => format!(
                "a symlink to {}, outside the scanned paths: not followed (scan that path too to include it)",
                path_text(&target)
            ),
            Err(err) => format!("a symlink whose target cannot be resolved ({err}): not followed"),
        };
        if let Ok(link) = std::fs::read_link(entry.path()) {
            let parent = entry.path().parent().unwrap_or(Path::new(""));
            self.inventory
                .symlinks
                .insert(entry.path().to_path_buf(), parent.join(link));
        }
        if !excluded {
            let shown = root.shown(entry.path());
            self.problem(shown, ProblemKind::SymlinkOutside, reason);
        }
        true
    }
}
