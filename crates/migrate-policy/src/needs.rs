//! What each planned action needs: the IAM actions of its forward action, its reconciliation
//! (the lookup before a create) and its compensation (the undo a rollback runs), as the adapter
//! (`crates/migrate-aws/src/`) calls them for each port method the step
//! (`crates/migrate-engine/src/steps/`) uses.
//!
//! Every `"*"` resource below is there because the action supports no resource-level permission
//! (its "Resource types" column is empty in the service's "Actions, resources, and condition
//! keys" page); the comment at each says so.

use migrate_plan::{Action, Plan};
use migrate_playbook::{SourceKind, Zone};

use crate::document::Statement;

/// The tag every resource the plan creates carries (`migrate_engine::ports::TAG_PLAN_ID`); it
/// is repeated here because this crate is pure and knows no engine.
pub const TAG_PLAN_ID: &str = "migrate:plan-id";

/// ECS tasks assume the execution and task roles; `iam:PassRole` is allowed to no one else.
const ECS_TASKS_PRINCIPAL: &str = "ecs-tasks.amazonaws.com";

/// The plan's names turned into ARN patterns. The account is `*`: the policy is written before
/// anyone knows which account it is attached in, and it can only act in that account anyway.
pub(crate) struct Scope<'p> {
    plan: &'p Plan,
    region: String,
}

impl<'p> Scope<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Self {
        Self {
            plan,
            region: plan.playbook.region.clone().unwrap_or_else(|| "*".into()),
        }
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:*:{resource}", self.region)
    }

    fn ecs_cluster(&self, cluster: &str) -> String {
        self.arn("ecs", &format!("cluster/{cluster}"))
    }

    fn ecs_service(&self, cluster: &str, service: &str) -> String {
        self.arn("ecs", &format!("service/{cluster}/{service}"))
    }

    fn new_services(&self) -> impl Iterator<Item = String> + '_ {
        let names = &self.plan.names;
        names
            .services
            .values()
            .map(|s| self.ecs_service(&names.cluster, s))
    }

    fn old_services(&self) -> Vec<String> {
        let source = &self.plan.playbook.source;
        let cluster = source.ecs_cluster.clone().unwrap_or_else(|| "*".into());
        source
            .ecs_services
            .iter()
            .map(|s| self.ecs_service(&cluster, s))
            .collect()
    }

    fn task_definitions(&self) -> Vec<String> {
        self.plan
            .names
            .families
            .values()
            .map(|family| self.arn("ecs", &format!("task-definition/{family}:*")))
            .collect()
    }

    fn load_balancer(&self) -> String {
        self.arn(
            "elasticloadbalancing",
            &format!("loadbalancer/app/{}/*", self.plan.names.load_balancer),
        )
    }

    fn listeners(&self) -> String {
        self.arn(
            "elasticloadbalancing",
            &format!("listener/app/{}/*", self.plan.names.load_balancer),
        )
    }

    fn target_group(&self) -> String {
        self.arn(
            "elasticloadbalancing",
            &format!("targetgroup/{}/*", self.plan.names.target_group),
        )
    }

    fn bridge_target_group(&self) -> String {
        self.arn(
            "elasticloadbalancing",
            &format!("targetgroup/{}/*", self.plan.names.bridge_target_group),
        )
    }

    /// The old load balancer's listeners and rules, by its name (every load balancer when the
    /// playbook names none and discovery finds it).
    fn old_listeners_and_rules(&self) -> Vec<String> {
        let name = self
            .plan
            .playbook
            .source
            .load_balancer
            .clone()
            .unwrap_or_else(|| "*".into());
        vec![
            self.arn("elasticloadbalancing", &format!("listener/app/{name}/*")),
            self.arn(
                "elasticloadbalancing",
                &format!("listener-rule/app/{name}/*"),
            ),
        ]
    }

    fn security_groups(&self) -> String {
        self.arn("ec2", "security-group/*")
    }

    fn plan_id(&self) -> &str {
        &self.plan.id
    }

    fn request_tag(&self) -> String {
        format!("aws:RequestTag/{TAG_PLAN_ID}")
    }

    fn resource_tag(&self) -> String {
        format!("aws:ResourceTag/{TAG_PLAN_ID}")
    }

    fn hosted_zone(&self) -> String {
        match &self.plan.playbook.cutover.zone {
            Zone::Id(id) => format!(
                "arn:aws:route53:::hostedzone/{}",
                id.trim_start_matches("/hostedzone/")
            ),
            // The id is found at run time (ListHostedZonesByName); the record-name condition
            // on ChangeResourceRecordSets still holds the change to the plan's record.
            Zone::Name(_) => "arn:aws:route53:::hostedzone/*".into(),
        }
    }

    fn old_group(&self) -> String {
        // The group's ARN holds a UUID nobody knows before discovery; its name is the scope.
        let name = self
            .plan
            .playbook
            .source
            .auto_scaling_group
            .clone()
            .unwrap_or_else(|| "*".into());
        self.arn(
            "autoscaling",
            &format!("autoScalingGroup:*:autoScalingGroupName/{name}"),
        )
    }

    /// The plain instances of an `ec2` source: those the playbook lists, or every instance of
    /// the account when discovery finds them (their ids are unknown until then).
    fn old_instances(&self) -> Vec<String> {
        let listed = &self.plan.playbook.source.instances;
        if listed.is_empty() {
            vec![self.arn("ec2", "instance/*")]
        } else {
            listed
                .iter()
                .map(|id| self.arn("ec2", &format!("instance/{id}")))
                .collect()
        }
    }

    fn alarms(&self) -> String {
        self.arn(
            "cloudwatch",
            &format!("alarm:{}*", self.plan.names.alarm_prefix),
        )
    }

    /// The roles the task definitions name, as the translator wrote them.
    fn passed_roles(&self) -> Vec<String> {
        let mut roles = Vec::new();
        for step in &self.plan.steps {
            if let Action::RegisterTaskDefinition { definition, .. } = &step.action {
                for field in ["executionRoleArn", "taskRoleArn"] {
                    if let Some(arn) = definition.get(field).and_then(|v| v.as_str()) {
                        roles.push(role_resource(arn));
                    }
                }
            }
        }
        roles
    }
}

