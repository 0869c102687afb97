//! Tag conversions shared by the service modules.

use migrate_engine::ports::Tags;

/// The tags as `(key, value)` pairs in key order, for the per-service tag builders.
pub(crate) fn pairs(tags: &Tags) -> impl Iterator<Item = (&str, &str)> {
    tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}
