//! What could go wrong, each with a severity, the fix, and what the verdict rests on: the plan
//! alone, the account snapshot, or (offline) a note that only the snapshot can tell.

use migrate_plan::Plan;
use migrate_playbook::{CutoverStrategy, DataStoreKind, HttpsCertificate};

use crate::cost::RegionPrices;
use crate::model::{Basis, Risk, Severity};
use migrate_plan::{sizing, Snapshot};

fn risk(
    id: &str,
    severity: Severity,
    basis: Basis,
    title: impl Into<String>,
    detail: impl Into<String>,
    fix: impl Into<String>,
) -> Risk {
    Risk {
        id: id.into(),
        severity,
        title: title.into(),
        detail: detail.into(),
        fix: fix.into(),
        basis,
    }
}

/// Every risk the plan (and the snapshot, when read) shows, most severe first.
pub(crate) fn risks(
    plan: &Plan,
    snapshot: Option<&Snapshot>,
    rates: Option<&RegionPrices>,
) -> Vec<Risk> {
    let mut out = Vec::new();
    dns_ttl(plan, snapshot, &mut out);
    https(plan, snapshot, &mut out);
    availability(plan, snapshot, &mut out);
    plaintext_secrets(plan, &mut out);
    capacity(plan, snapshot, rates, &mut out);
    task_definitions(plan, snapshot, &mut out);
    records_not_moved(plan, snapshot, &mut out);
    listener_behaviour(plan, snapshot, &mut out);
    connection_budget(plan, snapshot, &mut out);
    workers_on_both_sides(plan, &mut out);
    out.sort_by_key(|r| r.severity);
    out
}

fn dns_ttl(plan: &Plan, snapshot: Option<&Snapshot>, out: &mut Vec<Risk>) {
    let playbook = &plan.playbook;
    let record = &playbook.cutover.record;
    let drain = &playbook.drain;
    let how = match &playbook.cutover.strategy {
        CutoverStrategy::Alias => "one alias change",
        CutoverStrategy::Weighted { .. } => "weighted records",
        CutoverStrategy::Listener { .. } => {
            // Traffic moves on the old load balancer, which every cached answer reaches; the
            // records move once both load balancers send to the new side.
            out.push(risk(
                "dns-ttl",
                Severity::Low,
                Basis::Plan,
                "Clients that ignore the DNS TTL keep reaching the old load balancer",
                format!(
                    "{record} moves only after the old load balancer's listeners forward every \
                     request to the new side, so a client that keeps the old answer (a JVM \
                     caching forever, some resolvers) is served by the new side through the old \
                     load balancer until the clean-up deletes it."
                ),
                "Run the clean-up only after the soak period: it deletes the old load balancer \
                 those clients still reach."
                    .to_string(),
            ));
            return;
        }
    };
    let mut detail = format!(
        "{record} moves by {how}; lower-ttl first sets its TTL to {}s and waits the old TTL out. \
         Resolvers and clients that ignore TTLs (a JVM caching forever, some ISP and mobile \
         resolvers, long-lived keep-alive connections) go on sending to the old load balancer.",
        playbook.cutover.lower_ttl_to
    );
    let (severity, basis) = match snapshot.and_then(|s| s.record_ttl_secs) {
        Some(ttl) if ttl > 3600 => {
            detail.push_str(&format!(
                " Its TTL today is {ttl}s: lower-ttl waits that long before the cutover."
            ));
            (Severity::High, Basis::Snapshot)
        }
        Some(ttl) => {
            detail.push_str(&format!(" Its TTL today is {ttl}s."));
            (Severity::Medium, Basis::Snapshot)
        }
        None if snapshot.is_some() => (Severity::Medium, Basis::Snapshot),
        None => {
            detail.push_str(" Its TTL today (and so lower-ttl's wait) needs the snapshot.");
            (Severity::Medium, Basis::Plan)
        }
    };
    out.push(risk(
        "dns-ttl",
        severity,
        basis,
        "Clients that ignore the DNS TTL keep reaching the old side",
        detail,
        format!(
            "Keep the old side serving until drain proves it idle (it waits at least {} and for {} \
             without a request, up to {}); run the clean-up only after the soak period.",
            migrate_playbook::render_duration(drain.min_wait),
            migrate_playbook::render_duration(drain.zero_traffic_window),
            migrate_playbook::render_duration(drain.timeout)
        ),
    ));
}

