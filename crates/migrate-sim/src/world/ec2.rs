//! EC2 security groups and their inbound rules.

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
    pub launch_templates: BTreeMap<String, LaunchTemplateRec>,
    pub volumes: BTreeMap<String, VolumeRec>,
}

impl Ec2 {
    /// True when a member of one of `sources` may reach one of `targets` on `port`.
    pub fn admits(&self, targets: &[String], sources: &[String], port: u16) -> bool {
        // A scan without allocation: a world has a handful of rules, and this runs every tick.
        self.rules
            .keys()
            .any(|(g, s, p)| *p == port && targets.contains(g) && sources.contains(s))
    }
}
