//! `--format json`: the [`Report`] as documented in `schema/report.schema.json`.
//!
//! The text is exactly `serde_json::to_string_pretty`'s, made faster two
//! ways: the artifacts (nearly all of a report: a large library lists
//! thousands of required symbols) are rendered in parallel, each at the
//! depth it has in the whole; and a line's indentation is written at once
//! instead of two spaces at a time.

use rayon::prelude::*;
use serde::Serialize;
use serde_json::ser::Formatter;

use crate::model::{Artifact, ArtifactKind, Evidence, Report};

pub fn render_json(report: &Report) -> String {
    let mut text = Vec::new();
    // Serialising plain data into memory cannot fail; fall back to an error object anyway.
    match write_json(report, &mut text).map(|()| String::from_utf8(text)) {
        Ok(Ok(text)) => text,
        Ok(Err(err)) => error_object(&err.to_string()),
        Err(err) => error_object(&err.to_string()),
    }
}

fn error_object(err: &str) -> String {
    serde_json::json!({ "error": format!("could not serialise the report: {err}") }).to_string()
}

/// [`render_json`]'s text written to `out` as it is rendered, without a
/// final line break: a large report (2 MB for a data-science venv) is never
/// held whole.
pub fn write_json(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    // Every field, in the order (and with the omissions) of Report's
    // `Serialize`: a field added there does not compile here until it is
    // placed (tests/snapshots.rs compares the two texts).
    let Report {
        schema_version,
        tool,
        target,
        arch,
        gcompat,
        roots,
        artifacts,
        packages,
        plan,
        index,
        images,
        summary,
    } = report;
    let mut object = TopLevel { out, first: true };
    object.field("schema_version", schema_version)?;
    object.field("tool", tool)?;
    object.field("target", target)?;
    object.field("arch", arch)?;
    object.field("gcompat", gcompat)?;
    object.field("roots", roots)?;
    object.key("artifacts")?;
    render_array(object.out, artifacts, artifact_weight)?;
    object.field("packages", packages)?;
    object.field("plan", plan)?;
    if !index.is_off() {
        object.field("index", index)?;
    }
    if !images.is_empty() {
        object.field("images", images)?;
    }
    object.field("summary", summary)?;
    object.out.write_all(b"\n}")
}

/// The report's own object, written key by key at depth 1.
struct TopLevel<'w, W> {
    out: &'w mut W,
    first: bool,
}

impl<W: std::io::Write> TopLevel<'_, W> {
    fn key(&mut self, key: &str) -> std::io::Result<()> {
        let separator: &[u8] = if self.first { b"{\n" } else { b",\n" };
        self.first = false;
        self.out.write_all(separator)?;
        self.out.write_all(b"  \"")?;
        // The report's keys are plain identifiers: nothing to escape.
        self.out.write_all(key.as_bytes())?;
        self.out.write_all(b"\": ")
    }

    fn field(&mut self, key: &str, value: &impl Serialize) -> std::io::Result<()> {
        self.key(key)?;
        write_at(self.out, 1, value).map_err(std::io::Error::other)
    }
}

/// The rendered text a window holds at most, as [`artifact_weight`]
/// estimates it.
const WINDOW_BYTES: usize = 64 << 20;

/// `items` as a pretty array at depth 1, the items of each window rendered in
/// parallel, then appended: the rendered copies held at once are a window's,
/// not the whole array's (20k prebuilds make 56 MB of text). A window is an
/// item per thread, fewer when their `weight` (bytes) would pass
/// [`WINDOW_BYTES`]: one artifact of 100,000 required symbols renders to 22 MB.
fn render_array<T: Serialize + Sync>(
    out: &mut impl std::io::Write,
    items: &[T],
    weight: impl Fn(&T) -> usize,
) -> std::io::Result<()> {
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    let threads = rayon::current_num_threads();
    out.write_all(b"[")?;
    let mut first = true;
    for window in windows(items, threads, weight) {
        let rendered: Vec<Vec<u8>> = window
            .par_iter()
            .map(|item| {
                let mut text = Vec::new();
                write_at(&mut text, 2, item).map(|()| text)
            })
            .collect::<serde_json::Result<_>>()
            .map_err(std::io::Error::other)?;
        for text in &rendered {
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            out.write_all(text)?;
            first = false;
        }
    }
    out.write_all(b"\n  ]")
}

/// `items` in order, in windows of `threads` items at most (at least one),
/// fewer when their `weight` passes [`WINDOW_BYTES`].
fn windows<T>(
    items: &[T],
    threads: usize,
    weight: impl Fn(&T) -> usize,
) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut taken = 0;
        let mut load = 0usize;
        for item in rest.iter().take(threads.max(1)) {
            load = load.saturating_add(weight(item));
            if taken > 0 && load > WINDOW_BYTES {
                break;
            }
            taken += 1;
        }
        let (window, later) = rest.split_at_checked(taken).unwrap_or((rest, &[]));
        rest = later;
        Some(window)
    })
}

