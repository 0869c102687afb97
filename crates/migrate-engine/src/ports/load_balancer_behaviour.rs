//! What makes a load balancer behave as it does beyond "forward to one target group": listener
//! default actions and rules, certificates, SSL policy, attributes and the WAF web ACL. Read on
//! the old load balancer, written on the new one.
//!
//! The model types are the plan's ([`migrate_plan::behaviour`]): the plan checks a copy with
//! them before anything runs, and the engine makes the copy with the same ones.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{CloudResult, HealthCheck, Tags};

pub use migrate_plan::behaviour::{
    ListenerBehaviour, ListenerRule, LoadBalancerBehaviour, RuleAction, RuleCondition,
    TargetGroupBehaviour, WeightedTargetGroup,
};

/// A rule as it exists on a listener: its ARN and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingRule {
    pub arn: String,
    pub rule: ListenerRule,
}

#[async_trait]
pub trait LoadBalancerBehaviourPort: Send + Sync {
    /// Scheme, IP address type, attributes, every listener with its certificates (default and
    /// SNI, `DescribeListenerCertificates`) and rules in priority order, and the WAF web ACL.
    /// `target_group` is left `None`: which group is served is the engine's reading.
    async fn read_behaviour(&self, load_balancer_arn: &str) -> CloudResult<LoadBalancerBehaviour>;
    async fn target_group_attributes(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<BTreeMap<String, String>>;
    /// The group's health check (`DescribeTargetGroups`); `None` when ELB describes none.
    async fn target_group_health_check(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<Option<HealthCheck>>;

    /// Creates a listener with the listener's port, protocol, SSL policy, default certificate and
    /// default actions (not its rules or SNI certificates); returns its ARN.
    async fn create_listener_like(
        &self,
        load_balancer_arn: &str,
        listener: &ListenerBehaviour,
        tags: &Tags,
    ) -> CloudResult<String>;
    /// Sets an existing listener's SSL policy, default certificate and default actions.
    async fn modify_listener(
        &self,
        listener_arn: &str,
        listener: &ListenerBehaviour,
    ) -> CloudResult<()>;
    /// Adds certificates to the listener's SNI list; adding one that is there changes nothing.
    async fn add_listener_certificates(
        &self,
        listener_arn: &str,
        certificate_arns: &[String],
    ) -> CloudResult<()>;
    /// The listener's rules but the default one.
    async fn rules(&self, listener_arn: &str) -> CloudResult<Vec<ExistingRule>>;
    async fn create_rule(
        &self,
        listener_arn: &str,
        rule: &ListenerRule,
        tags: &Tags,
    ) -> CloudResult<String>;
    async fn delete_rule(&self, rule_arn: &str) -> CloudResult<()>;
    /// A listener's default actions as they are (`DescribeListeners`).
    async fn listener_default_actions(&self, listener_arn: &str) -> CloudResult<Vec<RuleAction>>;
    /// Replaces a listener's default actions and nothing else (`ModifyListener` with
    /// `DefaultActions` only: the properties it is not given stay as they are).
    async fn set_listener_default_actions(
        &self,
        listener_arn: &str,
        actions: &[RuleAction],
    ) -> CloudResult<()>;
    /// Replaces a rule's actions and nothing else (`ModifyRule` with `Actions` only).
    async fn set_rule_actions(&self, rule_arn: &str, actions: &[RuleAction]) -> CloudResult<()>;

    async fn set_load_balancer_attributes(
        &self,
        load_balancer_arn: &str,
        attributes: &BTreeMap<String, String>,
    ) -> CloudResult<()>;
    async fn set_target_group_attributes(
        &self,
        target_group_arn: &str,
        attributes: &BTreeMap<String, String>,
    ) -> CloudResult<()>;

    /// `wafv2:AssociateWebACL`; associating the ACL the resource has changes nothing.
    async fn associate_web_acl(&self, web_acl_arn: &str, resource_arn: &str) -> CloudResult<()>;
    /// `wafv2:DisassociateWebACL`; a resource without an ACL answers `NotFound`.
    async fn disassociate_web_acl(&self, resource_arn: &str) -> CloudResult<()>;
}
