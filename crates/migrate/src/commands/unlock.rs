//! `migrate unlock ID`: removes a lock a dead run left, only with its exact id.

use anyhow::Result;
use migrate_journal::lock;

use crate::cli::UnlockArgs;
use crate::exit;
use crate::target::resolve;

pub fn run(args: &UnlockArgs) -> Result<u8> {
    let dir = resolve(&args.target)?;
    let info = lock::force_unlock(&dir, &args.id)?;
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
