//! Strings from scanned files, made safe to show: file names, package names
//! and ELF strings (DT_NEEDED, symbols, the interpreter, SONAME) may hold
//! terminal escape sequences, CR and LF that forge report lines, or bidi
//! overrides that reorder what is read. The text and GitHub renderers pass
//! every such string through [`text`]; the model keeps them exact (JSON
//! escapes them its own way), and SARIF URIs are percent-encoded ([`uri`]).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal or log as it is: C0 controls (LF
/// and tab too: only a renderer writes its own line breaks), DEL, C1
/// controls (U+009B is CSI on many terminals), the bidi formatting
/// characters (embeddings, overrides, isolates, marks) and the Unicode
/// line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [unsafe](is_unsafe) character written as an escape:
/// `\x1b` for C0 controls and DEL, `\u{9b}` for the others. Borrowed when
/// there is nothing to escape.
pub fn text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if c <= '\u{7f}' {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// `text` cut after `cap` characters, marked with `…` where it was cut.
pub fn shorten(text: &str, cap: usize) -> Cow<'_, str> {
    match text.char_indices().nth(cap) {
        Some((cut, _)) => Cow::Owned(format!("{}…", text.get(..cut).unwrap_or_default())),
        None => Cow::Borrowed(text),
    }
}

/// A relative reference for a file whose name is `bytes` (its `/` kept as
/// separators): every byte outside RFC 3986's unreserved characters,
/// sub-delimiters and `@` is percent-encoded, so spaces, `%`, `#`, `?`, `:`,
/// non-ASCII and control bytes cannot change what the URI means.
pub fn uri(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(
            text("a\x1b]0;t\x07\r\n\t\x7fb"),
            r"a\x1b]0;t\x07\x0d\x0a\x09\x7fb"
        );
        assert_eq!(
            text("\u{9b}31m \u{202e}x\u{2066}\u{2028}"),
            r"\u{9b}31m \u{202e}x\u{2066}\u{2028}"
        );
        assert!(matches!(text("plain ünï %"), Cow::Borrowed("plain ünï %")));
    }

    #[test]
    fn uris_encode_what_a_path_segment_cannot_hold() {
        assert_eq!(uri(b"lib/a b%#?:.so"), "lib/a%20b%25%23%3F%3A.so");
        assert_eq!(uri("ü\x1b\n".as_bytes()), "%C3%BC%1B%0A");
        assert_eq!(uri(b"\xff"), "%FF");
        assert_eq!(uri(b"a-1.0_x~!$&'()*+,;=@.whl"), "a-1.0_x~!$&'()*+,;=@.whl");
    }
}
