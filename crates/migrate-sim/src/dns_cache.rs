//! A client's DNS resolver cache: answers are kept for the record's TTL, or, for the resolvers
//! that ignore TTLs (JVMs, some ISP resolvers), for a fixed longer hold.

use crate::clock::Millis;

/// What a name resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The DNS name of a load balancer (alias target, or the end of a CNAME chain).
    LoadBalancer(String),
    /// No such record.
    NxDomain,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct DnsCache {
    entry: Option<(Answer, Millis)>,
    /// When set, answers are kept this long whatever their TTL says.
    pub hold_ms: Option<Millis>,
}

impl DnsCache {
    pub fn ignoring_ttl(hold_ms: Millis) -> Self {
        Self {
            entry: None,
            hold_ms: Some(hold_ms),
        }
    }

    /// The cached answer, if it has not expired at `now`.
    pub fn get(&self, now: Millis) -> Option<&Answer> {
        match &self.entry {
            Some((answer, expires)) if now < *expires => Some(answer),
            _ => None,
        }
    }

    pub fn put(&mut self, answer: Answer, ttl_secs: u32, now: Millis) {
        let keep = self.hold_ms.unwrap_or(u64::from(ttl_secs) * 1000);
        self.entry = Some((answer, now + keep));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_ttl_or_hold() {
        let mut c = DnsCache::default();
        c.put(Answer::NxDomain, 60, 1000);
        assert!(c.get(60_999).is_some());
        assert!(c.get(61_000).is_none());
        let mut sticky = DnsCache::ignoring_ttl(300_000);
        sticky.put(Answer::NxDomain, 60, 0);
        assert!(sticky.get(299_999).is_some());
    }
}
