//! Deterministic names of everything the plan creates.
//!
//! A name derived from the plan id lets a resumed step find what an interrupted attempt created
//! (reconcile by name), and lets AWS's own name uniqueness stop a duplicate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceNames {
    pub cluster: String,
    pub service_security_group: String,
    /// The new load balancer's own group, when the plan creates one; plans written before it
    /// existed read as empty.
    #[serde(default)]
    pub load_balancer_security_group: String,
    pub target_group: String,
    /// The second target group of the web service, forwarded to from the old load balancer's
    /// listeners by the `listener` strategy: ELB refuses one target group on two load balancers
    /// (`TargetGroupAssociationLimit`), and the first is the new load balancer's. Empty for the
    /// other strategies, and then left out of the serialised plan.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bridge_target_group: String,
    pub load_balancer: String,
    /// Task definition family per service.
    pub families: BTreeMap<String, String>,
    /// ECS service name per playbook service.
    pub services: BTreeMap<String, String>,
    pub alarm_prefix: String,
}

impl ResourceNames {
    pub fn new(playbook: &migrate_playbook::Playbook, plan_id: &str) -> Self {
        let short = &plan_id[..6.min(plan_id.len())];
        let name = &playbook.name;
        let families = playbook
            .target
            .services
            .iter()
            .map(|s| (s.name.clone(), format!("{name}-{}-fargate", s.name)))
            .collect();
        let services = playbook
            .target
            .services
            .iter()
            .map(|s| (s.name.clone(), format!("{name}-{}", s.name)))
            .collect();
        Self {
            cluster: playbook.target.cluster.clone(),
            service_security_group: format!("{name}-fargate-svc-{short}"),
            load_balancer_security_group: format!("{name}-fargate-lb-{short}"),
            target_group: format!("{name}-tg-{short}"),
            bridge_target_group: match playbook.cutover.strategy {
                migrate_playbook::CutoverStrategy::Listener { .. } => {
                    format!("{name}-tgb-{short}")
                }
                _ => String::new(),
            },
            load_balancer: format!("{name}-fg-{short}"),
            families,
            services,
            alarm_prefix: format!("{name}-{short}"),
        }
    }
}