fn https(plan: &Plan, snapshot: Option<&Snapshot>, out: &mut Vec<Risk>) {
    let playbook = &plan.playbook;
    if playbook.target.web().is_none() {
        return;
    }
    let fix = "Name the certificate in target.load_balancer.https_certificate (an ACM ARN).";
    match &playbook.target.load_balancer.https_certificate {
        HttpsCertificate::Arn(_) => {}
        HttpsCertificate::None => out.push(risk(
            "no-https",
            Severity::High,
            Basis::Plan,
            "The new load balancer serves no HTTPS",
            "https_certificate is none: the plan creates only the HTTP:80 listener. Clients of \
             https:// fail after the cutover if the old load balancer served HTTPS.",
            fix,
        )),
        HttpsCertificate::FromOldLoadBalancer => match snapshot.and_then(|s| s.old_https_listener) {
            Some(true) => {}
            Some(false) => out.push(risk(
                "no-https",
                Severity::Medium,
                Basis::Snapshot,
                "Neither load balancer serves HTTPS",
                "The old load balancer has no HTTPS listener, so there is no certificate to copy \
                 and the new one serves plain HTTP only.",
                fix,
            )),
            None => out.push(risk(
                "no-https",
                Severity::Medium,
                Basis::NeedsSnapshot,
                "HTTPS only if the old load balancer has it",
                "create-listener:https copies the old HTTPS listener's certificate and is skipped \
                 when there is none; whether there is one needs the snapshot.",
                fix,
            )),
        },
    }
}

fn availability(plan: &Plan, snapshot: Option<&Snapshot>, out: &mut Vec<Risk>) {
    let playbook = &plan.playbook;
    let subnets = &playbook.network.subnets;
    let fix = "List subnets in at least two availability zones under network.subnets.";
    if subnets.len() < 2 {
        out.push(risk(
            "single-az",
            Severity::High,
            Basis::Plan,
            "One subnet: the new side runs in a single availability zone",
            format!(
                "network.subnets has {} subnet; an Application Load Balancer needs subnets in at \
                 least two zones, and the tasks would share one zone's fate.",
                subnets.len()
            ),
            fix,
        ));
    } else {
        match snapshot.and_then(|s| s.availability_zones.as_ref()) {
            Some(zones) => {
                let mut zones = zones.clone();
                zones.sort();
                zones.dedup();
                if zones.len() < 2 {
                    out.push(risk(
                        "single-az",
                        Severity::High,
                        Basis::Snapshot,
                        "All subnets are in one availability zone",
                        format!("The subnets are all in {}.", zones.join(", ")),
                        fix,
                    ));
                }
            }
            None => out.push(risk(
                "single-az",
                Severity::Low,
                Basis::NeedsSnapshot,
                "Availability zones not checked",
                format!(
                    "{} subnets are listed, but subnet ids do not say their zones.",
                    subnets.len()
                ),
                fix,
            )),
        }
    }
    if let Some(web) = playbook.target.web() {
        if web.desired_count < 2 {
            out.push(risk(
                "single-task",
                Severity::Medium,
                Basis::Plan,
                format!("One task serves {}", web.name),
                "With one task, replacing it (deployment, host retirement, a failed health check) \
                 is an outage, and it lives in one zone.",
                format!("Set desired_count of {} to 2 or more.", web.name),
            ));
        }
    }
}

/// Environment variable names that usually hold a secret. Only names are reported, never values.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

