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

use crate::model::Report;

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
    render_array(object.out, artifacts)?;
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

/// `items` as a pretty array at depth 1, the items of each window rendered in
/// parallel, then appended: the rendered copies held at once are a window's,
/// not the whole array's (20k prebuilds make 56 MB of text).
fn render_array<T: Serialize + Sync>(
    out: &mut impl std::io::Write,
    items: &[T],
) -> std::io::Result<()> {
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    // One item per thread: an artifact can render to tens of MB (100,000
    // required symbols), and the window's are held at once.
    let window = rayon::current_num_threads().max(1);
    out.write_all(b"[")?;
    let mut first = true;
    for items in items.chunks(window) {
        let rendered: Vec<Vec<u8>> = items
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
        let mut array = Vec::new();
        render_array(&mut array, &items).unwrap();
        let whole = serde_json::to_string_pretty(&serde_json::json!({ "a": items })).unwrap();
        let expected = whole
            .strip_prefix("{\n  \"a\": ")
            .and_then(|rest| rest.strip_suffix("\n}"))
            .unwrap();
        assert_eq!(String::from_utf8(array).unwrap(), expected);
    }
}
