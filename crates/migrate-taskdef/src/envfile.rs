//! `.env` files, read for their variable names only.
//!
//! The values are deliberately never kept: the translator turns each name into a reference to the
//! Secrets Manager secret that holds the value, so there is nothing to leak into a task definition,
//! a log or an error message.

use crate::error::{Position, TaskdefError};

/// Reads the variable names of a `.env` file, in order, without duplicates.
///
/// Accepts `KEY=value`, `export KEY=value`, comments, blank lines and quoted values that span lines.
pub fn keys(origin: &str, text: &str) -> Result<Vec<String>, TaskdefError> {
    let mut keys: Vec<String> = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, raw)) = lines.next() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let error = |message: String| TaskdefError::Parse {
            origin: origin.to_string(),
            position: Some(Position {
                line: index + 1,
                column: 1,
            }),
            message,
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(error("expected KEY=value".to_string()));
        };
        let key = key.trim();
        if !valid_key(key) {
            // The key is shown because it is a name, not a value; the value is never shown.
            return Err(error(format!("`{key}` is not a valid variable name")));
        }
        let value = value.trim_start();
        for quote in ['"', '\''] {
            if value.starts_with(quote) && !closes(&value[1..], quote) {
                // A quoted value continues on the following lines until its closing quote.
                let closed = lines.by_ref().any(|(_, next)| closes(next, quote));
                if !closed {
                    return Err(error(format!(
                        "the value of `{key}` has no closing {quote}"
                    )));
                }
            }
        }
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    }
    Ok(keys)
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Whether `text` contains an unescaped `quote`.
fn closes(text: &str, quote: char) -> bool {
    let mut escaped = false;
    for c in text.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == quote && !escaped => return true,
            _ => escaped = false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_and_never_values() {
        let text = "# comment\nAPP_KEY=base64:abc\nexport DB_PASSWORD=\"multi\nline\"\n\nDB_PASSWORD=again\nMAIL_FROM='a@b'\n";
        assert_eq!(
            keys(".env", text).unwrap(),
            vec!["APP_KEY", "DB_PASSWORD", "MAIL_FROM"]
        );
    }

    #[test]
    fn bad_lines_are_reported_with_their_line_and_without_the_value() {
        let err = keys(".env", "A=1\nnot a pair\n").unwrap_err().to_string();
        assert_eq!(err, ".env:2:1: expected KEY=value");
        let err = keys(".env", "A=1\n1BAD=topsecret\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(".env:2:1: "), "{err}");
        assert!(!err.contains("topsecret"), "{err}");
        let err = keys(".env", "A=\"open\nB=2\n").unwrap_err().to_string();
        assert!(err.contains("no closing"), "{err}");
    }
}
