//! Playbook → ordered steps (the canonical procedure of seed 001, generalised).

use migrate_playbook::{
    CpuTarget, CutoverStrategy, HttpsCertificate, Playbook, Scaling, SourceKind,
};

use crate::names::ResourceNames;
use crate::step::{Action, Change, ChangeKind, PlannedStep, RetryPolicy};

struct Builder {
    steps: Vec<PlannedStep>,
}

impl Builder {
    // Each call reads as one row of the plan: id, action, dependencies, summary, changes, undo,
    // deadline. A struct literal per step would only repeat the field names twenty times.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: impl Into<String>,
        action: Action,
        depends_on: &[&str],
        summary: impl Into<String>,
        changes: Vec<Change>,
        undo: impl Into<String>,
        deadline_secs: u64,
    ) {
        self.steps.push(PlannedStep {
            id: id.into(),
            action,
            depends_on: depends_on.iter().map(|s| s.to_string()).collect(),
            summary: summary.into(),
            changes,
            undo: undo.into(),
            retry: RetryPolicy::default(),
            deadline_secs,
        });
    }
}

fn change(kind: ChangeKind, resource: impl Into<String>, detail: impl Into<String>) -> Change {
    Change {
        kind,
        resource: resource.into(),
        detail: detail.into(),
    }
}

const MINUTE: u64 = 60;