/// About how many bytes an artifact renders to: a required symbol's object
/// about 110 at its depth, a missing symbol's 100, a loader line its length.
fn artifact_weight(artifact: &Artifact) -> usize {
    let required = match &artifact.kind {
        ArtifactKind::Elf { facts } => facts.required_symbols.len(),
        _ => 0,
    };
    let findings: usize = artifact
        .findings()
        .iter()
        .map(|finding| {
            let symbols = match &finding.evidence {
                Evidence::Symbols { symbols, .. } => symbols.len(),
                _ => 0,
            };
            let lines: usize = finding.loader_messages.iter().map(|l| l.len() + 16).sum();
            lines + 100 * symbols
        })
        .sum();
    1024 + 110 * required + findings
}

/// `value` pretty-printed as it would be at `depth` of a larger document.
fn write_at(
    out: &mut impl std::io::Write,
    depth: usize,
    value: &impl Serialize,
) -> serde_json::Result<()> {
    let formatter = Pretty {
        depth,
        has_value: false,
    };
    value.serialize(&mut serde_json::Serializer::with_formatter(out, formatter))
}

/// serde_json's `PrettyFormatter` with a two-space indent, starting at any
/// depth, writing each line break and its indentation in one call.
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// A comma, a line break and the indentation of the deepest line: a value's
/// separator is a slice of it, written at once.
const BREAKS: &[u8] = b",\n                                                                ";

impl Pretty {
    /// Before an array's item or an object's key: a comma unless it is the
    /// first, then a new line indented to the current depth.
    fn separate<W: ?Sized + std::io::Write>(
        &self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        let from = usize::from(first);
        match BREAKS.get(from..self.depth * 2 + 2) {
            Some(separator) => writer.write_all(separator),
            None => {
                writer.write_all(if first { b"\n" } else { b",\n" })?;
                (0..self.depth).try_for_each(|_| writer.write_all(b"  "))
            }
        }
    }

    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    /// Closes an array or object: on a line of its own when it held anything.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.separate(writer, true)?;
        }
        writer.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.separate(writer, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.separate(writer, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_holds_a_thread_each_and_less_than_its_bytes() {
        let sizes = |items: &[usize], threads| -> Vec<usize> {
            windows(items, threads, |&bytes| bytes)
                .map(<[usize]>::len)
                .collect()
        };
        assert_eq!(sizes(&[1; 10], 4), [4, 4, 2]);
        assert_eq!(sizes(&[1; 3], 0), [1, 1, 1]);
        // 22 MB artifacts: two to a window of 64 MB, with any number of threads.
        let heavy = 22 << 20;
        assert_eq!(sizes(&[heavy; 5], 64), [2, 2, 1]);
        // One heavier than a window is a window of its own.
        assert_eq!(sizes(&[1, WINDOW_BYTES * 2, 1, 1], 8), [1, 1, 2]);
        assert_eq!(sizes(&[], 8), Vec::<usize>::new());
    }

    #[test]
    fn the_text_is_serde_jsons_pretty_text_at_every_depth() {
        let deep = (0..40).fold(serde_json::json!("leaf \u{1b}\n"), |inner, i| {
            serde_json::json!({ "level": i, "empty": [], "none": {}, "inner": [inner, null, 1.5] })
        });
        let mut text = Vec::new();
        write_at(&mut text, 0, &deep).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            serde_json::to_string_pretty(&deep).unwrap()
        );
        // More items than a window holds: windows join as one array.
        let mut items: Vec<serde_json::Value> =
            (0..300).map(|i| serde_json::json!({ "n": i })).collect();
        items.extend([deep.clone(), serde_json::json!([]), deep]);
        let whole = serde_json::to_string_pretty(&serde_json::json!({ "a": items })).unwrap();
        let expected = whole
            .strip_prefix("{\n  \"a\": ")
            .and_then(|rest| rest.strip_suffix("\n}"))
            .unwrap();
        // Windows of a thread's worth, and of one item each (items heavier
        // than a window) and of a few (the deep ones heavy).
        let weights: [&dyn Fn(&serde_json::Value) -> usize; 3] =
            [&|_| 1, &|_| WINDOW_BYTES, &|item| {
                if item.is_object() {
                    1
                } else {
                    WINDOW_BYTES / 2
                }
            }];
        for weight in weights {
            let mut array = Vec::new();
            render_array(&mut array, &items, weight).unwrap();
            assert_eq!(String::from_utf8(array).unwrap(), expected);
        }
    }
}
