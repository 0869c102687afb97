//! The security changes, listed apart: every ingress rule the plan adds, from which group to
//! which, on which port, and whether each is least privilege.
//!
//! The rules are derived from the plan's actions exactly as the engine derives them
//! (`migrate-engine/src/steps/security.rs`): the load balancer's groups to the new service group
//! on the web port, and the new service group to each data store's group on its port.

use migrate_plan::{Action, LoadBalancerGroups, Plan};
use migrate_playbook::{DataStoreKind, HttpsCertificate};

use crate::model::{IngressChange, Security};

/// The ports a store of each kind usually listens on; a rule on another port is worth a look
/// (a typo opens the wrong service, or the store listens elsewhere and the app cannot connect).
fn usual_ports(kind: DataStoreKind) -> &'static [u16] {
    match kind {
        DataStoreKind::Redis => &[6379],
        DataStoreKind::Efs => &[2049],
        // MySQL/Aurora MySQL, PostgreSQL/Aurora PostgreSQL, SQL Server, Oracle.
        DataStoreKind::Rds => &[3306, 5432, 1433, 1521],
        DataStoreKind::Other => &[],
    }
}

const OLD_LB_GROUPS: &str = "the old load balancer's security groups";

pub(crate) fn security(plan: &Plan) -> Security {
    let playbook = &plan.playbook;
    let service_group = &plan.names.service_security_group;
    let mut rules = Vec::new();
    for step in &plan.steps {
        match &step.action {
            Action::AllowLoadBalancerToService => {
                let port = playbook
                    .target
                    .web()
                    .and_then(|s| s.web.as_ref())
                    .map_or(0, |w| w.port);
                let sources = match plan.load_balancer_groups() {
                    LoadBalancerGroups::Playbook(groups) => groups.to_vec(),
                    LoadBalancerGroups::Own(name) => vec![name.to_string()],
                    LoadBalancerGroups::OldLoadBalancers => vec![OLD_LB_GROUPS.to_string()],
                };
                for source in sources {
                    rules.push(rule(
                        &step.id,
                        service_group,
                        &source,
                        port,
                        "load balancer to the web service",
                    ));
                }
            }
            Action::OpenDataStore { store } => {
                if let Some(store) = playbook
                    .network
                    .data_stores
                    .iter()
                    .find(|s| &s.name == store)
                {
                    rules.push(rule(
                        &step.id,
                        &store.security_group,
                        service_group,
                        store.port,
                        &format!("Fargate service to data store {}", store.name),
                    ));
                    if let Some(last) = rules.last_mut() {
                        if !usual_ports(store.kind).is_empty()
                            && !usual_ports(store.kind).contains(&store.port)
                        {
                            last.findings.push(format!(
                                "port {} is not the usual port of a {:?} store ({}); check that it \
                                 listens there",
                                store.port,
                                store.kind,
                                usual_ports(store.kind)
                                    .iter()
                                    .map(u16::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                            last.least_privilege = false;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    flag_duplicates(&mut rules);

    let mut notes = vec![format!(
        "The new group {service_group} keeps the egress rule AWS gives every new security group \
         (all traffic to anywhere); the plan adds no egress restriction \
         (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html)."
    )];
    match plan.load_balancer_groups() {
        LoadBalancerGroups::OldLoadBalancers => notes.push(format!(
            "The new load balancer reuses {OLD_LB_GROUPS} (read by discover-source; the snapshot \
             would name them here): it is as open to clients as the old one, and anything else in \
             those groups also reaches the service's port."
        )),
        LoadBalancerGroups::Own(name) => notes.push(format!(
            "The new load balancer gets its own group {name}: it admits what {OLD_LB_GROUPS} \
             admit (the same clients on the same ports, copied at apply time) and sends only to \
             {service_group} on the service's port; the old groups belong to Elastic Beanstalk, \
             which deletes them when the environment terminates."
        )),
        LoadBalancerGroups::Playbook(_) => {}
    }
    if !playbook.network.data_stores.is_empty() {
        notes.push(
            "The rules that admit the old side to the data stores stay in place: they are removed \
             with the old side at clean-up, not by this plan."
                .into(),
        );
    }
    for service in &playbook.target.services {
        if service.enable_execute_command {
            notes.push(format!(
                "ECS Exec is on for {}: whoever may call ecs:ExecuteCommand on it can open a shell \
                 in its tasks.",
                service.name
            ));
        }
    }
    if playbook.network.assign_public_ip {
        notes.push("Tasks get public IP addresses (`assign_public_ip`).".into());
    }
    if !playbook.target.load_balancer.internal
        && playbook.target.web().is_some()
        && playbook.target.load_balancer.https_certificate == HttpsCertificate::None
    {
        notes.push("The new load balancer is internet-facing and serves plain HTTP only.".into());
    }
    Security {
        ingress_added: rules,
        notes,
    }
}

fn rule(step: &str, to_group: &str, from_group: &str, port: u16, purpose: &str) -> IngressChange {
    let mut findings = Vec::new();
    if port == 0 {
        findings.push(
            "port 0: the plan has no web port for this rule (no web service?); it would not admit \
             what it should"
                .to_string(),
        );
    }
    if from_group == to_group {
        findings
            .push("the group admits itself: every member reaches every other on this port".into());
    }
    IngressChange {
        step: step.to_string(),
        to_group: to_group.to_string(),
        from_group: from_group.to_string(),
        protocol: "tcp".into(),
        port,
        purpose: purpose.to_string(),
        least_privilege: findings.is_empty(),
        findings,
    }
}

/// The same rule added twice is harmless to AWS (a duplicate is refused) but says the playbook
/// names one store twice.
fn flag_duplicates(rules: &mut [IngressChange]) {
    for i in 0..rules.len() {
        let duplicate = rules[..i].iter().any(|earlier| {
            earlier.to_group == rules[i].to_group
                && earlier.from_group == rules[i].from_group
                && earlier.port == rules[i].port
        });
        if duplicate {
            rules[i]
                .findings
                .push("the same rule is added by an earlier step".into());
            rules[i].least_privilege = false;
        }
    }
}