pub(crate) fn steps(playbook: &Playbook, names: &ResourceNames) -> Vec<PlannedStep> {
    use ChangeKind::*;
    let mut b = Builder { steps: Vec::new() };
    let source = &playbook.source;
    let old_lb = source
        .load_balancer
        .clone()
        .unwrap_or_else(|| "(discovered from the environment)".into());

    let mut reads = vec![change(
        Read,
        format!("load balancer {old_lb}"),
        "listeners, target groups, security groups",
    )];
    match source.kind {
        SourceKind::Asg => reads.push(change(
            Read,
            format!(
                "Auto Scaling group {}",
                source.auto_scaling_group.as_deref().unwrap_or("?")
            ),
            "capacity to restore on rollback",
        )),
        SourceKind::EcsEc2 => {
            for service in &source.ecs_services {
                reads.push(change(
                    Read,
                    format!(
                        "ECS service {service} in {}",
                        source.ecs_cluster.as_deref().unwrap_or("?")
                    ),
                    "desired count and task definition",
                ));
            }
        }
        SourceKind::Beanstalk => reads.push(change(
            Read,
            format!(
                "Beanstalk environment {}",
                source.beanstalk_environment.as_deref().unwrap_or("?")
            ),
            "its Auto Scaling group and load balancer",
        )),
        SourceKind::Ec2 => reads.push(change(
            Read,
            old_instances(source),
            "state, root device and Auto Scaling membership (an instance a group launched is \
             refused)",
        )),
    }
    reads.push(change(
        Read,
        format!("DNS record {}", playbook.cutover.record),
        "current value",
    ));
    b.push(
        "preflight",
        Action::Preflight,
        &[],
        "Check that the account can run the new tasks, before anything is created",
        vec![
            change(Read, "caller identity", "account and partition (STS)"),
            change(
                Read,
                "IAM roles of the task definitions",
                "exist; the execution role may read the secrets and pull the images",
            ),
            change(
                Read,
                format!("subnets and route tables of {}", playbook.network.vpc),
                "tasks reach ECR, CloudWatch Logs and Secrets Manager; load balancer subnets public, two zones",
            ),
            change(Read, "Fargate vCPU quota", "holds the new tasks"),
        ],
        "nothing to undo (read only)",
        10 * MINUTE,
    );

    b.push(
        "discover-source",
        Action::DiscoverSource,
        &["preflight"],
        format!(
            "Discover the {} source and record its current state",
            source.kind.as_str()
        ),
        reads,
        "nothing to undo (read only)",
        10 * MINUTE,
    );

    let sequenced = crate::budget::sequenced(playbook);
    // Under a declared limit both sides are held while they overlap, sequenced or not.
    let held = crate::budget::declared(playbook);
    if crate::budget::declared(playbook) {
        let stores: Vec<&str> = playbook
            .network
            .data_stores
            .iter()
            .filter(|d| d.max_connections.is_some())
            .map(|d| d.name.as_str())
            .collect();
        b.push(
            "check-connection-budget",
            Action::CheckConnectionBudget,
            &["discover-source"],
            format!(
                "Check that the old side at its running capacity and the new services at their \
                 desired counts open no more connections than {} accept{}{}",
                stores.join(", "),
                if stores.len() == 1 { "s" } else { "" },
                if sequenced {
                    "; over it, sequence the overlap"
                } else {
                    "; over it, refuse"
                }
            ),
            vec![change(
                Read,
                "the old side's running capacity (as discover-source read it)",
                "connections = old units × connections_per_instance + Σ tasks × \
                 connections_per_task, at every stage; the smallest max_connections binds",
            )],
            "nothing to undo (read only)",
            MINUTE,
        );
    }
    if held {
        b.push(
            "shrink-old-side",
            Action::ShrinkOldSide,
            &["check-connection-budget"],
            "Under the connection budget, before any new task starts: pin the old side at the \
             units it runs (over the budget, shrink it to the units the sequence leaves it and \
             wait until the removed units have drained), so that nothing raises it while both \
             sides run",
            vec![change(
                Modify,
                old_capacity(source),
                "pinned at the units check-connection-budget counted (min = max = desired; \
                 scheduled actions and AZ rebalancing suspended); nothing for plain instances",
            )],
            "restore the recorded capacity and resume what it suspended, and wait for the old \
             side to be back",
            30 * MINUTE,
        );
    }
    b.push(
        "create-cluster",
        Action::CreateCluster,
        &["discover-source"],
        format!("Create the Fargate cluster {}", names.cluster),
        vec![change(
            Create,
            format!("ECS cluster {}", names.cluster),
            if playbook.target.container_insights {
                "Container Insights on"
            } else {
                "Container Insights off"
            },
        )],
        "delete the cluster (only if this plan created it)",
        10 * MINUTE,
    );

    // awslogs does not create a missing group unless told to (`awslogs-create-group` defaults
    // to false), and a task whose group is missing stops with ResourceInitializationError; so
    // the groups exist before the task definitions that name them are registered.
    let mut log_groups: Vec<String> = Vec::new();
    for group in playbook.target.services.iter().flat_map(|s| &s.log_groups) {
        if !log_groups.contains(group) {
            log_groups.push(group.clone());
        }
    }
    let task_definition_deps: &[&str] = if log_groups.is_empty() {
        &["discover-source"]
    } else {
        let retention = playbook.logs.retention_days;
        b.push(
            "create-log-groups",
            Action::CreateLogGroups {
                groups: log_groups.clone(),
                retention_days: retention,
            },
            &["create-cluster"],
            format!(
                "Create the CloudWatch Logs group{} the new tasks log to",
                if log_groups.len() == 1 { "" } else { "s" }
            ),
            log_groups
                .iter()
                .map(|group| {
                    change(
                        Create,
                        format!("log group {group}"),
                        format!("retention {retention} days; kept as it is if it exists"),
                    )
                })
                .collect(),
            "delete the log groups this plan created (never one that existed before)",
            10 * MINUTE,
        );
        &["discover-source", "create-log-groups"]
    };

    for service in &playbook.target.services {
        let family = &names.families[&service.name];
        let mut changes = vec![change(
            Create,
            format!("task definition {family}"),
            format!(
                "FARGATE, awsvpc, cpu {} / memory {} MiB",
                service.cpu, service.memory
            ),
        )];
        // What the translation changed in the definition the playbook gave, so that a reviewer
        // sees every edit and its reason.
        changes.extend(service.task_definition_changes.iter().map(|edit| {
            change(
                Modify,
                format!(
                    "task definition {family} (from {})",
                    service.task_definition_origin
                ),
                edit.clone(),
            )
        }));
        b.push(
            format!("register-task-definition:{}", service.name),
            Action::RegisterTaskDefinition {
                service: service.name.clone(),
                definition: service.task_definition.clone(),
            },
            task_definition_deps,
            format!("Register the Fargate task definition {family}"),
            changes,
            "deregister the revision this plan registered",
            10 * MINUTE,
        );
    }

    let web = playbook.target.web();
    let web_port = web.and_then(|w| w.web.as_ref()).map_or(0, |w| w.port);
    b.push(
        "create-service-security-group",
        Action::CreateServiceSecurityGroup,
        &["discover-source"],
        format!(
            "Create the service security group {}",
            names.service_security_group
        ),
        vec![change(
            Create,
            format!("security group {}", names.service_security_group),
            format!("in {}", playbook.network.vpc),
        )],
        "delete the security group",
        10 * MINUTE,
    );
    // Elastic Beanstalk made the old load balancer's groups and deletes them when its
    // environment terminates: a new load balancer in them (or a rule naming them) would block
    // that, and EB's load balancer group often sends only to port 80. The new load balancer gets
    // a group of its own instead.
    let own_group = web.is_some()
        && playbook.source.kind == SourceKind::Beanstalk
        && playbook.target.load_balancer.security_groups.is_empty();
    let mut load_balancer_deps = vec!["discover-source"];
    let mut ingress_deps = vec!["create-service-security-group"];
    if own_group {
        b.push(
            "create-load-balancer-security-group",
            Action::CreateLoadBalancerSecurityGroup,
            &["create-service-security-group"],
            format!(
                "Create the load balancer's own security group {}",
                names.load_balancer_security_group
            ),
            vec![
                change(
                    Create,
                    format!("security group {}", names.load_balancer_security_group),
                    format!(
                        "in {}, admitting what the old load balancer's groups admit",
                        playbook.network.vpc
                    ),
                ),
                change(
                    Modify,
                    format!("security group {}", names.load_balancer_security_group),
                    format!(
                        "egress tcp/{web_port} to {} only",
                        names.service_security_group
                    ),
                ),
            ],
            "delete the security group",
            10 * MINUTE,
        );
        load_balancer_deps.push("create-load-balancer-security-group");
        ingress_deps.push("create-load-balancer-security-group");
    }
    b.push(
        "allow-load-balancer-to-service",
        Action::AllowLoadBalancerToService,
        &ingress_deps,
        format!("Admit only the load balancer's security group to the service on port {web_port}"),
        vec![change(
            Modify,
            format!("security group {}", names.service_security_group),
            format!("ingress tcp/{web_port} from the load balancer's security group"),
        )],
        "revoke the rule",
        10 * MINUTE,
    );
    for store in &playbook.network.data_stores {
        b.push(
            format!("open-data-store:{}", store.name),
            Action::OpenDataStore {
                store: store.name.clone(),
            },
            &["create-service-security-group"],
            format!(
                "Let the service reach {} ({}) on port {}",
                store.name, store.security_group, store.port
            ),
            vec![change(
                Modify,
                format!("security group {}", store.security_group),
                format!(
                    "ingress tcp/{} from {}",
                    store.port, names.service_security_group
                ),
            )],
            "revoke the rule",
            10 * MINUTE,
        );
    }

    if let Some(web_settings) = web.and_then(|w| w.web.as_ref()) {
        let hc = &web_settings.health_check;
        b.push(
            "create-target-group",
            Action::CreateTargetGroup,
            &["discover-source"],
            format!("Create the target group {} (type ip)", names.target_group),
            vec![change(
                Create,
                format!("target group {}", names.target_group),
                if web_settings.health_check_from_old_side {
                    format!(
                        "ip targets on port {}, the old target group's health check (read at \
                         apply time; {} expecting {} if it has none)",
                        web_settings.port, hc.path, hc.codes
                    )
                } else {
                    format!(
                        "ip targets on port {}, health check {} expecting {}",
                        web_settings.port, hc.path, hc.codes
                    )
                },
            )],
            "delete the target group",
            10 * MINUTE,
        );
        if !names.bridge_target_group.is_empty() {
            b.push(
                "create-bridge-target-group",
                Action::CreateBridgeTargetGroup,
                &["discover-source"],
                format!(
                    "Create the target group {} (type ip) that the old load balancer forwards \
                     to during the listener ramp, and attach it at weight 0 to the old \
                     listeners' forwards",
                    names.bridge_target_group
                ),
                vec![
                    change(
                        Create,
                        format!("target group {}", names.bridge_target_group),
                        format!(
                            "ip targets on port {}, the same health check as {}; the web service \
                         registers its tasks in both (a target group can serve one load \
                         balancer only)",
                            web_settings.port, names.target_group
                        ),
                    ),
                    change(
                        Modify,
                        format!("listeners of load balancer {old_lb}"),
                        "every forward to the old target group alone becomes weighted: old 100, \
                     bridge 0 (no request moves; ELB starts health-checking the bridge)",
                    ),
                ],
                "put every old listener's default actions and rules back exactly as recorded, \
                 then delete the target group",
                10 * MINUTE,
            );
        }
        b.push(
            "create-load-balancer",
            Action::CreateLoadBalancer,
            &load_balancer_deps,
            format!("Create the load balancer {}", names.load_balancer),
            vec![change(
                Create,
                format!("application load balancer {}", names.load_balancer),
                if own_group {
                    format!("with its own group {}", names.load_balancer_security_group)
                } else if playbook.target.load_balancer.security_groups.is_empty() {
                    "with the old load balancer's security groups".to_string()
                } else {
                    format!(
                        "with {}",
                        playbook.target.load_balancer.security_groups.join(", ")
                    )
                },
            )],
            "delete the load balancer",
            15 * MINUTE,
        );
        b.push(
            "create-listener:http",
            Action::CreateListener { https: false },
            &["create-load-balancer", "create-target-group"],
            "Create the HTTP listener forwarding to the target group",
            vec![change(
                Create,
                "listener HTTP:80",
                format!("forward to {}", names.target_group),
            )],
            "delete the listener",
            10 * MINUTE,
        );
        if playbook.target.load_balancer.https_certificate != HttpsCertificate::None {
            let detail = match &playbook.target.load_balancer.https_certificate {
                HttpsCertificate::Arn(arn) => format!("certificate {arn}"),
                _ => "the old listener's certificate; skipped when the old load balancer has no HTTPS listener".into(),
            };
            b.push(
                "create-listener:https",
                Action::CreateListener { https: true },
                &["create-load-balancer", "create-target-group"],
                "Create the HTTPS listener forwarding to the target group",
                vec![change(Create, "listener HTTPS:443", detail)],
                "delete the listener",
                10 * MINUTE,
            );
        }
        copy_load_balancer_behaviour(&mut b, playbook, names);
    }

    for service in &playbook.target.services {
        let id = format!("create-service:{}", service.name);
        let td = format!("register-task-definition:{}", service.name);
        let mut deps = vec![
            td.as_str(),
            "create-cluster",
            "create-service-security-group",
        ];
        if service.web.is_some() {
            deps.push("create-listener:http");
            if !names.bridge_target_group.is_empty() {
                deps.push("create-bridge-target-group");
            }
        }
        if held {
            deps.push("shrink-old-side");
        }
        b.push(
            id,
            Action::CreateService {
                service: service.name.clone(),
            },
            &deps,
            format!(
                "Create the ECS service {} ({} task{}{})",
                names.services[&service.name],
                service.desired_count,
                if service.desired_count == 1 { "" } else { "s" },
                if service.web.is_some() && !names.bridge_target_group.is_empty() {
                    ", behind the new and the bridge target group"
                } else if service.web.is_some() {
                    ", behind the new target group"
                } else {
                    ", no load balancer"
                }
            ),
            vec![change(
                Create,
                format!(
                    "ECS service {} in {}",
                    names.services[&service.name], names.cluster
                ),
                format!(
                    "FARGATE in {}{}",
                    playbook.network.subnets.join(", "),
                    if service.enable_execute_command {
                        ", ECS Exec on"
                    } else {
                        ""
                    }
                ),
            )],
            "delete the service",
            15 * MINUTE,
        );
        if let Some(scaling) = &service.scaling {
            push_service_scaling(&mut b, names, service, scaling);
        }
    }

    // The health gate waits for the scaling targets too, so that a failed registration stops
    // the migration before any traffic moves.
    let service_ids: Vec<String> = playbook
        .target
        .services
        .iter()
        .flat_map(|s| {
            let scaling = s
                .scaling
                .as_ref()
                .map(|_| format!("create-service-scaling:{}", s.name));
            std::iter::once(format!("create-service:{}", s.name)).chain(scaling)
        })
        .collect();
    let mut service_refs: Vec<&str> = service_ids.iter().map(String::as_str).collect();
    if web.is_some_and(|w| w.web.is_some()) {
        service_refs.push(COPY_BEHAVIOUR);
    }
    b.push(
        "verify-health",
        Action::VerifyHealth,
        &service_refs,
        "Verify the new path: services steady, targets healthy, HTTP probe through the new load balancer",
        vec![change(Wait, "the new services and target group", "steady state, all targets healthy, expected HTTP codes")],
        "nothing to undo (read only)",
        20 * MINUTE,
    );

    let record = &playbook.cutover.record;
    if let CutoverStrategy::Listener { steps, bake } = &playbook.cutover.strategy {
        // No TTL to lower: traffic moves on the old load balancer, which every cached answer
        // reaches, and the records move only once both load balancers send to the new side.
        push_listener_ramp(&mut b, names, &old_lb, steps, *bake);
        let last = format!("shift-listener:{}", steps.last().copied().unwrap_or(100));
        // Watched before the records move: a hand back is then one change per listener and
        // rule, with no DNS cache in the way.
        let last = push_watch(&mut b, playbook, &last);
        b.push(
            "cutover-dns",
            Action::CutoverDns,
            &[last.as_str()],
            format!(
                "Point {record} at the new load balancer and wait for INSYNC (both load \
                 balancers already send every request to the new side)"
            ),
            vec![change(Modify, format!("DNS record {record}"), format!("alias to {}", names.load_balancer))],
            "point the record back at its recorded previous value, then wait for the new side to drain",
            30 * MINUTE,
        );
        push_drain_scale_down_and_alarms(&mut b, playbook, names, &old_lb, "cutover-dns");
        return b.steps;
    }
    b.push(
        "lower-ttl",
        Action::LowerTtl,
        &["verify-health"],
        format!(
            "Lower the TTL of {record} to {}s if it is not an alias",
            playbook.cutover.lower_ttl_to
        ),
        vec![change(
            Modify,
            format!("DNS record {record}"),
            format!(
                "TTL to {}s, then wait the old TTL out",
                playbook.cutover.lower_ttl_to
            ),
        )],
        "restore the previous TTL",
        3 * 60 * MINUTE,
    );
    let mut last = "lower-ttl".to_string();
    match &playbook.cutover.strategy {
        CutoverStrategy::Alias => {
            b.push(
                "cutover-dns",
                Action::CutoverDns,
                &["lower-ttl", "verify-health"],
                format!("Point {record} at the new load balancer and wait for INSYNC"),
                vec![change(Modify, format!("DNS record {record}"), format!("alias to {}", names.load_balancer))],
                "point the record back at its recorded previous value, then wait for the new side to drain",
                30 * MINUTE,
            );
            last = "cutover-dns".into();
        }
        // Built and returned above.
        CutoverStrategy::Listener { .. } => {}
        CutoverStrategy::Weighted { steps, bake } => {
            for weight in steps {
                let id = format!("shift-weight:{weight}");
                b.push(
                    id.clone(),
                    Action::ShiftWeight {
                        weight: *weight,
                        bake_secs: bake.as_secs(),
                    },
                    &[last.as_str(), "verify-health"],
                    format!(
                        "Send {weight}% of {record} to the new load balancer, then bake for {}",
                        migrate_playbook::render_duration(*bake)
                    ),
                    vec![change(
                        Modify,
                        format!("DNS record {record}"),
                        format!("weights old {} / new {weight}", 100 - weight),
                    )],
                    "restore the previous weights",
                    30 * MINUTE + bake.as_secs(),
                );
                last = id;
            }
        }
    }

    let last = push_watch(&mut b, playbook, &last);
    push_drain_scale_down_and_alarms(&mut b, playbook, names, &old_lb, &last);
    b.steps
}

