//! Where the state lives: a directory on disk, or memory (tests and the simulator).
//!
//! Both stores enforce the same discipline before every write: the state already stored must be
//! of the same lineage and not newer than the one being written (Terraform's rule). A write then
//! bumps the serial.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Deserialize;

use crate::error::JournalError;
use crate::state::{State, STATE_FORMAT};

/// The file name of the state inside a state directory.
pub const STATE_FILE: &str = "state.json";

pub trait StateStore: Send {
    /// Reads the state. A missing, corrupt or foreign-format state is an error; the stored
    /// bytes are never modified by reading.
    fn load(&mut self) -> Result<State, JournalError>;
    /// Writes `state` durably, bumping its serial, after checking lineage and serial against
    /// what is stored.
    fn save(&mut self, state: &mut State) -> Result<(), JournalError>;
    /// Where the state lives, for messages.
    fn location(&self) -> PathBuf;
}

/// The part of a state file every check needs, readable even when the rest does not parse.
#[derive(Deserialize)]
struct Header {
    format: u32,
    lineage: String,
    serial: u64,
}

/// Parses stored state bytes, refusing a corrupt or foreign-format state; `path` names where
/// they came from in messages. Every backend reads through this.
pub fn parse(bytes: &[u8], path: &Path) -> Result<State, JournalError> {
    let corrupt = |e: serde_json::Error| JournalError::Corrupt {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    let header: Header = serde_json::from_slice(bytes).map_err(corrupt)?;
    if header.format != STATE_FORMAT {
        return Err(JournalError::UnsupportedFormat {
            path: path.to_path_buf(),
            found: header.format,
            expected: STATE_FORMAT,
        });
    }
    let state: State = serde_json::from_slice(bytes).map_err(corrupt)?;
    if state.steps.len() != state.plan.steps.len()
        || state
            .steps
            .iter()
            .zip(&state.plan.steps)
            .any(|(record, step)| record.id != step.id)
    {
        return Err(JournalError::Corrupt {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: "the step records do not match the plan's steps".into(),
        });
    }
    Ok(state)
}

/// Refuses a write over a state of another lineage or a newer serial, then bumps the serial and
/// serialises. Every backend writes through this, with the bytes it holds as `existing`.
pub fn prepare_write(
    existing: Option<&[u8]>,
    state: &mut State,
    path: &Path,
) -> Result<Vec<u8>, JournalError> {
    if let Some(bytes) = existing {
        let header: Header = serde_json::from_slice(bytes).map_err(|e| JournalError::Corrupt {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if header.lineage != state.lineage {
            return Err(JournalError::ForeignLineage {
                path: path.to_path_buf(),
                found: header.lineage,
                expected: state.lineage.clone(),
            });
        }
        if header.serial > state.serial {
            return Err(JournalError::StaleSerial {
                path: path.to_path_buf(),
                on_disk: header.serial,
                ours: state.serial,
            });
        }
    }
    state.serial += 1;
    serde_json::to_vec_pretty(state).map_err(|e| JournalError::Corrupt {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot serialise the state: {e}"),
    })
}

/// A state directory on disk (`.migrate/<name>/` by default).
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    pub fn exists(&self) -> bool {
        self.path().exists()
    }

    /// Writes a fresh state (a new plan) in place of whatever the directory holds. Only `migrate
    /// plan` does this, after checking that the state it replaces has nothing left to undo.
    pub fn replace(&self, state: &mut State) -> Result<(), JournalError> {
        let path = self.path();
        fs::create_dir_all(&self.dir).map_err(|e| JournalError::io("create", &self.dir, e))?;
        let mut candidate = state.clone();
        let bytes = prepare_write(None, &mut candidate, &path)?;
        write_atomically(&self.dir, &path, &bytes)?;
        *state = candidate;
        Ok(())
    }

    fn read_existing(&self) -> Result<Option<Vec<u8>>, JournalError> {
        let path = self.path();
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(JournalError::io("read", path, e)),
        }
    }
}

impl StateStore for FileStore {
    fn load(&mut self) -> Result<State, JournalError> {
        let path = self.path();
        match self.read_existing()? {
            Some(bytes) => parse(&bytes, &path),
            None => Err(JournalError::Missing(path)),
        }
    }

    fn save(&mut self, state: &mut State) -> Result<(), JournalError> {
        let path = self.path();
        fs::create_dir_all(&self.dir).map_err(|e| JournalError::io("create", &self.dir, e))?;
        let existing = self.read_existing()?;
        let mut candidate = state.clone();
        let bytes = prepare_write(existing.as_deref(), &mut candidate, &path)?;
        write_atomically(&self.dir, &path, &bytes)?;
        *state = candidate;
        Ok(())
    }

    fn location(&self) -> PathBuf {
        self.path()
    }
}

/// Temp file in the same directory, fsync, rename over the target, fsync the directory: after a
/// crash at any point the file holds either the old state or the new one, never a mix.
pub fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| STATE_FILE.to_string());
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(|e| JournalError::io("create", &temp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| JournalError::io("write", &temp, e))?;
    drop(file);
    fs::rename(&temp, path).map_err(|e| JournalError::io("rename into place", path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| JournalError::io("sync the directory", dir, e))?;
    Ok(())
}

#[derive(Debug, Default)]
struct MemoryInner {
    bytes: Option<Vec<u8>>,
    saves: u64,
    /// The save (1-based count) that fails as if the process died just before it.
    crash_at_save: Option<u64>,
}

/// A state held in memory, as bytes, so that what survives a simulated crash is exactly what was
/// serialised. Clones share the bytes: keep a clone, drop the engine, build a new one from it.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<MemoryInner>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, MemoryInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the `n`-th save from now fail with [`JournalError::Interrupted`], writing nothing.
    pub fn crash_at_save(&self, n: u64) {
        let mut inner = self.lock();
        inner.crash_at_save = Some(inner.saves + n);
    }

    /// Saves so far.
    pub fn saves(&self) -> u64 {
        self.lock().saves
    }

    /// The stored bytes, e.g. to corrupt them in a test.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        self.lock().bytes.clone()
    }

    pub fn set_bytes(&self, bytes: Vec<u8>) {
        self.lock().bytes = Some(bytes);
    }
}

impl StateStore for MemoryStore {
    fn load(&mut self) -> Result<State, JournalError> {
        let path = self.location();
        match self.lock().bytes.as_deref() {
            Some(bytes) => parse(bytes, &path),
            None => Err(JournalError::Missing(path)),
        }
    }

    fn save(&mut self, state: &mut State) -> Result<(), JournalError> {
        let path = self.location();
        let mut inner = self.lock();
        if inner.crash_at_save == Some(inner.saves + 1) {
            inner.crash_at_save = None;
            return Err(JournalError::Interrupted);
        }
        let mut candidate = state.clone();
        let bytes = prepare_write(inner.bytes.as_deref(), &mut candidate, &path)?;
        inner.bytes = Some(bytes);
        inner.saves += 1;
        *state = candidate;
        Ok(())
    }

    fn location(&self) -> PathBuf {
        PathBuf::from("<memory>/state.json")
    }
}
