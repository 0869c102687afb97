//! Finding the line of a JSON path in the text it was parsed from.
//!
//! serde_json does not keep positions in values, so lint findings located by JSON path are mapped
//! back to lines by scanning the text once. The text has already been parsed successfully, but the
//! scanner still refuses to go on (rather than panic) at anything unexpected.

use std::collections::HashMap;

/// The line (1-based) of every value in a JSON document, by JSON path (`$.a[0].b`).
#[derive(Debug, Default)]
pub struct LineIndex {
    lines: HashMap<String, usize>,
}

/// Deeper documents are not indexed; serde_json refuses them anyway.
const MAX_DEPTH: usize = 128;

impl LineIndex {
    pub fn build(text: &str) -> Self {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            index: LineIndex::default(),
        };
        scanner.value("$", 0);
        scanner.index
    }

    /// The line of `path`, or of its nearest indexed ancestor. A `describe-task-definition` document
    /// has everything under `$.taskDefinition`, which is tried too.
    pub fn line(&self, path: &str) -> Option<usize> {
        let wrapped = path
            .strip_prefix('$')
            .map(|rest| format!("$.taskDefinition{rest}"));
        for candidate in [Some(path.to_string()), wrapped].into_iter().flatten() {
            let mut current = candidate.as_str();
            loop {
                if let Some(line) = self.lines.get(current) {
                    if current != "$" {
                        return Some(*line);
                    }
                    break;
                }
                match current.rfind(['.', '[']) {
                    Some(cut) if cut > 0 => current = &current[..cut],
                    _ => break,
                }
            }
        }
        self.lines.get("$").copied()
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    index: LineIndex,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        if b == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
        Some(b)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    /// Scans one value; returns `None` when the text is not as expected.
    fn value(&mut self, path: &str, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        self.index.lines.insert(path.to_string(), self.line);
        match self.peek()? {
            b'{' => {
                self.bump();
                loop {
                    self.skip_whitespace();
                    match self.peek()? {
                        b'}' => {
                            self.bump();
                            return Some(());
                        }
                        b',' => {
                            self.bump();
                        }
                        b'"' => {
                            let key = self.string()?;
                            self.skip_whitespace();
                            (self.bump()? == b':').then_some(())?;
                            self.value(&format!("{path}.{key}"), depth + 1)?;
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.bump();
                let mut i = 0;
                loop {
                    self.skip_whitespace();
                    match self.peek()? {
                        b']' => {
                            self.bump();
                            return Some(());
                        }
                        b',' => {
                            self.bump();
                        }
                        _ => {
                            self.value(&format!("{path}[{i}]"), depth + 1)?;
                            i += 1;
                        }
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while matches!(self.peek(), Some(b) if !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                {
                    self.bump();
                }
                Some(())
            }
        }
    }

    /// Scans a string and returns its raw content (escapes are kept; keys of task definitions have none).
    fn string(&mut self) -> Option<String> {
        (self.bump()? == b'"').then_some(())?;
        let start = self.pos;
        loop {
            match self.bump()? {
                b'\\' => {
                    self.bump()?;
                }
                b'"' => break,
                _ => {}
            }
        }
        let raw = self.bytes.get(start..self.pos - 1)?;
        Some(String::from_utf8_lossy(raw).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_lines() {
        let text = "{\n  \"family\": \"x\",\n  \"containerDefinitions\": [\n    {\n      \"name\": \"web\",\n      \"portMappings\": [{\"containerPort\": 80, \"hostPort\": 0}]\n    }\n  ]\n}\n";
        let index = LineIndex::build(text);
        assert_eq!(index.line("$.family"), Some(2));
        assert_eq!(index.line("$.containerDefinitions[0].name"), Some(5));
        assert_eq!(
            index.line("$.containerDefinitions[0].portMappings[0].hostPort"),
            Some(6)
        );
        // An absent key falls back to its parent.
        assert_eq!(index.line("$.containerDefinitions[0].links"), Some(4));
        assert_eq!(index.line("$.networkMode"), Some(1));
    }

    #[test]
    fn wrapped_documents_and_garbage_do_not_panic() {
        let index = LineIndex::build("{\"taskDefinition\":\n{\"cpu\": \"256\"}}");
        assert_eq!(index.line("$.cpu"), Some(2));
        let index = LineIndex::build("{\"a\": [1, {\"b\": \"\\");
        assert_eq!(index.line("$.a[1].b"), Some(1));
    }
}