/// The traffic guard's watch after the last traffic step `last`, when the playbook keeps one;
/// answers the step the next one follows.
fn push_watch(b: &mut Builder, playbook: &Playbook, last: &str) -> String {
    let guard = &playbook.guard;
    if !guard.watches_after_cutover() {
        return last.to_string();
    }
    let watch = migrate_playbook::render_duration(guard.watch);
    b.push(
        "watch-new-side",
        Action::WatchNewSide {
            secs: guard.watch.as_secs(),
        },
        &[last],
        format!(
            "Watch the new side for {watch}: a minute of target 5xx above {}% of its requests, \
             or unhealthy targets, slow answers or missing tasks for {} minutes, hands every \
             request back to the old side",
            guard.max_5xx_percent, guard.periods
        ),
        vec![change(
            ChangeKind::Wait,
            "the new target groups and services",
            "target 5xx, UnHealthyHostCount, TargetResponseTime against the old side's, running tasks",
        )],
        "nothing to undo (a wait)",
        guard.watch.as_secs() + 30 * MINUTE,
    );
    "watch-new-side".into()
}

/// The drain after the last traffic step `last`, the old side's scale-down and the alarms: the
/// same for every strategy.
fn push_drain_scale_down_and_alarms(
    b: &mut Builder,
    playbook: &Playbook,
    names: &ResourceNames,
    old_lb: &str,
    last: &str,
) {
    use ChangeKind::*;
    let source = &playbook.source;
    let drain = &playbook.drain;
    b.push(
        "drain",
        Action::Drain,
        &[last],
        format!(
            "Wait at least {} and until the old load balancer has served no request for {}",
            migrate_playbook::render_duration(drain.min_wait),
            migrate_playbook::render_duration(drain.zero_traffic_window)
        ),
        vec![change(
            Wait,
            format!("load balancer {old_lb}"),
            "RequestCount of each target group at or below drain.noise_threshold over a \
             published window",
        )],
        "nothing to undo (a wait)",
        drain.timeout.as_secs(),
    );

    // Old services go to zero before their container instances do, so that a rollback (newest
    // first) brings the instances back before the tasks that need them.
    if playbook.scale_down.old_ecs_services {
        for service in &source.ecs_services {
            b.push(
                format!("scale-down-old-service:{service}"),
                Action::ScaleDownOldService {
                    service: service.clone(),
                },
                &["drain"],
                format!("Scale the old ECS service {service} to zero tasks"),
                vec![change(
                    Modify,
                    format!("ECS service {service}"),
                    "Application Auto Scaling minimum 0 (when it has a scalable target), desired \
                     count 0",
                )],
                "restore the recorded scalable target minimum and maximum and the desired \
                 count, and wait for it to run",
                30 * MINUTE,
            );
        }
    }

    if playbook.scale_down.old_auto_scaling_group && source.kind == SourceKind::Beanstalk {
        // Elastic Beanstalk owns the group and undoes a change made on it directly; it goes
        // through the environment instead, which keeps at least one instance.
        let environment = source.beanstalk_environment.as_deref().unwrap_or("?");
        b.push(
            "scale-down-old-beanstalk-environment",
            Action::ScaleDownBeanstalkEnvironment,
            &["drain"],
            format!(
                "Scale the old Beanstalk environment {environment} down to one instance (Elastic \
                 Beanstalk keeps one until `migrate cleanup` terminates the environment)"
            ),
            vec![change(
                Modify,
                format!("Beanstalk environment {environment}"),
                "UpdateEnvironment aws:autoscaling:asg MinSize 1, MaxSize 1; wait for Ready",
            )],
            "restore the recorded MinSize and MaxSize through UpdateEnvironment, wait for Ready \
             and for the group to be back at its minimum",
            30 * MINUTE,
        );
    } else if playbook.scale_down.old_auto_scaling_group
        && source.kind != SourceKind::Ec2
        && (source.auto_scaling_group.is_some() || source.kind != SourceKind::EcsEc2)
    {
        let asg = source
            .auto_scaling_group
            .clone()
            .unwrap_or_else(|| "(discovered)".into());
        b.push(
            "scale-down-old-auto-scaling-group",
            Action::ScaleDownAutoScalingGroup,
            &["drain"],
            format!("Scale the old Auto Scaling group {asg} to zero"),
            vec![change(
                Modify,
                format!("Auto Scaling group {asg}"),
                "suspend Launch, AlarmNotification, ScheduledActions, AZRebalance; clear scale-in \
                 protection of its instances; min 0, desired 0",
            )],
            "resume the processes it suspended (not those suspended before), restore the \
             recorded min/desired/max and wait for the old targets to be healthy, protect again \
             the instances it unprotected that are still in the group",
            30 * MINUTE,
        );
    }
    if playbook.scale_down.old_instances && source.kind == SourceKind::Ec2 {
        let instances = old_instances(source);
        b.push(
            "stop-old-instances",
            Action::StopOldInstances,
            &["drain"],
            format!("Stop (not terminate) the {instances}"),
            vec![change(
                Modify,
                instances,
                "StopInstances on those running; wait until each is stopped (their targets \
                 stay registered, `unused`)",
            )],
            "start the instances it stopped, wait until they run and until each target is \
             healthy again in the old target groups",
            30 * MINUTE,
        );
    }
    let mut alarm_deps = vec!["verify-health"];
    if crate::budget::declared(playbook) {
        let scaled_down: Vec<String> = b
            .steps
            .iter()
            .filter(|s| {
                matches!(
                    s.action,
                    Action::ScaleDownAutoScalingGroup
                        | Action::ScaleDownOldService { .. }
                        | Action::ScaleDownBeanstalkEnvironment
                )
            })
            .map(|s| s.id.clone())
            .collect();
        let mut grow_deps: Vec<&str> = scaled_down.iter().map(String::as_str).collect();
        if grow_deps.is_empty() {
            grow_deps.push("drain");
        }
        b.push(
            "grow-new-side",
            Action::GrowNewSide,
            &grow_deps,
            "Under the connection budget, now that the old side has let go of its connections: \
             give the new services their desired counts (over the budget some started smaller) \
             and their scaling bounds (pinned at the start count while both sides ran)",
            playbook
                .target
                .services
                .iter()
                .map(|service| {
                    change(
                        Modify,
                        format!("ECS service {}", names.services[&service.name]),
                        format!(
                            "desired count {}{}; wait until the tasks run",
                            service.desired_count,
                            service.scaling.as_ref().map_or(String::new(), |x| format!(
                                ", scaling target {}-{}",
                                x.min_count, x.max_count
                            ))
                        ),
                    )
                })
                .collect(),
            "pin them back at the counts they started with, and wait until any extra task has \
             drained",
            30 * MINUTE,
        );
        alarm_deps.push("grow-new-side");
    }
    b.push(
        "create-alarms",
        Action::CreateAlarms,
        &alarm_deps,
        format!(
            "Create CloudWatch alarms on HealthyHostCount, target 5xx and each service's \
             RunningTaskCount{}",
            match &playbook.guard.alarm_topic {
                Some(topic) => format!(", notifying {topic}"),
                None => String::new(),
            }
        ),
        vec![change(
            Create,
            format!("alarms {}-*", names.alarm_prefix),
            format!(
                "HealthyHostCount < 1, HTTPCode_Target_5XX_Count >= {} a minute, \
                 RunningTaskCount < desired",
                playbook.guard.min_5xx.max(1)
            ),
        )],
        "delete the alarms",
        10 * MINUTE,
    );
}