/// A role ARN as written, or a bare role name turned into a role ARN in any account.
fn role_resource(role: &str) -> String {
    if role.starts_with("arn:") {
        role.to_string()
    } else {
        format!("arn:aws:iam::*:role/{role}")
    }
}

/// A DNS change and the wait for it.
fn dns_change(scope: &Scope<'_>) -> Vec<Statement> {
    vec![
        // A cutover waits for the new targets before it moves the record.
        read_anything(&["elasticloadbalancing:DescribeTargetHealth"]),
        change_record(scope),
        // GetChange is authorized on `change/*`: the change id is made by Route53.
        Statement::new("WaitForDnsChange")
            .actions(["route53:GetChange"])
            .resources(["arn:aws:route53:::change/*"]),
    ]
}

/// What the traffic guard reads while the new side takes traffic: the metrics (GetMetricData
/// has no resource-level permission) and the new services' running counts. Nothing when the
/// playbook turns the guard off.
fn guarded(scope: &Scope<'_>) -> Vec<Statement> {
    if !scope.plan.playbook.guard.enabled {
        return Vec::new();
    }
    vec![
        read_anything(&["cloudwatch:GetMetricData"]),
        Statement::new("ManagePlanServices")
            .actions(["ecs:DescribeServices"])
            .resources(scope.new_services()),
    ]
}

/// Reads that IAM authorizes only on `"*"`.
fn read_anything(actions: &[&str]) -> Statement {
    Statement::new("ReadWithoutResourceLevelPermissions")
        .actions(actions.iter().copied())
        .resources(["*"])
}

