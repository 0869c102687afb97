//! Finds the line and column of a field path such as `target.services[0].cpu` in the YAML text.
//!
//! serde_yaml's `Value` keeps no positions, so validation works on paths and this module maps a
//! path back to the text for the message. It understands block-style YAML, which is what
//! playbooks are; for anything it cannot follow it answers the nearest parent it found.

/// A position in the text, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some(end) = rest.find(']') {
            if let Ok(index) = rest[1..end].parse() {
                out.push(Segment::Index(index));
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#')
}

/// The position of the deepest part of `path` that could be found.
pub fn locate(text: &str, path: &str) -> Option<Position> {
    let lines: Vec<&str> = text.lines().collect();
    // The window of lines the current node spans, and the indentation its children are deeper than.
    let (mut start, mut end) = (0usize, lines.len());
    let mut parent_indent: Option<usize> = None;
    let mut found: Option<Position> = None;
    for segment in segments(path) {
        let mut hit = None;
        match segment {
            Segment::Key(key) => {
                for (i, line) in lines.iter().enumerate().take(end).skip(start) {
                    if !is_content(line) {
                        continue;
                    }
                    // A list item's first key sits after "- ".
                    let trimmed = line.trim_start().trim_start_matches("- ");
                    let column = line.len() - trimmed.len();
                    if parent_indent.is_some_and(|p| column <= p) {
                        continue;
                    }
                    if trimmed.starts_with(key)
                        && trimmed[key.len()..].trim_start().starts_with(':')
                    {
                        hit = Some((i, column));
                        break;
                    }
                }
            }
            Segment::Index(index) => {
                let mut seen = 0;
                let mut item_indent = None;
                for (i, line) in lines.iter().enumerate().take(end).skip(start) {
                    if !is_content(line) {
                        continue;
                    }
                    let column = indent(line);
                    if line.trim_start().starts_with("- ") || line.trim() == "-" {
                        if item_indent.is_some_and(|c| c != column) {
                            continue;
                        }
                        item_indent = Some(column);
                        if seen == index {
                            hit = Some((i, column + 2));
                            break;
                        }
                        seen += 1;
                    }
                }
            }
        }
        let (line_index, column) = hit?;
        found = Some(Position {
            line: line_index + 1,
            column: column + 1,
        });
        // A key's children are the lines below it indented deeper than the key; a list item's are
        // the lines indented deeper than its dash, starting with the item's own line, whose first
        // key follows the dash.
        let (own_indent, first_child) = match segment {
            Segment::Key(_) => (column, line_index + 1),
            Segment::Index(_) => (column - 2, line_index),
        };
        start = first_child;
        end = lines
            .iter()
            .enumerate()
            .skip(line_index + 1)
            .find(|(_, l)| is_content(l) && indent(l) <= own_indent)
            .map_or(lines.len(), |(i, _)| i);
        parent_indent = Some(own_indent);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name: shop\ntarget:\n  cluster: c\n  services:\n    - name: web\n      cpu: 300\n    - name: worker\n      cpu: 256\n";

    #[test]
    fn finds_nested_keys_and_list_items() {
        assert_eq!(locate(TEXT, "name"), Some(Position { line: 1, column: 1 }));
        assert_eq!(
            locate(TEXT, "target.cluster"),
            Some(Position { line: 3, column: 3 })
        );
        assert_eq!(
            locate(TEXT, "target.services[0].cpu"),
            Some(Position { line: 6, column: 7 })
        );
        assert_eq!(
            locate(TEXT, "target.services[1].cpu"),
            Some(Position { line: 8, column: 7 })
        );
        assert_eq!(
            locate(TEXT, "target.services[1].name"),
            Some(Position { line: 7, column: 7 })
        );
    }

    #[test]
    fn a_missing_path_is_none() {
        assert_eq!(locate(TEXT, "cutover.zone"), None);
    }
}
