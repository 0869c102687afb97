//! EC2 security groups, their inbound rules and their outbound limits.
//!
//! An inbound rule admits a source group, or clients from a CIDR range (`0.0.0.0/0`, `::/0`), on
//! one port (0: every port). A load balancer answers a client only on a port its groups admit
//! clients on, and reaches a target only when one of its groups may send there: a new group
//! sends anything anywhere until its default outbound rule is revoked, and Elastic Beanstalk's
//! load balancer group sends only to port 80
//! (<https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html>).
//! moto checks neither direction.

use std::collections::BTreeMap;

use migrate_engine::ports::Tags;

use crate::clock::Millis;

#[derive(Debug, Clone)]
pub(crate) struct GroupRec {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
    pub tags: Tags,
    pub visible_at: Millis,
}

/// Clients anywhere on IPv4, as an inbound rule's source or an outbound rule's destination.
pub(crate) const ANYWHERE: &str = "0.0.0.0/0";
/// Clients anywhere on IPv6.
pub(crate) const ANYWHERE_V6: &str = "::/0";

/// A rule as the world keys it: (group, source group, port). Descriptions do not make rules
/// distinct on EC2, so they are kept beside the key.
pub(crate) type RuleKey = (String, String, u16);

/// A launch template, as its default version reads.
#[derive(Debug, Clone)]
pub(crate) struct LaunchTemplateRec {
    pub id: String,
    pub name: String,
    pub security_groups: Vec<String>,
    /// The tags it puts on the volumes its instances get.
    pub volume_tags: Tags,
}

#[derive(Debug, Clone)]
pub(crate) struct VolumeRec {
    pub id: String,
    /// `available` or `in-use`.
    pub state: String,
    pub size_gib: u32,
    pub tags: Tags,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Ec2 {
    pub groups: BTreeMap<String, GroupRec>,
    pub rules: BTreeMap<RuleKey, String>,
    /// The outbound rules of groups whose default rule (everything, anywhere) was revoked:
    /// (port, destination group or CIDR). A group not listed sends anything anywhere.
    pub egress: BTreeMap<String, Vec<(u16, String)>>,
    pub launch_templates: BTreeMap<String, LaunchTemplateRec>,
    pub volumes: BTreeMap<String, VolumeRec>,
}

impl Ec2 {
    /// True when a member of one of `sources` may reach one of `targets` on `port`.
    pub fn admits(&self, targets: &[String], sources: &[String], port: u16) -> bool {
        // A scan without allocation: a world has a handful of rules, and this runs every tick.
        self.rules
            .keys()
            .any(|(g, s, p)| (*p == port || *p == 0) && targets.contains(g) && sources.contains(s))
    }

    /// True when one of `groups` admits clients from anywhere on `port`.
    pub fn admits_clients(&self, groups: &[String], port: u16) -> bool {
        self.rules.keys().any(|(g, s, p)| {
            (*p == port || *p == 0) && groups.contains(g) && (s == ANYWHERE || s == ANYWHERE_V6)
        })
    }

    /// True when one of `groups` may send TCP on `port` to a member of one of `destinations`.
    pub fn sends(&self, groups: &[String], port: u16, destinations: &[String]) -> bool {
        groups.iter().any(|g| match self.egress.get(g) {
            None => true,
            Some(rules) => rules.iter().any(|(p, to)| {
                (*p == port || *p == 0) && (to == ANYWHERE || destinations.contains(to))
            }),
        })
    }
}