/// The statements one planned action needs. No fallback arm: a new `Action` variant does not
/// compile until someone decides what it needs.
pub(crate) fn needs(action: &Action, scope: &Scope<'_>) -> Vec<Statement> {
    let names = &scope.plan.names;
    match action {
        Action::Preflight => preflight(scope),
        Action::DiscoverSource => discover(scope),
        // Reads only what discover-source recorded.
        Action::CheckConnectionBudget => Vec::new(),
        // The old side's own scaling, then a wait on its targets' draining.
        Action::ShrinkOldSide => {
            let mut statements = match scope.plan.playbook.source.kind {
                SourceKind::EcsEc2 => old_service_scaling(scope),
                SourceKind::Beanstalk => old_environment_scaling(scope),
                SourceKind::Asg | SourceKind::Ec2 => old_group_scaling(scope),
            };
            statements.push(read_anything(&[
                "elasticloadbalancing:DescribeTargetHealth",
            ]));
            statements
        }
        Action::GrowNewSide => vec![
            read_anything(&["elasticloadbalancing:DescribeTargetHealth"]),
            Statement::new("GrowPlanServices")
                .actions(["ecs:DescribeServices", "ecs:UpdateService"])
                .resources(scope.new_services()),
            Statement::new("ReboundPlanScalableTargets")
                .actions(["application-autoscaling:RegisterScalableTarget"])
                .resources([scope.arn("application-autoscaling", "scalable-target/*")]),
        ],
        Action::CreateCluster => vec![
            // CreateCluster names the cluster in the request: its ARN is the scope; the tag
            // condition holds it to clusters carrying this plan's tag.
            Statement::new("CreateClusterWithPlanTag")
                .actions(["ecs:CreateCluster"])
                .resources([scope.ecs_cluster(&names.cluster)])
                .when("StringEquals", scope.request_tag(), [scope.plan_id()]),
            // Reconciliation (DescribeClusters) and compensation (DescribeClusters, then
            // DeleteCluster) act on the plan's cluster only.
            Statement::new("ManagePlanCluster")
                .actions(["ecs:DescribeClusters", "ecs:DeleteCluster"])
                .resources([scope.ecs_cluster(&names.cluster)]),
            ecs_tag_on_create("CreateCluster", [scope.ecs_cluster(&names.cluster)]),
            service_linked_role("ecs.amazonaws.com", "AWSServiceRoleForECS"),
        ],
        Action::CreateLogGroups { groups, .. } => {
            // Each group's ARN, with and without the `:*` that CloudWatch Logs appends for the
            // group's streams.
            let arns: Vec<String> = groups
                .iter()
                .flat_map(|g| {
                    [
                        scope.arn("logs", &format!("log-group:{g}")),
                        scope.arn("logs", &format!("log-group:{g}:*")),
                    ]
                })
                .collect();
            vec![
                // DescribeLogGroups lists by prefix and is authorized on the account's groups.
                read_anything(&["logs:DescribeLogGroups"]),
                // CreateLogGroup with tags also needs TagResource; retention is set on the
                // groups the plan created, and the compensation deletes only those (found by
                // their tags, ListTagsForResource).
                Statement::new("ManagePlanLogGroups")
                    .actions([
                        "logs:CreateLogGroup",
                        "logs:TagResource",
                        "logs:ListTagsForResource",
                        "logs:PutRetentionPolicy",
                        "logs:DeleteLogGroup",
                    ])
                    .resources(arns),
            ]
        }
        Action::RegisterTaskDefinition { .. } => {
            let mut out = vec![
                // RegisterTaskDefinition, DeregisterTaskDefinition, ListTaskDefinitions and
                // DescribeTaskDefinition support no resource-level permission in ECS.
                read_anything(&["ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition"]),
                Statement::new("RegisterTaskDefinitions")
                    .actions(["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition"])
                    .resources(["*"]),
                ecs_tag_on_create("RegisterTaskDefinition", scope.task_definitions()),
            ];
            let roles = scope.passed_roles();
            if !roles.is_empty() {
                // Registering a task definition that names a role passes the role to ECS.
                out.push(
                    Statement::new("PassTaskRolesToEcsTasks")
                        .actions(["iam:PassRole"])
                        .resources(roles)
                        .when("StringEquals", "iam:PassedToService", [ECS_TASKS_PRINCIPAL]),
                );
            }
            out
        }
        Action::CreateServiceSecurityGroup => create_plan_security_group(scope),
        Action::CreateLoadBalancerSecurityGroup => {
            let mut out = create_plan_security_group(scope);
            // Reads the old load balancer's groups to copy the clients they admit.
            out.push(read_anything(&["ec2:DescribeSecurityGroups"]));
            out.push(
                Statement::new("ChangeRulesOfPlanLoadBalancerGroup")
                    .actions([
                        "ec2:AuthorizeSecurityGroupIngress",
                        "ec2:AuthorizeSecurityGroupEgress",
                        "ec2:RevokeSecurityGroupEgress",
                    ])
                    .resources([scope.security_groups()])
                    .when("StringEquals", scope.resource_tag(), [scope.plan_id()]),
            );
            out
        }
        Action::AllowLoadBalancerToService => vec![
            // The rule goes on the plan's own service group, whose id is known only at run
            // time: the plan tag on it is the scope.
            Statement::new("ChangeIngressOfPlanSecurityGroup")
                .actions([
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                ])
                .resources([scope.security_groups()])
                .when("StringEquals", scope.resource_tag(), [scope.plan_id()]),
            // DescribeSecurityGroupRules (the check after an ambiguous authorize) has no
            // resource-level permission.
            read_anything(&["ec2:DescribeSecurityGroupRules"]),
        ],
        Action::OpenDataStore { store } => {
            let group = scope
                .plan
                .playbook
                .network
                .data_stores
                .iter()
                .find(|s| &s.name == store)
                .map(|s| s.security_group.clone())
                .unwrap_or_else(|| "*".into());
            vec![
                Statement::new("ChangeIngressOfDataStoreSecurityGroups")
                    .actions([
                        "ec2:AuthorizeSecurityGroupIngress",
                        "ec2:RevokeSecurityGroupIngress",
                    ])
                    .resources([scope.arn("ec2", &format!("security-group/{group}"))]),
                read_anything(&["ec2:DescribeSecurityGroupRules"]),
            ]
        }
        Action::CreateTargetGroup => vec![
            // Describe* calls of ELB have no resource-level permission.
            read_anything(&["elasticloadbalancing:DescribeTargetGroups"]),
            Statement::new("CreatePlanTargetGroupWithPlanTag")
                .actions(["elasticloadbalancing:CreateTargetGroup"])
                .resources([scope.target_group()])
                .when("StringEquals", scope.request_tag(), [scope.plan_id()]),
            Statement::new("ManagePlanTargetGroup")
                .actions([
                    "elasticloadbalancing:ModifyTargetGroupAttributes",
                    "elasticloadbalancing:DeleteTargetGroup",
                ])
                .resources([scope.target_group()]),
            elb_tag_on_create("CreateTargetGroup", scope.target_group()),
        ],
        Action::CreateBridgeTargetGroup => vec![
            read_anything(&["elasticloadbalancing:DescribeTargetGroups"]),
            Statement::new("CreateBridgeTargetGroupWithPlanTag")
                .actions(["elasticloadbalancing:CreateTargetGroup"])
                .resources([scope.bridge_target_group()])
                .when("StringEquals", scope.request_tag(), [scope.plan_id()]),
            Statement::new("ManageBridgeTargetGroup")
                .actions(["elasticloadbalancing:DeleteTargetGroup"])
                .resources([scope.bridge_target_group()]),
            elb_tag_on_create("CreateBridgeTargetGroup", scope.bridge_target_group()),
        ],
        Action::CreateLoadBalancer => vec![
            read_anything(&["elasticloadbalancing:DescribeLoadBalancers"]),
            Statement::new("CreatePlanLoadBalancerWithPlanTag")
                .actions(["elasticloadbalancing:CreateLoadBalancer"])
                .resources([scope.load_balancer()])
                .when("StringEquals", scope.request_tag(), [scope.plan_id()]),
            Statement::new("ManagePlanLoadBalancer")
                .actions(["elasticloadbalancing:DeleteLoadBalancer"])
                .resources([scope.load_balancer()]),
            elb_tag_on_create("CreateLoadBalancer", scope.load_balancer()),
            service_linked_role(
                "elasticloadbalancing.amazonaws.com",
                "AWSServiceRoleForElasticLoadBalancing",
            ),
        ],
        Action::CreateListener { .. } => vec![
            read_anything(&["elasticloadbalancing:DescribeListeners"]),
            // CreateListener is authorized on the load balancer it adds the listener to.
            Statement::new("ManagePlanListeners")
                .actions(["elasticloadbalancing:CreateListener"])
                .resources([scope.load_balancer()]),
            Statement::new("DeletePlanListeners")
                .actions(["elasticloadbalancing:DeleteListener"])
                .resources([scope.listeners()]),
            elb_tag_on_create("CreateListener", scope.listeners()),
        ],
        Action::CopyLoadBalancerBehaviour => copy_behaviour(scope),
        Action::CreateService { .. } => vec![
            Statement::new("CreatePlanServicesWithPlanTag")
                .actions(["ecs:CreateService"])
                .resources(scope.new_services())
                .when("StringEquals", scope.request_tag(), [scope.plan_id()]),
            // Reconciliation and health (DescribeServices, and the stopped tasks' reasons when
            // fewer run than desired), compensation (DeleteService with `force`, so no
            // UpdateService to scale it to zero first).
            Statement::new("ManagePlanServices")
                .actions(["ecs:DescribeServices", "ecs:DeleteService"])
                .resources(scope.new_services()),
            ecs_tag_on_create("CreateService", scope.new_services()),
        ]
        .into_iter()
        .chain(stopped_tasks(scope, &names.cluster))
        .collect(),
        Action::CreateServiceScaling { .. } => service_scaling(scope),
        Action::VerifyHealth => vec![
            read_anything(&["elasticloadbalancing:DescribeTargetHealth"]),
            Statement::new("ManagePlanServices")
                .actions(["ecs:DescribeServices"])
                .resources(scope.new_services()),
        ]
        .into_iter()
        .chain(stopped_tasks(scope, &names.cluster))
        .collect(),
        Action::LowerTtl | Action::CutoverDns => dns_change(scope),
        Action::ShiftWeight { .. } => dns_change(scope)
            .into_iter()
            .chain(guarded(scope))
            .collect(),
        Action::ShiftListenerWeight { .. } => vec![
            read_anything(&[
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetHealth",
            ]),
            // ModifyListener and ModifyRule are authorized on the listener or rule changed.
            Statement::new("ShiftOldListenerForwards")
                .actions([
                    "elasticloadbalancing:ModifyListener",
                    "elasticloadbalancing:ModifyRule",
                ])
                .resources(scope.old_listeners_and_rules()),
        ]
        .into_iter()
        .chain(guarded(scope))
        .collect(),
        Action::WatchNewSide { .. } => guarded(scope),
        // GetMetricData supports no resource-level permission.
        Action::Drain => vec![read_anything(&["cloudwatch:GetMetricData"])],
        Action::ScaleDownAutoScalingGroup => old_group_scaling(scope),
        Action::StopOldInstances => vec![
            // DescribeInstances and DescribeTargetHealth have no resource-level permission; the
            // undo waits on both until the started instances serve again.
            read_anything(&[
                "ec2:DescribeInstances",
                "elasticloadbalancing:DescribeTargetHealth",
            ]),
            Statement::new("StopAndStartOldInstances")
                .actions(["ec2:StopInstances", "ec2:StartInstances"])
                .resources(scope.old_instances()),
        ],
        Action::ScaleDownBeanstalkEnvironment => old_environment_scaling(scope),
        Action::ScaleDownOldService { .. } => old_service_scaling(scope),
        Action::CreateAlarms => vec![Statement::new("ManagePlanAlarms")
            .actions([
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
            ])
            .resources([scope.alarms()])],
    }
}

