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

use super::{hosts, TextFile};

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn apply(task: &mut TaskDefinition, cx: &mut Context<'_>) {
    let names = linked_names(task, cx.kind);

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
            let Some((new, rewritten)) = hosts::rewrite_env(&kv.name, value, &names) else {
                continue;
            };
            // Values can be secrets; only the variable name and the host names go into the change.
            cx.change(
                &catalog::LINKS,
                format!("{at}.environment[{j}].value"),
                format!(
                    "container `{}`: `{}`: host {} -> 127.0.0.1",
                    c.name,
                    kv.name,
                    quoted(&rewritten)
                ),
                "the value uses a container's name as a host, which does not resolve on Fargate; the container is on 127.0.0.1",
            );
            kv.value = Some(new);
        }
        for (field, words) in [
            ("command", &mut c.command),
            ("entryPoint", &mut c.entry_point),
        ] {
            let Some(words) = words else { continue };
            let mut previous: Option<String> = None;
            for (j, word) in words.iter_mut().enumerate() {
                let rewrite = hosts::rewrite_word(previous.as_deref(), word, &names);
                previous = Some(word.clone());
                let Some((new, rewritten)) = rewrite else {
                    continue;
                };
                cx.change(
                    &catalog::LINKS,
                    format!("{at}.{field}[{j}]"),
                    format!(
                        "container `{}`: {field}: host {} -> 127.0.0.1",
                        c.name,
                        quoted(&rewritten)
                    ),
                    "the word uses a container's name as a host, which does not resolve on Fargate; the container is on 127.0.0.1",
                );
                *word = new;
            }
        }
    }

    for conf in &cx.options.nginx_configs {
        let (text, changes) = nginx::rewrite(&conf.origin, &conf.text, &names);
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