/// The `listener` ramp: one step per weight, each after the one before and the health gate.
fn push_listener_ramp(
    b: &mut Builder,
    names: &ResourceNames,
    old_lb: &str,
    steps: &[u8],
    bake: std::time::Duration,
) {
    let mut last = "verify-health".to_string();
    for weight in steps {
        let id = format!("shift-listener:{weight}");
        let bake_text = if *weight >= 100 {
            String::new()
        } else {
            format!(
                ", then bake for {}",
                migrate_playbook::render_duration(bake)
            )
        };
        b.push(
            id.clone(),
            Action::ShiftListenerWeight {
                weight: *weight,
                bake_secs: bake.as_secs(),
            },
            &[last.as_str(), "verify-health"],
            format!(
                "Send {weight}% of the old load balancer's forwards to {}{bake_text}",
                names.bridge_target_group
            ),
            vec![change(
                ChangeKind::Modify,
                format!("listeners of load balancer {old_lb}"),
                format!(
                    "every forward to the old target group weighted old {} / {} {weight}",
                    100 - weight,
                    names.bridge_target_group
                ),
            )],
            "put every listener's default actions and rules back exactly as recorded before \
             the first shift",
            30 * MINUTE + bake.as_secs(),
        );
        last = id;
    }
}

fn push_service_scaling(
    b: &mut Builder,
    names: &ResourceNames,
    service: &migrate_playbook::Service,
    scaling: &Scaling,
) {
    use ChangeKind::Create;
    let tracking = match scaling.cpu_target {
        CpuTarget::Percent(p) => format!("target tracking on average CPU at {p}%"),
        CpuTarget::FromOldSide => {
            "target tracking on average CPU at the old side's target, if it scaled on a policy"
                .to_string()
        }
        CpuTarget::Off => "no scaling policy".to_string(),
    };
    let new_service = &names.services[&service.name];
    b.push(
        format!("create-service-scaling:{}", service.name),
        Action::CreateServiceScaling {
            service: service.name.clone(),
        },
        &[format!("create-service:{}", service.name).as_str()],
        format!(
            "Scale the ECS service {new_service} between {} and {} tasks ({tracking})",
            scaling.min_count, scaling.max_count
        ),
        vec![change(
            Create,
            format!(
                "Application Auto Scaling target service/{}/{new_service}",
                names.cluster
            ),
            format!(
                "min {}, max {}; {tracking}",
                scaling.min_count, scaling.max_count
            ),
        )],
        "deregister the scalable target (its policies go with it)",
        // Two calls, but Application Auto Scaling answers ConcurrentUpdateException while an
        // earlier change of the target is pending, and those are retried.
        10 * MINUTE,
    );
}