/// Application Auto Scaling of the new services, as
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/auto-scaling-IAM.html> lists it:
/// the caller also needs the ECS and CloudWatch calls the service makes for the target tracking
/// alarms, and creates the service-linked role the first time.
fn service_scaling(scope: &Scope<'_>) -> Vec<Statement> {
    vec![
        // The Describe calls have no resource-level permission; the old side's policies are read
        // from its Auto Scaling group and old ECS services.
        read_anything(&[
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingPolicies",
            "autoscaling:DescribePolicies",
        ]),
        // A scalable target's ARN ends in an id AWS makes up at registration, so the plan
        // cannot name it in advance: the statement is scoped to the region's targets.
        Statement::new("ManagePlanScalableTargets")
            .actions([
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:TagResource",
            ])
            .resources([scope.arn("application-autoscaling", "scalable-target/*")]),
        Statement::new("ScalePlanServices")
            .actions(["ecs:DescribeServices", "ecs:UpdateService"])
            .resources(scope.new_services()),
        // Target tracking creates and deletes its own alarms, named after the policy's target.
        Statement::new("ManageTargetTrackingAlarms")
            .actions([
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
            ])
            .resources([scope.arn("cloudwatch", "alarm:TargetTracking-service/*")]),
        service_linked_role(
            "ecs.application-autoscaling.amazonaws.com",
            "AWSServiceRoleForApplicationAutoScaling_ECSService",
        ),
    ]
}

