//! Which state a command acts on: `--state` (shared, in S3), `--state-dir`, the playbook's
//! `state:` or name, a migration name, or the only migration under `.migrate/`; and opening its
//! backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use migrate_journal::{LocalBackend, StateBackend};
use migrate_playbook::Playbook;

use crate::cli::{GlobalArgs, Target};

/// Where states live unless `--state-dir` says otherwise.
pub const STATE_ROOT: &str = ".migrate";

pub fn state_dir_for(name: &str) -> PathBuf {
    Path::new(STATE_ROOT).join(name)
}

/// Where a migration's state is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    /// A state directory on this machine.
    Dir(PathBuf),
    /// A shared state: `s3://BUCKET/PREFIX`.
    Shared(String),
}

/// The file in `.migrate/<name>/` where `plan` notes a shared state location, so that later
/// commands naming the migration find it.
pub const SHARED_POINTER: &str = "state-location";

/// A local state directory, or the shared location the last `plan` noted in it.
fn dir_or_noted(dir: PathBuf) -> Result<StateLocation> {
    let pointer = dir.join(SHARED_POINTER);
    if pointer.is_file() {
        let url = std::fs::read_to_string(&pointer)
            .with_context(|| format!("cannot read {}", pointer.display()))?;
        return Ok(StateLocation::Shared(url.trim().to_string()));
    }
    Ok(StateLocation::Dir(dir))
}

/// The state a command names: `--state`, `--state-dir`, the given playbook's `state:`, a
/// migration name (its directory, or the shared location `plan` noted there), or the only
/// migration under `.migrate/`.
pub fn resolve(target: &Target) -> Result<StateLocation> {
    resolve_with(target, None)
}

/// [`resolve`] for a command that has already parsed the playbook the target names, so that a
/// run parses it once.
pub fn resolve_with(target: &Target, parsed: Option<&Playbook>) -> Result<StateLocation> {
    if let Some(url) = &target.state {
        return Ok(StateLocation::Shared(url.clone()));
    }
    if let Some(dir) = &target.state_dir {
        return Ok(StateLocation::Dir(dir.clone()));
    }
    let of_playbook = |playbook: &Playbook| match &playbook.state {
        Some(url) => Ok(StateLocation::Shared(url.clone())),
        None => dir_or_noted(state_dir_for(&playbook.name)),
    };
    if let Some(playbook) = parsed {
        return of_playbook(playbook);
    }
    match &target.migration {
        Some(given) => {
            let path = Path::new(given);
            if path.is_file() {
                let playbook = Playbook::from_path(path).map_err(|e| anyhow::anyhow!("{e}"))?;
                of_playbook(&playbook)
            } else if given.contains('/') || given.ends_with(".yaml") || given.ends_with(".yml") {
                bail!("there is no playbook at {given}")
            } else {
                dir_or_noted(state_dir_for(given))
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
                    if dir.join(migrate_journal::STATE_FILE).is_file()
                        || dir.join(SHARED_POINTER).is_file()
                    {
                        found.push(dir);
                    }
                }
            }
            found.sort();
            match found.len() {
                1 => dir_or_noted(found.remove(0)),
                0 => bail!("no migration here: run `migrate plan PLAYBOOK` first, or name one with --state-dir or --state"),
                _ => bail!(
                    "several migrations here ({}); name one",
                    found.iter().filter_map(|d| d.file_name()).map(|n| n.to_string_lossy().into_owned()).collect::<Vec<_>>().join(", ")
                ),
            }
        }
    }
}

/// Opens the backend of `location`. A shared state is reached with the command line's AWS
/// options; `region` (the playbook's, when the command was given the playbook) is used when
/// `--region` is not given, as `apply` does for the account.
pub fn open(
    location: &StateLocation,
    global: &GlobalArgs,
    region: Option<&str>,
) -> Result<Arc<dyn StateBackend>> {
    Ok(match location {
        StateLocation::Dir(dir) => Arc::new(LocalBackend::new(dir)),
        StateLocation::Shared(url) => {
            let options = migrate_aws::AwsOptions {
                profile: global.profile.clone(),
                region: global.region.clone().or_else(|| region.map(str::to_string)),
                endpoint_url: global.endpoint_url.clone(),
                probe_override: None,
            };
            Arc::new(
                migrate_aws::state_s3::open(url, &options)
                    .with_context(|| format!("cannot open the shared state {url}"))?,
            )
        }
    })
}

/// Notes a shared state location in `.migrate/<name>/`, so that `migrate apply NAME` and the
/// others find it on this machine; elsewhere the playbook's `state:` or `--state` names it.
pub fn note_shared_location(name: &str, url: &str) -> Result<()> {
    let dir = state_dir_for(name);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    migrate_journal::write_atomically(
        &dir,
        &dir.join(SHARED_POINTER),
        format!("{url}\n").as_bytes(),
    )?;
    Ok(())
}
