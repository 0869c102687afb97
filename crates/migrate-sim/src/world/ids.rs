//! Deterministic identifiers: the same seed names every resource the same way.

/// Hands out ids and ARN suffixes from a counter mixed with the seed.
#[derive(Debug, Clone)]
pub(crate) struct Ids {
    seed: u64,
    next: u64,
}

/// SplitMix64: a cheap bijective mix, so consecutive counters give unrelated-looking ids.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Ids {
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed, next: 1 }
    }

    pub(crate) fn raw(&mut self) -> u64 {
        self.next += 1;
        mix(self.seed ^ mix(self.next))
    }

    /// Sixteen hex digits, as ELB puts at the end of an ARN.
    pub(crate) fn hex16(&mut self) -> String {
        format!("{:016x}", self.raw())
    }

    /// `prefix-` and seventeen hex digits, as EC2 ids look.
    pub(crate) fn ec2(&mut self, prefix: &str) -> String {
        format!("{prefix}-{:017x}", self.raw() >> 4)
    }

    /// A private address in the VPC for an awsvpc task.
    pub(crate) fn private_ip(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        format!("10.0.{}.{}", 10 + (n / 250) % 240, 4 + n % 250)
    }
}

/// A hash of a few numbers, used where a choice must be stable per (client, change) without
/// consuming random draws (so that adding a client does not change every other draw).
pub(crate) fn stable_unit(a: u64, b: u64, c: u64) -> f64 {
    let h = mix(a ^ mix(b ^ mix(c)));
    (h >> 11) as f64 / (1u64 << 53) as f64
}