/// The preflight's reads. STS `GetCallerIdentity` needs no permission.
fn preflight(scope: &Scope<'_>) -> Vec<Statement> {
    let source = &scope.plan.playbook.source;
    let mut roles = scope.passed_roles();
    roles
        .push("arn:aws:iam::*:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS".into());
    let mut out = vec![
        // EC2's Describe* calls and the Auto Scaling reads have no resource-level permission.
        read_anything(&[
            "ec2:DescribeSubnets",
            "ec2:DescribeRouteTables",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeLaunchTemplateVersions",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeLaunchConfigurations",
        ]),
        Statement::new("ReadRoles")
            .actions(["iam:GetRole"])
            .resources(roles),
    ];
    let simulated = scope.passed_roles();
    if !simulated.is_empty() {
        out.push(
            Statement::new("SimulateRolePermissions")
                .actions(["iam:SimulatePrincipalPolicy"])
                .resources(simulated),
        );
    }
    out.push(
        Statement::new("ReadFargateVcpuQuota")
            .actions(["servicequotas:GetServiceQuota"])
            .resources([scope.arn("servicequotas", "fargate/L-3032A538")]),
    );
    if source.kind == SourceKind::EcsEc2 && source.auto_scaling_group.is_none() {
        let cluster = source.ecs_cluster.clone().unwrap_or_else(|| "*".into());
        out.push(
            Statement::new("FindOldContainerInstances")
                .actions(["ecs:ListContainerInstances"])
                .resources([scope.ecs_cluster(&cluster)]),
        );
        out.push(
            Statement::new("ReadOldContainerInstances")
                .actions(["ecs:DescribeContainerInstances"])
                .resources([scope.arn("ecs", &format!("container-instance/{cluster}/*"))]),
        );
        out.push(read_anything(&["autoscaling:DescribeAutoScalingInstances"]));
    }
    out
}

