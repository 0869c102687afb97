//! The saved inventory (`migrate discover -o FILE`, read back by `migrate init --from FILE`):
//! JSON with a format name and version, so that a file of another kind or of a later version is
//! refused by name instead of being half understood.

use crate::Inventory;

/// The `format` field every saved inventory carries.
pub const FORMAT: &str = "migrate-inventory";
/// The version of the saved format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Why a saved inventory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{origin} is not JSON: {source}")]
    NotJson {
        origin: String,
        source: serde_json::Error,
    },
    #[error("{origin} is not a saved inventory (its `format` is {found:?}, expected {FORMAT:?}); write one with `migrate discover -o FILE`")]
    OtherFormat { origin: String, found: String },
    #[error("{origin} is a saved inventory of format version {found}; this build reads version {FORMAT_VERSION}: run `migrate discover -o FILE` again")]
    OtherVersion { origin: String, found: u64 },
    #[error("{origin} is a saved inventory but is damaged: {source}")]
    Damaged {
        origin: String,
        source: serde_json::Error,
    },
}

impl Inventory {
    /// Reads a saved inventory; `origin` names it in errors (usually the file's path).
    pub fn from_json(text: &str, origin: &str) -> Result<Inventory, InventoryError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|source| InventoryError::NotJson {
                origin: origin.to_string(),
                source,
            })?;
        let format = value
            .get("format")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(none)");
        if format != FORMAT {
            return Err(InventoryError::OtherFormat {
                origin: origin.to_string(),
                found: format.to_string(),
            });
        }
        let version = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if version != u64::from(FORMAT_VERSION) {
            return Err(InventoryError::OtherVersion {
                origin: origin.to_string(),
                found: version,
            });
        }
        serde_json::from_value(value).map_err(|source| InventoryError::Damaged {
            origin: origin.to_string(),
            source,
        })
    }

    /// The saved form: pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Inventory {
        Inventory::new("eu-west-1", chrono::DateTime::UNIX_EPOCH)
    }

    #[test]
    fn a_saved_inventory_reads_back_the_same() {
        let inventory = empty();
        let back = Inventory::from_json(&inventory.to_json(), "inv.json").unwrap();
        assert_eq!(back, inventory);
    }

    #[test]
    fn another_kind_of_file_is_refused_by_name() {
        let err = Inventory::from_json(r#"{"format":"migrate-state","version":3}"#, "state.json")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("state.json is not a saved inventory")
                && err.to_string().contains("\"migrate-state\""),
            "{err}"
        );
    }

    #[test]
    fn a_later_version_is_refused_with_both_versions() {
        let mut value = serde_json::to_value(empty()).unwrap();
        value["format_version"] = 9.into();
        let err = Inventory::from_json(&value.to_string(), "inv.json").unwrap_err();
        assert!(
            err.to_string().contains("format version 9")
                && err.to_string().contains("reads version 1"),
            "{err}"
        );
    }

    #[test]
    fn damaged_and_non_json_files_say_where() {
        let err = Inventory::from_json("{\"format\": ", "inv.json").unwrap_err();
        assert!(err.to_string().starts_with("inv.json is not JSON"), "{err}");
        let mut value = serde_json::to_value(empty()).unwrap();
        value["load_balancers"] = serde_json::json!([{"arn": 3}]);
        let err = Inventory::from_json(&value.to_string(), "inv.json").unwrap_err();
        assert!(
            err.to_string()
                .contains("is a saved inventory but is damaged"),
            "{err}"
        );
    }
}
