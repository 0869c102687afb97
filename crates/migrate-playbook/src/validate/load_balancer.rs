//! `target.load_balancer.acknowledge`: the parts of the old load balancer's behaviour the new one
//! is created without. Each entry names one part as the plan error names it, so a typo cannot
//! silently acknowledge nothing while the reviewer believes a gap was accepted.

use std::collections::BTreeSet;

use super::Checker;

/// Whether `name` has the form the plan gives an uncopyable part: `HTTP:80 default` (a
/// listener's default actions) or `HTTPS:443 rule 10` (one rule, by priority).
pub fn is_part_name(name: &str) -> bool {
    let mut words = name.split(' ');
    let Some(listener) = words.next() else {
        return false;
    };
    let Some((protocol, port)) = listener.split_once(':') else {
        return false;
    };
    if !matches!(protocol, "HTTP" | "HTTPS") || port.parse::<u16>().map_or(true, |p| p == 0) {
        return false;
    }
    match (words.next(), words.next(), words.next()) {
        (Some("default"), None, None) => true,
        (Some("rule"), Some(priority), None) => priority
            .parse::<u32>()
            .is_ok_and(|p| (1..=50_000).contains(&p)),
        _ => false,
    }
}

pub(super) fn check_acknowledged(c: &mut Checker, names: &[String]) {
    let mut seen = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        let at = format!("target.load_balancer.acknowledge[{i}]");
        if !is_part_name(name) {
            c.problem(
                at,
                format!(
                    "`{name}` does not name a part of a listener; write it as the plan error \
                     does, e.g. `HTTP:80 default` or `HTTPS:443 rule 10`"
                ),
            );
        } else if !seen.insert(name.as_str()) {
            c.problem(at, format!("`{name}` is acknowledged twice"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_part_name;

    #[test]
    fn part_names_are_a_listener_and_its_default_or_one_rule() {
        assert!(is_part_name("HTTP:80 default"));
        assert!(is_part_name("HTTPS:8443 rule 50000"));
        assert!(!is_part_name("HTTPS:443 rule 0"));
        assert!(!is_part_name("TCP:443 default"));
        assert!(!is_part_name("HTTP:80"));
        assert!(!is_part_name("http:80 default"));
        assert!(!is_part_name("HTTP:80 rule 10 extra"));
    }
}
