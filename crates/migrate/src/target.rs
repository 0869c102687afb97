//! Which state directory a command acts on: `--state-dir`, the playbook's name, a migration
//! name, or the only migration under `.migrate/`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use migrate_playbook::Playbook;

use crate::cli::Target;

/// Where states live unless `--state-dir` says otherwise.
pub const STATE_ROOT: &str = ".migrate";

pub fn state_dir_for(name: &str) -> PathBuf {
    Path::new(STATE_ROOT).join(name)
}

/// The playbook and the state directory a command names.
pub fn resolve(target: &Target) -> Result<PathBuf> {
    if let Some(dir) = &target.state_dir {
        return Ok(dir.clone());
    }
    match &target.migration {
        Some(given) => {
            let path = Path::new(given);
            if path.is_file() {
                let playbook = Playbook::from_path(path).map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(state_dir_for(&playbook.name))
            } else if given.contains('/') || given.ends_with(".yaml") || given.ends_with(".yml") {
                bail!("there is no playbook at {given}")
            } else {
                Ok(state_dir_for(given))
            }
        }
        None => {
            let root = Path::new(STATE_ROOT);
            let mut found = Vec::new();
            if root.is_dir() {
                for entry in
                    std::fs::read_dir(root).with_context(|| format!("cannot list {STATE_ROOT}"))?
                {
                    let dir = entry?.path();
                    if dir.join(migrate_journal::STATE_FILE).is_file() {
                        found.push(dir);
                    }
                }
            }
            found.sort();
            match found.len() {
                1 => Ok(found.remove(0)),
                0 => bail!("no migration here: run `migrate plan PLAYBOOK` first, or name one with --state-dir"),
                _ => bail!(
                    "several migrations here ({}); name one",
                    found.iter().filter_map(|d| d.file_name()).map(|n| n.to_string_lossy().into_owned()).collect::<Vec<_>>().join(", ")
                ),
            }
        }
    }
}
