//! `migrate unlock ID`: removes a lock a dead run left, only with its exact id.

use anyhow::Result;

use crate::cli::{GlobalArgs, UnlockArgs};
use crate::exit;
use crate::target::{open, resolve};

pub fn run(args: &UnlockArgs, global: &GlobalArgs) -> Result<u8> {
    let backend = open(&resolve(&args.target)?, global, None)?;
    let info = backend.force_unlock(&args.id)?;
    println!(
        "Removed the lock {} held by {} (pid {} on {}, `{}` since {}).",
        info.id,
        info.holder,
        info.pid,
        info.host,
        info.operation,
        info.created_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    Ok(exit::OK)
}
