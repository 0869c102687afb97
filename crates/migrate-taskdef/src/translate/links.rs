//! Links: removed, and every use of a linked name rewritten to 127.0.0.1.
//!
//! In bridge mode a link (or a compose service name) makes the other container reachable by name. In
//! awsvpc mode the containers of a task share one network interface, so the same service is at
//! 127.0.0.1 (not `localhost`, which may resolve to `[::1]`).

use super::{container_path, Context};
use crate::model::TaskDefinition;
use crate::nginx;
use crate::rules::catalog;
use crate::source::SourceKind;

use super::TextFile;

pub(super) fn apply(task: &mut TaskDefinition, cx: &mut Context<'_>) {
    let hosts = linked_names(task, cx.kind);

    for (i, c) in task.container_definitions.iter_mut().enumerate() {
        let at = container_path(i);
        if !c.links.is_empty() {
            let links = std::mem::take(&mut c.links);
            cx.change(
                &catalog::LINKS,
                format!("{at}.links"),
                format!("container `{}`: removed links {links:?}", c.name),
                "links do not exist in awsvpc mode; the linked containers are reached on 127.0.0.1",
            );
        }
        for (j, kv) in c.environment.iter_mut().enumerate() {
            let Some(value) = &kv.value else { continue };
            let new = rewrite_hosts(value, &hosts);
            if &new != value {
                // Values can be secrets; only the variable name goes into the change.
                cx.change(
                    &catalog::LINKS,
                    format!("{at}.environment[{j}].value"),
                    format!("container `{}`: `{}` now addresses 127.0.0.1 instead of a linked container", c.name, kv.name),
                    "the linked name does not resolve on Fargate; the container is on 127.0.0.1",
                );
                kv.value = Some(new);
            }
        }
        for (field, words) in [
            ("command", &mut c.command),
            ("entryPoint", &mut c.entry_point),
        ] {
            let Some(words) = words else { continue };
            for (j, word) in words.iter_mut().enumerate() {
                let new = rewrite_hosts(word, &hosts);
                if &new != word {
                    cx.change(
                        &catalog::LINKS,
                        format!("{at}.{field}[{j}]"),
                        format!("container `{}`: {field} `{word}` -> `{new}`", c.name),
                        "the linked name does not resolve on Fargate; the container is on 127.0.0.1",
                    );
                    *word = new;
                }
            }
        }
    }

    for conf in &cx.options.nginx_configs {
        let (text, changes) = nginx::rewrite(&conf.origin, &conf.text, &hosts);
        cx.changes.extend(changes);
        cx.rewritten_files.push(TextFile {
            origin: conf.origin.clone(),
            text,
        });
    }
}

/// The names by which containers reached each other: link targets and aliases, and for compose every
/// service name (compose resolves service names without links). Longest first, so that `php-fpm`
/// wins over `php`.
fn linked_names(task: &TaskDefinition, kind: SourceKind) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in &task.container_definitions {
        for link in &c.links {
            let (name, alias) = link.split_once(':').unwrap_or((link.as_str(), ""));
            names.extend(
                [name, alias]
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
            );
        }
        if kind == SourceKind::Compose {
            names.push(c.name.clone());
        }
    }
    names.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    names.dedup();
    names
}

/// Replaces each whole-host occurrence of a name with 127.0.0.1: `php-fpm:9000`, `http://app/x`,
/// `DB_HOST=mysql` match; `/var/app/public` and `myapp` do not.
pub(crate) fn rewrite_hosts(text: &str, names: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let matched = names.iter().find(|name| {
            !name.is_empty()
                && text.get(i..i + name.len()) == Some(name.as_str())
                && starts_host(&text[..i])
                && ends_host(&text[i + name.len()..])
        });
        match matched {
            Some(name) => {
                out.push_str("127.0.0.1");
                i += name.len();
            }
            None => {
                let Some(c) = text[i..].chars().next() else {
                    break;
                };
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// Whether a host name may start right after `before`.
fn starts_host(before: &str) -> bool {
    match before.chars().last() {
        None => true,
        Some('/') => before.ends_with("//"),
        Some(c) => matches!(
            c,
            ' ' | '\t' | '=' | '@' | ',' | ';' | '"' | '\'' | '(' | '['
        ),
    }
}

/// Whether a host name may end right before `after`.
fn ends_host(after: &str) -> bool {
    // `redis://...`: the name is a URL scheme here, not a host.
    if after.starts_with("://") {
        return false;
    }
    match after.chars().next() {
        None => true,
        Some(c) => matches!(
            c,
            ':' | '/' | ' ' | '\t' | ',' | ';' | '"' | '\'' | ')' | ']' | '?'
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_host_names_are_rewritten() {
        let names = vec![
            "php-fpm".to_string(),
            "redis".to_string(),
            "app".to_string(),
        ];
        assert_eq!(rewrite_hosts("php-fpm:9000", &names), "127.0.0.1:9000");
        assert_eq!(rewrite_hosts("redis", &names), "127.0.0.1");
        assert_eq!(
            rewrite_hosts("tcp://redis:6379?db=0", &names),
            "tcp://127.0.0.1:6379?db=0"
        );
        assert_eq!(
            rewrite_hosts("--upstream=app:4000", &names),
            "--upstream=127.0.0.1:4000"
        );
        assert_eq!(rewrite_hosts("/var/app/public", &names), "/var/app/public");
        assert_eq!(rewrite_hosts("myapp", &names), "myapp");
        assert_eq!(rewrite_hosts("app.example.com", &names), "app.example.com");
        assert_eq!(rewrite_hosts("äpp app", &names), "äpp 127.0.0.1");
    }
}
