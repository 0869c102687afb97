//! Deserialisers for the "either this or that" shapes of docker-compose files.
//!
//! They are written as visitors rather than `#[serde(untagged)]` enums: an untagged enum buffers its
//! input and reports "data did not match any variant" without saying what was wrong, whereas a visitor
//! streams, so the YAML parser still knows the position when it reports an error.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A mapping whose key order is kept (compose service order becomes container order).
#[derive(Debug, Clone, Default)]
pub struct OrderedMap<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for MapVisitor<T> {
            type Value = OrderedMap<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<Scalar, T>()? {
                    entries.push((key.0, value));
                }
                Ok(OrderedMap(entries))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
        }

        deserializer.deserialize_any(MapVisitor(PhantomData))
    }
}

/// A scalar (string, number or boolean) kept as its text, as compose treats `ports: [80]` and
/// `ports: ["80"]` alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// A string or a list of strings (`command`, `entrypoint`, `env_file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringOrList {
    String(String),
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringOrListVisitor;

        impl<'de> Visitor<'de> for StringOrListVisitor {
            type Value = StringOrList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<StringOrList, E> {
                Ok(StringOrList::String(v.to_string()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<StringOrList, A::Error> {
                let items: Vec<Scalar> = Deserialize::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(StringOrList::List(items.into_iter().map(|s| s.0).collect()))
            }
        }

        deserializer.deserialize_any(StringOrListVisitor)
    }
}

/// Compose's short (`"8080:80"`) or long (`{target: 80, published: 8080}`) syntax.
#[derive(Debug, Clone)]
pub enum ShortOrLong<L> {
    Short(String),
    Long(L),
}

impl<'de, L: Deserialize<'de>> Deserialize<'de> for ShortOrLong<L> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShortOrLongVisitor<L>(PhantomData<L>);

        impl<'de, L: Deserialize<'de>> Visitor<'de> for ShortOrLongVisitor<L> {
            type Value = ShortOrLong<L>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a number or a mapping")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ShortOrLong::Short(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ShortOrLong::Short(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ShortOrLong::Short(v.to_string()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(ShortOrLong::Short(v.to_string()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                L::deserialize(MapAccessDeserializer::new(map)).map(ShortOrLong::Long)
            }
        }

        deserializer.deserialize_any(ShortOrLongVisitor(PhantomData))
    }
}

/// A mapping (`KEY: value`) or a list of `KEY=value` strings, as `environment` and `labels` allow.
/// A key without a value (`- KEY` or `KEY:`) is kept with `None`.
#[derive(Debug, Clone, Default)]
pub struct KeyValues(pub Vec<(String, Option<String>)>);

impl<'de> Deserialize<'de> for KeyValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyValuesVisitor;

        impl<'de> Visitor<'de> for KeyValuesVisitor {
            type Value = KeyValues;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping or a list of KEY=value strings")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyValues, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<Scalar, Option<Scalar>>()? {
                    entries.push((key.0, value.map(|v| v.0)));
                }
                Ok(KeyValues(entries))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyValues, A::Error> {
                let mut entries = Vec::new();
                while let Some(item) = seq.next_element::<Scalar>()? {
                    match item.0.split_once('=') {
                        Some((key, value)) => {
                            entries.push((key.to_string(), Some(value.to_string())))
                        }
                        None => entries.push((item.0, None)),
                    }
                }
                Ok(KeyValues(entries))
            }

            fn visit_unit<E: de::Error>(self) -> Result<KeyValues, E> {
                Ok(KeyValues::default())
            }
        }

        deserializer.deserialize_any(KeyValuesVisitor)
    }
}

/// Splits a command line the way a POSIX shell would split words, honouring single quotes, double
/// quotes and backslashes. Returns `None` for an unterminated quote.
pub fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        other => current.push(other),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => current.push(chars.next()?),
                        other => current.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                current.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                current.push(other);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words(r#"php artisan "queue:work --tries=3" 'a b' c\ d"#),
            Some(vec![
                "php".into(),
                "artisan".into(),
                "queue:work --tries=3".into(),
                "a b".into(),
                "c d".into()
            ])
        );
        assert_eq!(split_words("echo 'open"), None);
        assert_eq!(split_words("  "), Some(vec![]));
    }
}