fn discover(scope: &Scope<'_>) -> Vec<Statement> {
    let source = &scope.plan.playbook.source;
    let mut out = vec![
        // The old load balancer, its target groups and listeners, the target group's load
        // balancer: ELB's Describe* calls have no resource-level permission.
        read_anything(&[
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeListeners",
            // The old load balancer's behaviour, which the new one copies: attributes, rules,
            // SNI certificates, the served target group's attributes and the WAF web ACL.
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeListenerCertificates",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "wafv2:GetWebACLForResource",
            // DescribeAutoScalingGroups has no resource-level permission either.
            "autoscaling:DescribeAutoScalingGroups",
        ]),
        // The account snapshot `plan` stores and `apply` reads again before its first step: the
        // old instances' sizes and the data stores' inbound rules (EC2 Describe* calls have no
        // resource-level permission).
        read_anything(&[
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeSecurityGroupRules",
        ]),
    ];
    out.extend(read_records(scope));
    match source.kind {
        SourceKind::Asg => {}
        // The instances' state and root device, and (to find them when the playbook lists
        // none) the old target groups' targets and the groups' instances: none of these
        // supports a resource-level permission.
        SourceKind::Ec2 => out.push(read_anything(&[
            "ec2:DescribeInstances",
            "elasticloadbalancing:DescribeTargetHealth",
            "autoscaling:DescribeAutoScalingInstances",
        ])),
        SourceKind::EcsEc2 => {
            let cluster = source.ecs_cluster.clone().unwrap_or_else(|| "*".into());
            out.push(
                Statement::new("ReadOldServices")
                    .actions(["ecs:DescribeServices"])
                    .resources(scope.old_services()),
            );
            // The snapshot reads the running task definitions (their size and images);
            // DescribeTaskDefinition has no resource-level permission.
            out.push(read_anything(&["ecs:DescribeTaskDefinition"]));
            out.extend(stopped_tasks(scope, &cluster));
            if source.auto_scaling_group.is_none() {
                // The container instances lead to their Auto Scaling group.
                out.push(
                    Statement::new("FindOldContainerInstances")
                        .actions(["ecs:ListContainerInstances"])
                        .resources([scope.ecs_cluster(&cluster)]),
                );
                out.push(
                    Statement::new("ReadOldContainerInstances")
                        .actions(["ecs:DescribeContainerInstances"])
                        .resources([scope.arn("ecs", &format!("container-instance/{cluster}/*"))]),
                );
                // DescribeAutoScalingInstances has no resource-level permission.
                out.push(read_anything(&["autoscaling:DescribeAutoScalingInstances"]));
            }
        }
        SourceKind::Beanstalk => {
            let environment = source
                .beanstalk_environment
                .clone()
                .unwrap_or_else(|| "*".into());
            out.push(
                Statement::new("ReadOldEnvironment")
                    .actions([
                        "elasticbeanstalk:DescribeEnvironments",
                        "elasticbeanstalk:DescribeEnvironmentResources",
                    ])
                    .resources([
                        scope.arn("elasticbeanstalk", &format!("environment/*/{environment}"))
                    ]),
            );
            // Beanstalk lists an environment's resources from its CloudFormation stack with the
            // caller's permissions, and answers `InsufficientPrivileges` without them
            // (<https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_DescribeEnvironmentResources.html>).
            out.push(
                Statement::new("LetBeanstalkListItsResources")
                    .actions([
                        "cloudformation:DescribeStackResource",
                        "cloudformation:DescribeStackResources",
                    ])
                    .resources([scope.arn("cloudformation", "stack/awseb-*")]),
            );
        }
    }
    out
}

/// Creating one of the plan's security groups (the service's, the load balancer's), tagged with
/// the plan, and deleting it again on rollback.
fn create_plan_security_group(scope: &Scope<'_>) -> Vec<Statement> {
    vec![
        // DescribeSecurityGroups (reconciliation by name) has no resource-level permission.
        read_anything(&["ec2:DescribeSecurityGroups"]),
        // CreateSecurityGroup is authorized on the VPC and on the new group; the VPC takes
        // no request tag, so it has a statement of its own.
        Statement::new("CreateSecurityGroupInPlanVpc")
            .actions(["ec2:CreateSecurityGroup"])
            .resources([scope.arn("ec2", &format!("vpc/{}", scope.plan.playbook.network.vpc))]),
        Statement::new("CreateSecurityGroupWithPlanTag")
            .actions(["ec2:CreateSecurityGroup"])
            .resources([scope.security_groups()])
            .when("StringEquals", scope.request_tag(), [scope.plan_id()]),
        Statement::new("TagSecurityGroupOnCreate")
            .actions(["ec2:CreateTags"])
            .resources([scope.security_groups()])
            .when("StringEquals", "ec2:CreateAction", ["CreateSecurityGroup"]),
        // The compensation deletes only a group that carries this plan's tag.
        Statement::new("DeletePlanSecurityGroup")
            .actions(["ec2:DeleteSecurityGroup"])
            .resources([scope.security_groups()])
            .when("StringEquals", scope.resource_tag(), [scope.plan_id()]),
    ]
}

