//! Recognising and masking secret values.
//!
//! A secret value must never be printed in full, not even in the finding that says it should not be
//! there. Masks keep two characters so that a person can tell which value is meant, and always have
//! the same length so that they do not reveal the secret's length either.

/// Masks a secret: `pa******` for values of eight characters or more, `********` otherwise.
pub fn mask(value: &str) -> String {
    let shown: String = if value.chars().count() >= 8 {
        value.chars().take(2).collect()
    } else {
        String::new()
    };
    format!("{shown}{}", "*".repeat(8 - shown.chars().count()))
}

/// Words in a variable name that mark its value as a secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
    "SALT",
    "SIGNING_KEY",
    "ENCRYPTION_KEY",
    "APP_KEY",
    "SECRET_KEY_BASE",
];

/// Name endings that point at a secret rather than hold one (an ARN, a file, a parameter name).
const REFERENCE_SUFFIXES: &[&str] = &[
    "_ARN",
    "_FILE",
    "_PATH",
    "_PARAM",
    "_PARAMETER",
    "_NAME",
    "_ID_NAME",
];

/// Whether an environment variable looks like it carries a secret, from its name or its value.
pub fn looks_like_secret(name: &str, value: &str) -> bool {
    if value.trim().is_empty() {
        return false;
    }
    let upper = name.to_ascii_uppercase();
    let named_secret = !REFERENCE_SUFFIXES.iter().any(|s| upper.ends_with(s))
        && (SECRET_WORDS.iter().any(|w| upper.contains(w))
            || upper.ends_with("_KEY")
            || upper.ends_with("_PASS"));
    named_secret || url_with_password(value)
}

/// `scheme://user:password@host` carries a password whatever the variable is called.
fn url_with_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => userinfo
            .split_once(':')
            .is_some_and(|(_, password)| !password.is_empty()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_show_more_than_two_characters() {
        assert_eq!(mask("password123"), "pa******");
        assert_eq!(mask("short"), "********");
        assert_eq!(mask(""), "********");
        assert_eq!(mask("ééééééééé"), "éé******");
    }

    #[test]
    fn secrets_are_recognised_by_name_and_by_url() {
        assert!(looks_like_secret("DB_PASSWORD", "hunter2"));
        assert!(looks_like_secret("STRIPE_API_KEY", "sk_live_x"));
        assert!(looks_like_secret("AUTH_SALT", "x"));
        assert!(looks_like_secret(
            "DATABASE_URL",
            "mysql://app:s3cret@db:3306/app"
        ));
        assert!(!looks_like_secret("DATABASE_URL", "mysql://db:3306/app"));
        assert!(!looks_like_secret("DB_PASSWORD", ""));
        assert!(!looks_like_secret(
            "DB_PASSWORD_ARN",
            "arn:aws:secretsmanager:x"
        ));
        assert!(!looks_like_secret("REDIS_HOST", "redis"));
        assert!(!looks_like_secret("KEYBOARD", "us"));
    }
}
