//! Durations as playbook authors write them: `90`, `"90s"`, `"5m"`, `"1h"`, `"1h30m"`.

use std::time::Duration;

/// Parses `90s`, `5m`, `1h30m`, `2d` or a bare number of seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("`{text}` is not a duration (use e.g. 90s, 5m, 1h)")),
        };
        let value: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}` is not a duration (a number must precede `{ch}`)"))?;
        total = value
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("`{text}` ends without a unit (s, m, h or d)"));
    }
    Ok(Duration::from_secs(total))
}

/// Renders a duration the way `parse` reads it back.
pub fn render(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0 => "0s".into(),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form() {
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse("5 minutes").is_err());
        assert!(parse("m").is_err());
        assert!(parse("10x").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn renders_what_it_reads() {
        for secs in [0, 45, 300, 7200] {
            let d = Duration::from_secs(secs);
            assert_eq!(parse(&render(d)), Ok(d));
        }
    }
}