/// Discovery lists every hosted zone (ListHostedZones supports no resource-level permission)
/// and reads the records of each, to find every name that reaches the old side; a zone given by
/// name is first looked up with ListHostedZonesByName, which supports none either.
fn read_records(scope: &Scope<'_>) -> Vec<Statement> {
    let mut out = vec![
        read_anything(&["route53:ListHostedZones"]),
        Statement::new("ReadRecordsOfEveryZone")
            .actions(["route53:ListResourceRecordSets"])
            .resources(["arn:aws:route53:::hostedzone/*"]),
    ];
    if matches!(scope.plan.playbook.cutover.zone, Zone::Name(_)) {
        out.push(read_anything(&["route53:ListHostedZonesByName"]));
    }
    out
}

fn change_record(scope: &Scope<'_>) -> Statement {
    let normal = |name: &str| name.trim_end_matches('.').to_ascii_lowercase();
    let mut records = vec![normal(&scope.plan.playbook.cutover.record)];
    // The names discovery found reaching the old side, as the reviewed snapshot lists them;
    // without a snapshot the policy can only name the playbook's record.
    let moved = scope
        .plan
        .snapshot
        .as_ref()
        .map(|s| s.records.clone())
        .unwrap_or_default();
    records.extend(moved.iter().map(|r| normal(&r.name)));
    records.sort();
    records.dedup();
    let other_zones = moved.iter().any(|r| r.zone.is_some());
    // The normalized-record-names key holds every change in the batch to the plan's records:
    // lower case, no trailing dot, as the Route53 developer guide describes it. Records in other
    // zones (a private zone of the same name) widen the resource to every zone; the name
    // condition still holds the change to the moved names.
    Statement::new("ChangePlanRecord")
        .actions(["route53:ChangeResourceRecordSets"])
        .resources([if other_zones {
            "arn:aws:route53:::hostedzone/*".to_string()
        } else {
            scope.hosted_zone()
        }])
        .when(
            "ForAllValues:StringEquals",
            "route53:ChangeResourceRecordSetsNormalizedRecordNames",
            records,
        )
}

/// Why a service has fewer tasks than it wants. ListTasks is authorized on container instances,
/// which Fargate tasks have none of, so it takes `"*"`; DescribeTasks on the cluster's tasks.
fn stopped_tasks(scope: &Scope<'_>, cluster: &str) -> [Statement; 2] {
    [
        read_anything(&["ecs:ListTasks"]),
        Statement::new("ReadStoppedTasks")
            .actions(["ecs:DescribeTasks"])
            .resources([scope.arn("ecs", &format!("task/{cluster}/*"))]),
    ]
}

/// ECS authorizes the tags of a create call as `ecs:TagResource` with `ecs:CreateAction`, on
/// the resource being created.
fn ecs_tag_on_create<I, S>(create_action: &str, resources: I) -> Statement
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Statement::new("TagEcsResourcesOnCreate")
        .actions(["ecs:TagResource"])
        .resources(resources)
        .when("StringEquals", "ecs:CreateAction", [create_action])
}

/// ELB authorizes the tags of a create call as `elasticloadbalancing:AddTags` with
/// `elasticloadbalancing:CreateAction`, on the resource being created.
fn elb_tag_on_create(create_action: &str, resource: String) -> Statement {
    Statement::new("TagLoadBalancingResourcesOnCreate")
        .actions(["elasticloadbalancing:AddTags"])
        .resources([resource])
        .when(
            "StringEquals",
            "elasticloadbalancing:CreateAction",
            [create_action],
        )
}

/// The first cluster or load balancer of an account creates the service's linked role.
fn service_linked_role(service: &str, role: &str) -> Statement {
    Statement::new("CreateServiceLinkedRoles")
        .actions(["iam:CreateServiceLinkedRole"])
        .resources([format!(
            "arn:aws:iam::*:role/aws-service-role/{service}/{role}"
        )])
        .when("StringEquals", "iam:AWSServiceName", [service])
}

/// `copy-load-balancer-behaviour`: listeners, rules and certificates on the plan's load
/// balancer, its attributes and its target group's, and the WAF association, which needs
/// `wafv2:*WebACL` on the web ACL and `elasticloadbalancing:SetWebAcl` on the load balancer
/// (https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html).
fn copy_behaviour(scope: &Scope<'_>) -> Vec<Statement> {
    let rules = scope.arn(
        "elasticloadbalancing",
        &format!("listener-rule/app/{}/*", scope.plan.names.load_balancer),
    );
    vec![
        read_anything(&[
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
        ]),
        Statement::new("CopyListenersToPlanLoadBalancer")
            .actions([
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetWebAcl",
            ])
            .resources([scope.load_balancer()]),
        Statement::new("ManagePlanListenersAndRules")
            .actions([
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteListener",
            ])
            .resources([scope.listeners()]),
        // CreateRule is authorized on the listener and on the rule it creates.
        Statement::new("ManagePlanRules")
            .actions([
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ])
            .resources([rules.clone()]),
        Statement::new("CopyTargetGroupAttributes")
            .actions(["elasticloadbalancing:ModifyTargetGroupAttributes"])
            .resources([scope.target_group()]),
        // The web ACL is the old load balancer's, named only in the account's state.
        Statement::new("AssociateOldWebAcl")
            .actions(["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"])
            .resources([scope.arn("wafv2", "*/webacl/*/*")]),
        elb_tag_on_create("CreateListener", scope.listeners()),
        elb_tag_on_create("CreateRule", rules),
    ]
}