const COPY_BEHAVIOUR: &str = "copy-load-balancer-behaviour";

/// Plans the step that gives the new load balancer the old one's behaviour, after the listeners
/// the target group needs exist and before the health gate probes them.
fn copy_load_balancer_behaviour(b: &mut Builder, playbook: &Playbook, names: &ResourceNames) {
    let mut deps = vec!["create-listener:http"];
    if playbook.target.load_balancer.https_certificate != HttpsCertificate::None {
        deps.push("create-listener:https");
    }
    let acknowledged = &playbook.target.load_balancer.acknowledge;
    let mut changes = vec![
        change(
            ChangeKind::Create,
            format!("listeners of {}", names.load_balancer),
            "every listener of the old load balancer: default actions, rules in priority order, \
             default and SNI certificates, SSL policy; forwards to the old target group go to the new one",
        ),
        change(
            ChangeKind::Modify,
            format!("load balancer {}", names.load_balancer),
            "the old load balancer's attributes (not deletion protection) and WAF web ACL",
        ),
        change(
            ChangeKind::Modify,
            format!("target group {}", names.target_group),
            "the old target group's stickiness, slow start and algorithm",
        ),
    ];
    if !acknowledged.is_empty() {
        changes.push(change(
            ChangeKind::Read,
            format!(
                "old load balancer {}",
                playbook
                    .source
                    .load_balancer
                    .as_deref()
                    .unwrap_or("(discovered)")
            ),
            format!(
                "left out, as the playbook acknowledges: {}",
                acknowledged.join(", ")
            ),
        ));
    }
    b.push(
        COPY_BEHAVIOUR,
        Action::CopyLoadBalancerBehaviour,
        &deps,
        format!(
            "Give {} the old load balancer's listeners, rules, certificates and attributes",
            names.load_balancer
        ),
        changes,
        "delete the rules and listeners it created, remove the WAF association",
        15 * MINUTE,
    );
}

/// The plain instances of an `ec2` source as a reviewer reads them.
fn old_instances(source: &migrate_playbook::Source) -> String {
    if source.instances.is_empty() {
        "old instances (those registered in the old target groups that no Auto Scaling group \
         launched, found by discover-source)"
            .into()
    } else {
        format!("old instances {}", source.instances.join(", "))
    }
}

/// What `shrink-old-side` sizes, as a reviewer reads it.
fn old_capacity(source: &migrate_playbook::Source) -> String {
    match source.kind {
        SourceKind::EcsEc2 => format!(
            "old ECS service{} {}",
            if source.ecs_services.len() == 1 {
                ""
            } else {
                "s"
            },
            source.ecs_services.join(", ")
        ),
        SourceKind::Beanstalk => format!(
            "Beanstalk environment {} (MinSize, MaxSize through UpdateEnvironment)",
            source.beanstalk_environment.as_deref().unwrap_or("?")
        ),
        SourceKind::Asg | SourceKind::Ec2 => format!(
            "Auto Scaling group {}",
            source
                .auto_scaling_group
                .as_deref()
                .unwrap_or("(discovered)")
        ),
    }
}
