//! Finding where a value uses a container's name as a host, and only there.
//!
//! A compose service called `wordpress` is also, often, the database's name, user and password
//! (`MYSQL_DATABASE=wordpress`). Rewriting every occurrence of the name breaks the login silently, so
//! a name is rewritten to 127.0.0.1 only where it is used as a host:
//! - the host part of a URL or DSN (`mysql://user:pass@db:3306/app`, `mongodb://a:1,b:2/x`),
//! - `host:port` (`db:3306`, `redis:6379`),
//! - `host=db` / `server=db` pairs inside a connection string (`pgsql:host=db;dbname=app`),
//! - a bare name (or a comma-separated list of names) in a variable that holds a host
//!   (`DB_HOST=db`, `REDIS_HOSTNAME`, `ES_HOSTS`, `SMTP_SERVER`, `BROKER_ADDR`...),
//! - a bare name right after a host flag in a command (`--host db`, `-h db`, `--db-host=db`).

use std::ops::Range;

/// The last word of a variable name that says it holds a host (`WORDPRESS_DB_HOST`, `PGHOST`).
fn holds_host(variable: &str) -> bool {
    let upper = variable.to_ascii_uppercase();
    let last = upper.rsplit(['_', '-', '.']).next().unwrap_or_default();
    last.ends_with("HOST")
        || matches!(
            last,
            "HOSTS"
                | "HOSTNAME"
                | "SERVER"
                | "SERVERS"
                | "ADDR"
                | "ADDRESS"
                | "ENDPOINT"
                | "BROKER"
                | "BROKERS"
        )
}

/// A flag whose argument is a host: `-h`, `--host`, `--db-host`, `--redis-server`...
fn is_host_flag(word: &str) -> bool {
    let Some(name) = word.strip_prefix('-') else {
        return false;
    };
    let name = name.trim_start_matches('-');
    name == "h" || holds_host(name)
}

/// Rewrites the hosts of an environment value. Returns the new value and the names rewritten,
/// or `None` when no name is used as a host.
pub(crate) fn rewrite_env(
    variable: &str,
    value: &str,
    names: &[String],
) -> Option<(String, Vec<String>)> {
    let mut ranges = host_ranges(value, names);
    if holds_host(variable) {
        // `DB_HOST=db` or `ES_HOSTS=es1,es2`.
        let mut start = 0;
        for item in value.split(',') {
            let trimmed = item.trim();
            let offset = start + (item.len() - item.trim_start().len());
            if names.iter().any(|n| n == trimmed) {
                ranges.push(offset..offset + trimmed.len());
            }
            start += item.len() + 1;
        }
    }
    apply(value, ranges)
}

/// Rewrites the hosts of one command word; `previous` is the word before it.
pub(crate) fn rewrite_word(
    previous: Option<&str>,
    word: &str,
    names: &[String],
) -> Option<(String, Vec<String>)> {
    let mut ranges = host_ranges(word, names);
    if previous.is_some_and(is_host_flag) && names.iter().any(|n| n == word) {
        ranges.push(0..word.len());
    }
    // `--db-host=db`
    if let Some((flag, host)) = word.split_once('=') {
        if is_host_flag(flag) && names.iter().any(|n| n == host) {
            ranges.push(flag.len() + 1..word.len());
        }
    }
    apply(word, ranges)
}

fn apply(text: &str, mut ranges: Vec<Range<usize>>) -> Option<(String, Vec<String>)> {
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_by_key(|r| r.start);
    ranges.dedup();
    let mut out = String::with_capacity(text.len());
    let mut rewritten = Vec::new();
    let mut at = 0;
    for range in ranges {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str("127.0.0.1");
        rewritten.push(text[range.clone()].to_string());
        at = range.end;
    }
    out.push_str(&text[at..]);
    Some((out, rewritten))
}

/// Characters that end a token of a value (a URL, a `host:port`, a `key=value`).
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | '[' | ']' | '<' | '>' | '`')
}

/// The byte ranges of `text` where a name is used as a host by its syntax (URL, `host:port`,
/// `host=` pair), whatever the variable.
fn host_ranges(text: &str, names: &[String]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let is_name = |s: &str| names.iter().any(|n| n == s);
    let mut token_start = 0;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if !is_separator(c) {
            continue;
        }
        if token_start < i {
            token_ranges(text, token_start, i, &is_name, &mut ranges);
        }
        token_start = i + c.len_utf8();
    }
    ranges
}