/// Scaling the old Auto Scaling group: its capacity, processes and protection.
fn old_group_scaling(scope: &Scope<'_>) -> Vec<Statement> {
    // The scale-down suspends the group's scaling processes and clears its instances'
    // scale-in protection so that zero sticks; its undo resumes and restores them.
    let mut scale = Statement::new("ScaleOldAutoScalingGroup")
        .actions([
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:SuspendProcesses",
            "autoscaling:ResumeProcesses",
            "autoscaling:SetInstanceProtection",
        ])
        .resources([scope.old_group()]);
    let source = &scope.plan.playbook.source;
    if let (None, Some(environment)) = (&source.auto_scaling_group, &source.beanstalk_environment) {
        // Discovery asks Beanstalk for its environment's group; the tag Beanstalk puts
        // on that group holds the change to it.
        scale = scale.when(
            "StringEquals",
            "autoscaling:ResourceTag/elasticbeanstalk:environment-name",
            [environment.as_str()],
        );
    }
    vec![
        read_anything(&["autoscaling:DescribeAutoScalingGroups"]),
        scale,
    ]
}

/// Scaling the old Beanstalk environment through Elastic Beanstalk.
fn old_environment_scaling(scope: &Scope<'_>) -> Vec<Statement> {
    let environment = scope
        .plan
        .playbook
        .source
        .beanstalk_environment
        .clone()
        .unwrap_or_else(|| "*".into());
    let environment_arn = scope.arn("elasticbeanstalk", &format!("environment/*/{environment}"));
    vec![
        read_anything(&["autoscaling:DescribeAutoScalingGroups"]),
        Statement::new("ScaleOldBeanstalkEnvironment")
            .actions([
                "elasticbeanstalk:DescribeEnvironments",
                "elasticbeanstalk:DescribeConfigurationSettings",
                "elasticbeanstalk:UpdateEnvironment",
            ])
            .resources([
                environment_arn,
                scope.arn("elasticbeanstalk", "application/*"),
                scope.arn("elasticbeanstalk", "configurationtemplate/*"),
            ]),
        // Elastic Beanstalk carries out an update with the caller's permissions: it
        // updates the environment's CloudFormation stack (`awseb-<id>-stack`), which
        // updates the Auto Scaling group
        // (<https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/AWSHowTo.iam.managed-policies.html>).
        Statement::new("LetBeanstalkUpdateItsStack")
            .actions([
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackResource",
                "cloudformation:DescribeStackResources",
                "cloudformation:GetTemplate",
                "cloudformation:UpdateStack",
            ])
            .resources([scope.arn("cloudformation", "stack/awseb-*")]),
        Statement::new("LetBeanstalkScaleItsGroup")
            .actions([
                "autoscaling:UpdateAutoScalingGroup",
                "autoscaling:SuspendProcesses",
                "autoscaling:ResumeProcesses",
            ])
            .resources([scope.old_group()])
            .when(
                "StringEquals",
                "autoscaling:ResourceTag/elasticbeanstalk:environment-name",
                [environment.as_str()],
            ),
    ]
}

/// Scaling the old ECS services and their scalable targets.
fn old_service_scaling(scope: &Scope<'_>) -> Vec<Statement> {
    let cluster = scope
        .plan
        .playbook
        .source
        .ecs_cluster
        .clone()
        .unwrap_or_else(|| "*".into());
    vec![
        Statement::new("ScaleOldServices")
            .actions(["ecs:DescribeServices", "ecs:UpdateService"])
            .resources(scope.old_services()),
        // An old service's scalable target is read, its minimum set to 0 and restored
        // on rollback. The Describe call has no resource-level permission; a target's
        // ARN ends in an id AWS made up, so the update is scoped to the region's targets.
        read_anything(&["application-autoscaling:DescribeScalableTargets"]),
        Statement::new("HoldOldServiceScalableTargets")
            .actions(["application-autoscaling:RegisterScalableTarget"])
            .resources([scope.arn("application-autoscaling", "scalable-target/*")]),
    ]
    .into_iter()
    .chain(stopped_tasks(scope, &cluster))
    .collect()
}
