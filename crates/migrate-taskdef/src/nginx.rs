//! Rewriting nginx configurations for one Fargate task.
//!
//! On ECS-on-EC2 nginx reached php-fpm or the app through a link name (`fastcgi_pass php-fpm:9000`);
//! in awsvpc mode those names resolve to nothing and the containers share 127.0.0.1. `localhost` is
//! replaced too: it also resolves to `[::1]`, where the app does not listen, which caused hourly 502s
//! in the field (seed 004).

use crate::finding::{Change, Location};
use crate::rules::catalog;

/// Directives whose argument is an upstream address.
const PASS_DIRECTIVES: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
];

/// Rewrites one configuration. `hosts` are the names the other containers were reached by.
/// Returns the new text (identical when nothing applied) and one change per rewritten line.
pub fn rewrite(origin: &str, text: &str, hosts: &[String]) -> (String, Vec<Change>) {
    let upstreams = upstream_names(text);
    let mut changes = Vec::new();
    let mut out = String::with_capacity(text.len());
    // Brace depth at which the current `upstream` block was opened, if inside one.
    let mut depth: usize = 0;
    let mut upstream_depth: Option<usize> = None;
    // A line may hold several statements (`location / { proxy_pass http://app; }`) and a statement
    // may span lines, so the text is cut at `{`, `}` and `;` and each statement is looked at alone.
    let mut statement = String::new();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let code = line.split('#').next().unwrap_or_default();
        let mut new_line = line.to_string();
        for c in code.chars() {
            match c {
                '{' => {
                    if statement.split_whitespace().next() == Some("upstream")
                        && upstream_depth.is_none()
                    {
                        upstream_depth = Some(depth);
                    }
                    depth += 1;
                    statement.clear();
                }
                '}' => {
                    depth = depth.saturating_sub(1);
                    if upstream_depth == Some(depth) {
                        upstream_depth = None;
                    }
                    statement.clear();
                }
                ';' => {
                    let tokens: Vec<&str> = statement.split_whitespace().collect();
                    let directive = tokens.first().copied().unwrap_or_default();
                    let is_pass = PASS_DIRECTIVES.contains(&directive);
                    let is_upstream_server = directive == "server" && upstream_depth.is_some();
                    if let (true, Some(argument)) = (is_pass || is_upstream_server, tokens.get(1)) {
                        if let Some((replaced, old_host)) =
                            rewrite_address(argument, hosts, &upstreams)
                        {
                            new_line = new_line.replacen(argument, &replaced, 1);
                            let reason = if old_host == "localhost" {
                                "localhost also resolves to [::1], where the app does not listen; nginx then returns 502s (seed 004)".to_string()
                            } else {
                                format!("`{old_host}` was a link name; containers of one Fargate task reach each other on 127.0.0.1")
                            };
                            changes.push(Change {
                                rule: catalog::NGINX_UPSTREAM.id,
                                location: Location::file_line(origin, index + 1),
                                change: format!("{directive} {argument} -> {replaced}"),
                                reason,
                            });
                        }
                    }
                    statement.clear();
                }
                other => statement.push(other),
            }
        }
        statement.push(' ');
        out.push_str(&new_line);
    }
    (out, changes)
}

/// The names of `upstream NAME { ... }` blocks: `proxy_pass http://NAME` refers to the block, not to
/// a host, and must be left alone.
fn upstream_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let mut tokens = line
                .split('#')
                .next()
                .unwrap_or_default()
                .split_whitespace();
            (tokens.next() == Some("upstream"))
                .then(|| tokens.next().map(|n| n.trim_end_matches('{').to_string()))?
        })
        .collect()
}

/// Rewrites `[scheme://]host[:port][/path]` when the host is a link name or `localhost`.
/// Returns the new address and the old host.
fn rewrite_address(
    argument: &str,
    hosts: &[String],
    upstreams: &[String],
) -> Option<(String, String)> {
    let (scheme, rest) = match argument.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), argument),
    };
    if rest.starts_with("unix:") || rest.starts_with('$') {
        return None;
    }
    let end = rest.find([':', '/']).unwrap_or(rest.len());
    let host = &rest[..end];
    let is_target = host == "localhost" || hosts.iter().any(|h| h == host);
    // `proxy_pass http://NAME` names an upstream block; with a port it is a host again.
    let names_upstream = upstreams.iter().any(|u| u == host) && !rest[end..].starts_with(':');
    if !is_target || names_upstream {
        return None;
    }
    Some((
        format!("{scheme}127.0.0.1{}", &rest[end..]),
        host.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Vec<String> {
        vec!["php-fpm".into(), "app".into()]
    }

    #[test]
    fn fastcgi_to_a_link_name_becomes_loopback() {
        let conf =
            "server {\n    location ~ \\.php$ {\n        fastcgi_pass php-fpm:9000;\n    }\n}\n";
        let (out, changes) = rewrite("nginx.conf", conf, &hosts());
        assert!(out.contains("fastcgi_pass 127.0.0.1:9000;"), "{out}");
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].location, Location::file_line("nginx.conf", 3));
    }

    #[test]
    fn localhost_upstream_and_proxy_pass_are_rewritten_but_upstream_names_are_not() {
        let conf = "upstream app {\n  server localhost:4000; # app\n}\nserver {\n  listen 80;\n  location / { proxy_pass http://app; }\n  location /x { proxy_pass http://app:4000/x; }\n}\n";
        let (out, changes) = rewrite("n.conf", conf, &hosts());
        assert!(out.contains("server 127.0.0.1:4000; # app"), "{out}");
        assert!(out.contains("proxy_pass http://app;"), "{out}");
        assert!(!out.contains("http://app:4000"), "{out}");
        assert_eq!(changes.len(), 2);
        // `server` outside an upstream block is a virtual host, not an address.
        assert!(out.contains("  listen 80;"));
    }

    #[test]
    fn other_hosts_and_sockets_are_left_alone() {
        let conf = "fastcgi_pass unix:/run/php.sock;\nproxy_pass http://api.example.com;\nproxy_pass http://127.0.0.1:4000;\n";
        let (out, changes) = rewrite("n.conf", conf, &hosts());
        assert_eq!(out, conf);
        assert!(changes.is_empty());
    }
}