fn token_ranges(
    text: &str,
    start: usize,
    end: usize,
    is_name: &dyn Fn(&str) -> bool,
    ranges: &mut Vec<Range<usize>>,
) {
    let token = &text[start..end];
    if let Some(scheme_end) = token.find("://") {
        // scheme://[user[:password]@]host[:port][,host[:port]...][/path][?query]
        let authority_start = scheme_end + 3;
        let rest = &token[authority_start..];
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let hosts_at = authority.rfind('@').map_or(0, |at| at + 1);
        let mut offset = start + authority_start + hosts_at;
        for host_port in authority[hosts_at..].split(',') {
            let host = host_port.split(':').next().unwrap_or_default();
            if is_name(host) {
                ranges.push(offset..offset + host.len());
            }
            offset += host_port.len() + 1;
        }
        return;
    }
    // Pieces separated by `,` or `;`: `db:3306`, `host=db`, `Server=db,1433`.
    let mut offset = start;
    for piece in token.split([',', ';']) {
        let piece_start = offset;
        offset += piece.len() + 1;
        if let Some((key, value)) = piece.split_once('=') {
            let key = key.trim_start_matches('-').to_ascii_lowercase();
            let host = value.split(':').next().unwrap_or_default();
            let keyed = key == "host"
                || key == "hostname"
                || key == "server"
                || key == "data source"
                || key.ends_with("host");
            let value_start =
                piece_start + key.len() + 1 + (piece.len() - piece.trim_start_matches('-').len());
            if keyed && is_name(host) {
                ranges.push(value_start..value_start + host.len());
                continue;
            }
            // `KEY=db:3306` inside a command word: look at the value as a piece of its own.
            if let Some((host, port)) = value.split_once(':') {
                if is_port(port) && is_name(host) {
                    ranges.push(value_start..value_start + host.len());
                }
            }
            continue;
        }
        let piece = piece.trim_start_matches('@');
        let lead = offset - 1 - piece_start - piece.len();
        if let Some((host, port)) = piece.split_once(':') {
            if is_port(port) && is_name(host) {
                let host_start = piece_start + lead;
                ranges.push(host_start..host_start + host.len());
            }
        }
    }
}

/// A port, possibly followed by a path: `3306`, `8080/api`. Two digits at least, so that image tags
/// such as `mysql:8` are not taken for addresses.
fn is_port(text: &str) -> bool {
    let digits = text.split('/').next().unwrap_or_default();
    digits.len() >= 2
        && digits.len() <= 5
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits
            .parse::<u32>()
            .is_ok_and(|p| (1..=65535).contains(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["wordpress", "db", "redis", "php-fpm", "es", "postgres"]
            .map(String::from)
            .to_vec()
    }

    fn env(var: &str, value: &str) -> String {
        rewrite_env(var, value, &names()).map_or_else(|| value.to_string(), |(v, _)| v)
    }

    #[test]
    fn names_used_as_hosts_are_rewritten() {
        assert_eq!(env("WORDPRESS_DB_HOST", "db"), "127.0.0.1");
        assert_eq!(env("WORDPRESS_DB_HOST", "db:3306"), "127.0.0.1:3306");
        assert_eq!(env("PGHOST", "postgres"), "127.0.0.1");
        assert_eq!(env("ES_HOSTS", "es, db"), "127.0.0.1, 127.0.0.1");
        assert_eq!(
            env("REDIS_URL", "redis://redis:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(
            env(
                "DATABASE_URL",
                "postgres://postgres:postgres@postgres:5432/postgres"
            ),
            "postgres://postgres:postgres@127.0.0.1:5432/postgres"
        );
        assert_eq!(
            env("MONGO", "mongodb://db:27017,es:27018/app"),
            "mongodb://127.0.0.1:27017,127.0.0.1:27018/app"
        );
        assert_eq!(
            env("DSN", "mysql:host=db;dbname=wordpress"),
            "mysql:host=127.0.0.1;dbname=wordpress"
        );
        assert_eq!(env("UPSTREAM", "php-fpm:9000"), "127.0.0.1:9000");
    }

    #[test]
    fn names_that_are_not_hosts_stay() {
        // The wordpress corruption: database name, user and password equal to a service name.
        assert_eq!(env("MYSQL_DATABASE", "wordpress"), "wordpress");
        assert_eq!(env("MYSQL_USER", "wordpress"), "wordpress");
        assert_eq!(env("WORDPRESS_DB_PASSWORD", "wordpress"), "wordpress");
        assert_eq!(env("POSTGRES_USER", "postgres"), "postgres");
        assert_eq!(env("DB_HOST_PORT", "db"), "db");
        assert_eq!(env("IMAGE", "redis:7"), "redis:7");
        assert_eq!(env("CACHE", "redis"), "redis");
        assert_eq!(env("PATH", "/var/db/redis"), "/var/db/redis");
        assert_eq!(
            env("SCHEME", "redis://elsewhere:6379"),
            "redis://elsewhere:6379"
        );
        assert_eq!(env("DSN", "mysql:dbname=db"), "mysql:dbname=db");
        assert_eq!(env("DB_HOST", "db.example.com"), "db.example.com");
    }

    #[test]
    fn command_words_are_rewritten_only_as_hosts() {
        let words = |w: &[&str]| {
            let mut previous = None;
            let mut out = Vec::new();
            for word in w {
                out.push(
                    rewrite_word(previous, word, &names())
                        .map_or_else(|| word.to_string(), |(v, _)| v),
                );
                previous = Some(*word);
            }
            out
        };
        assert_eq!(
            words(&["wait-for", "db:3306"]),
            ["wait-for", "127.0.0.1:3306"]
        );
        assert_eq!(
            words(&["mysql", "-h", "db", "wordpress"]),
            ["mysql", "-h", "127.0.0.1", "wordpress"]
        );
        assert_eq!(words(&["--db-host=db"]), ["--db-host=127.0.0.1"]);
        assert_eq!(
            words(&["redis-server", "--appendonly", "yes"]),
            ["redis-server", "--appendonly", "yes"]
        );
        assert_eq!(
            words(&["npm", "run", "wordpress"]),
            ["npm", "run", "wordpress"]
        );
        assert_eq!(
            words(&["sh", "-c", "until nc -z db:5432; do sleep 1; done"]),
            ["sh", "-c", "until nc -z 127.0.0.1:5432; do sleep 1; done"]
        );
    }
}