fn plaintext_secrets(plan: &Plan, out: &mut Vec<Risk>) {
    let mut found = Vec::new();
    for service in &plan.playbook.target.services {
        let containers = service
            .task_definition
            .get("containerDefinitions")
            .and_then(|c| c.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default();
        for container in containers {
            let container_name = container
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("?");
            let variables = container
                .get("environment")
                .and_then(|e| e.as_array())
                .map(Vec::as_slice)
                .unwrap_or_default();
            for variable in variables {
                let name = variable.get("name").and_then(|n| n.as_str()).unwrap_or("");
                let value = variable.get("value").and_then(|v| v.as_str()).unwrap_or("");
                let upper = name.to_ascii_uppercase();
                let secret_name = SECRET_WORDS.iter().any(|w| upper.contains(w));
                // A URL with a password in it: scheme://user:password@host.
                let credential_url = value.split_once("://").is_some_and(|(_, rest)| {
                    rest.split('/')
                        .next()
                        .is_some_and(|a| a.contains(':') && a.contains('@'))
                });
                if !value.is_empty() && (secret_name || credential_url) {
                    found.push(format!("{}/{container_name}: {name}", service.name));
                }
            }
        }
    }
    if !found.is_empty() {
        out.push(risk(
            "plaintext-secrets",
            Severity::High,
            Basis::Plan,
            "Secrets in plaintext environment variables",
            format!(
                "These variables look like secrets and are set in `environment`, so anyone who may \
                 describe the task definition reads them: {}.",
                found.join(", ")
            ),
            "Move them to `secrets` (valueFrom a Secrets Manager secret or SSM SecureString) and \
             give the execution role read access to them.",
        ));
    }
}

fn capacity(
    plan: &Plan,
    snapshot: Option<&Snapshot>,
    rates: Option<&RegionPrices>,
    out: &mut Vec<Risk>,
) {
    let new_vcpu: f64 = plan
        .playbook
        .target
        .services
        .iter()
        .map(|s| f64::from(s.desired_count) * f64::from(s.cpu) / 1024.0)
        .sum();
    let fix = "Raise the new services' desired_count or cpu to match the old side, or confirm the \
               old side was over-provisioned.";
    let Some(snapshot) = snapshot else {
        out.push(risk(
            "capacity",
            Severity::Low,
            Basis::NeedsSnapshot,
            "Capacity against the old side not checked",
            format!(
                "The new side reserves {new_vcpu} vCPU in all; the old side's instances and task \
                 counts need the snapshot."
            ),
            fix,
        ));
        return;
    };
    // The sizing proposal compares service by service; it is the sharper check when the
    // snapshot holds what it needs.
    let below: Vec<_> = sizing::propose(&plan.playbook, snapshot)
        .into_iter()
        .filter(|p| p.playbook_is_below())
        .collect();
    if !below.is_empty() {
        out.push(risk(
            "capacity",
            Severity::Medium,
            Basis::Snapshot,
            "Less capacity than the old side",
            below
                .iter()
                .filter_map(|p| p.warning())
                .collect::<Vec<_>>()
                .join(". "),
            below
                .iter()
                .map(|p| {
                    format!(
                        "set {}'s desired_count to {}, cpu {} and memory {}",
                        p.service, p.desired_count, p.cpu, p.memory_mib
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
                + ", or confirm the old side was over-provisioned.",
        ));
        return;
    }
    // The instance type's vCPUs as read from the account, else as the price table knows them.
    let old_vcpu: Option<f64> = snapshot
        .instances
        .iter()
        .map(|g| {
            g.vcpus
                .or_else(|| {
                    rates
                        .and_then(|r| r.ec2.get(&g.instance_type))
                        .map(|p| p.vcpu)
                })
                .map(|v| f64::from(g.count) * f64::from(v))
        })
        .sum();
    match old_vcpu {
        Some(old) if new_vcpu < old => out.push(risk(
            "capacity",
            Severity::Medium,
            Basis::Snapshot,
            "Less capacity than the old side",
            format!("The new side reserves {new_vcpu} vCPU; the old instances have {old} vCPU."),
            fix,
        )),
        Some(_) => {}
        None => out.push(risk(
            "capacity",
            Severity::Low,
            Basis::Snapshot,
            "Capacity against the old side not checked",
            "Neither the account nor the price table knows the vCPUs of every old instance type.",
            fix,
        )),
    }
}

fn task_definitions(plan: &Plan, snapshot: Option<&Snapshot>, out: &mut Vec<Risk>) {
    for service in &plan.playbook.target.services {
        let translated = service.task_definition_changes.len();
        match snapshot {
            Some(s) => {
                if let Some(differences) = s
                    .task_definition_differences
                    .get(&service.name)
                    .filter(|d| !d.is_empty())
                {
                    out.push(risk(
                        "task-definition-differs",
                        Severity::Medium,
                        Basis::Snapshot,
                        format!(
                            "{}'s task definition differs from the running one",
                            service.name
                        ),
                        differences.join("; "),
                        format!(
                            "Update {} from the running revision, or confirm each difference.",
                            service.task_definition_origin
                        ),
                    ));
                }
            }
            None => out.push(risk(
                "task-definition-differs",
                Severity::Low,
                Basis::NeedsSnapshot,
                format!(
                    "{}'s task definition not compared with the running one",
                    service.name
                ),
                format!(
                    "The plan registers {} ({translated} change{} by the Fargate translation, \
                     listed under Changes); whether it matches the revision running today needs \
                     the snapshot.",
                    service.task_definition_origin,
                    if translated == 1 { "" } else { "s" }
                ),
                "Export the running revision and diff it against the playbook's file.",
            )),
        }
    }
}

fn records_not_moved(plan: &Plan, snapshot: Option<&Snapshot>, out: &mut Vec<Risk>) {
    let playbook = &plan.playbook;
    let record = &playbook.cutover.record;
    let fix =
        "Add every record that reaches the old load balancer to the cutover, or move them by \
               hand before the scale-down.";
    match snapshot.and_then(|s| s.other_records_to_old_side.as_ref()) {
        Some(others) if !others.is_empty() => out.push(risk(
            "records-not-moved",
            Severity::High,
            Basis::Snapshot,
            "Other records still reach the old side",
            format!(
                "{} point at the old load balancer and are not moved: drain waits for their \
                 traffic until it times out, and after a scale-down their clients fail.",
                others.join(", ")
            ),
            fix,
        )),
        Some(_) => {}
        None => out.push(risk(
            "records-not-moved",
            Severity::Medium,
            Basis::NeedsSnapshot,
            "Records the plan does not move",
            format!(
                "The plan moves {record} and every other A, AAAA or CNAME record of every \
                 hosted zone that discovery finds reaching the old load balancer; a name that \
                 reaches it another way (a CNAME chain through a third name, another account's \
                 zone) keeps its traffic there, and the drain then waits until its {} timeout. \
                 Which records move needs the snapshot.",
                migrate_playbook::render_duration(playbook.drain.timeout)
            ),
            fix,
        )),
    }
}

fn listener_behaviour(plan: &Plan, snapshot: Option<&Snapshot>, out: &mut Vec<Risk>) {
    if plan.playbook.target.web().is_none() {
        return;
    }
    // `copy-load-balancer-behaviour` copies what it can, and what it cannot stops the plan (or
    // the step, offline) unless acknowledged: what remains for a reviewer is what the playbook
    // chose to leave out, and, offline, that the check has not been made yet.
    let acknowledged = &plan.playbook.target.load_balancer.acknowledge;
    if !acknowledged.is_empty() {
        out.push(risk(
            "listener-behaviour-left-out",
            Severity::High,
            Basis::Plan,
            "Old load balancer behaviour left out",
            format!(
                "target.load_balancer.acknowledge leaves out {}: the new load balancer answers \
                 those requests differently from the old one.",
                acknowledged.join("; ")
            ),
            "Recreate those parts on the new load balancer by hand before the cutover, or \
             remove them from the old one first.",
        ));
    }
    match snapshot.and_then(|s| s.old_listener_rules.as_ref()) {
        Some(rules) if !rules.is_empty() => out.push(risk(
            "listener-behaviour",
            Severity::Low,
            Basis::Snapshot,
            "Old listener rules are copied",
            format!(
                "copy-load-balancer-behaviour gives the new load balancer: {}; forwards to the \
                 old target group go to the new one.",
                rules.join("; ")
            ),
            "Check the copied listeners and rules on the new load balancer before the cutover; \
             verify-health probes every copied listener.",
        )),
        Some(_) => {}
        None => out.push(risk(
            "listener-behaviour",
            Severity::Medium,
            Basis::NeedsSnapshot,
            "Listener behaviour not checked yet",
            "copy-load-balancer-behaviour copies the old load balancer's listeners, rules, \
             certificates and attributes; a part it cannot copy (a forward to another target \
             group, authenticate-oidc, an unknown action type) stops the plan, or offline the \
             step, unless target.load_balancer.acknowledge names it. Whether there is one needs \
             the snapshot.",
            "Plan with the account read, so that an uncopyable part is named before apply.",
        )),
    }
}

fn connection_budget(plan: &Plan, snapshot: Option<&Snapshot>, out: &mut Vec<Risk>) {
    let stores: Vec<String> = plan
        .playbook
        .network
        .data_stores
        .iter()
        .filter(|s| matches!(s.kind, DataStoreKind::Rds | DataStoreKind::Redis))
        .map(|s| s.name.clone())
        .collect();
    if stores.is_empty() {
        return;
    }
    let tasks: u32 = plan
        .playbook
        .target
        .services
        .iter()
        .map(|s| s.desired_count)
        .sum();
    let title = "Both sides hold data-store connections during the overlap";
    match crate::connections::section(plan, snapshot) {
        None => out.push(risk(
            "connection-budget",
            Severity::Medium,
            Basis::Plan,
            title,
            format!(
                "From create-service until the scale-down, {tasks} new task{} connect to {} on \
                 top of the old side's connections, and no store declares max_connections, so \
                 nothing checks that they fit.",
                if tasks == 1 { "" } else { "s" },
                stores.join(" and ")
            ),
            "Declare network.data_stores[].max_connections (RDS max_connections, Redis \
             maxclients) and each service's connections_per_task: the plan then checks every \
             stage and sequences the overlap when it would not fit.",
        )),
        Some(crate::connections::BudgetSection::NeedsSnapshot) => out.push(risk(
            "connection-budget",
            Severity::Low,
            Basis::NeedsSnapshot,
            title,
            "The limits are declared; the old side's running capacity is not read, so the \
             stages are computed by check-connection-budget at apply time (sequenced or refused \
             there).",
            "Plan with the account read to see the budget over time in this review.",
        )),
        Some(crate::connections::BudgetSection::Refused { reason }) => out.push(risk(
            "connection-budget",
            Severity::High,
            Basis::Snapshot,
            title,
            reason,
            "Lower connections_per_task or the desired counts, or raise the store's limit.",
        )),
        Some(crate::connections::BudgetSection::Read { budget }) => out.push(risk(
            "connection-budget",
            if budget.sequence.is_some() {
                Severity::Medium
            } else {
                Severity::Low
            },
            Basis::Snapshot,
            title,
            crate::connections::headline(&budget),
            if budget.sequence.is_some() {
                "The old side runs smaller from shrink-old-side until the drain; check that it \
                 carries the traffic (connection_budget.min_capacity_percent sets the floor)."
            } else {
                "Nothing to do: every stage stays under the limit. Both sides are held at these \
                 sizes while they overlap (the old side pinned, the new services' scaling pinned \
                 until grow-new-side), so neither scales out during the migration."
            },
        )),
    }
}

fn workers_on_both_sides(plan: &Plan, out: &mut Vec<Risk>) {
    let workers: Vec<String> = plan
        .playbook
        .target
        .services
        .iter()
        .filter(|s| s.web.is_none() && s.desired_count > 0)
        .map(|s| s.name.clone())
        .collect();
    if workers.is_empty() {
        return;
    }
    out.push(risk(
        "workers-on-both-sides",
        Severity::Low,
        Basis::Plan,
        "Workers run on both sides at once",
        format!(
            "{} start{} at create-service, long before the old side is scaled down after the \
             drain: old and new workers consume the same queues for the whole overlap.",
            workers.join(", "),
            if workers.len() == 1 { "s" } else { "" }
        ),
        "Safe when each job goes to one consumer and jobs are idempotent; otherwise start the new \
         workers at 0 and scale them up after the cutover.",
    ));
}
