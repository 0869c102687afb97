//! What keeps an old side busy or brings it back after the migration scaled it down, when the
//! topology asks for it: scanners on the old load balancer, and the old side's own scaling setup.
//!
//! Each behaviour is off by default, so that a seed's run is what it was before; tests and
//! properties switch them on. The Auto Scaling group's processes follow
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html>:
//! with `Launch` suspended the group launches no instance, with `ScheduledActions` suspended it
//! runs no scheduled action, with `AlarmNotification` suspended it runs no policy an alarm
//! triggers (each checked in `tick_instances` and below). Scale-in never terminates an instance
//! protected from it: the desired capacity drops and the instance stays in service
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html>).
//! A scheduled action sets the group's capacity at its time
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html>).
//! An ECS service's Application Auto Scaling target keeps its desired count at or above the
//! target's minimum: target tracking scales out to the minimum
//! (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html>,
//! `MinCapacity`).

use migrate_engine::ports::Tags;
use serde::Serialize;

use crate::clock::Millis;
use crate::metrics::MINUTE;

use super::World;

/// Behaviours of the old side beyond serving the application's clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OldSideBehaviour {
    /// Requests per minute that scanners and monitors send to the old load balancer's own name,
    /// answered by the load balancer itself (a redirect, a fixed response for an unknown host)
    /// without reaching its target group. CloudWatch counts them in the load balancer's
    /// `RequestCount` and in no target group's
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>:
    /// `RequestCount` is reported per load balancer, and per target group only for requests
    /// routed to it).
    pub scanner_requests_per_minute: u32,
    /// A scheduled action on the old group that sets its minimum and desired capacity to this
    /// many instances every `every_secs` (e.g. "business hours start").
    pub scheduled_raise: Option<ScheduledRaise>,
    /// A step scaling policy whose alarm (on something other than the traffic, e.g. a queue)
    /// stays in ALARM: each minute it raises the group's desired capacity to this many.
    pub alarm_floor: Option<u32>,
    /// How many of the old group's instances are protected from scale-in.
    pub protected_instances: u32,
    /// The old web service's Application Auto Scaling target minimum, when it has a target.
    pub old_service_min: Option<u32>,
    /// An environment update (a deployment, a managed platform update) of the Beanstalk
    /// environment every this many seconds, which applies the environment's capacity settings
    /// to its Auto Scaling group again (`world/beanstalk.rs`).
    pub beanstalk_update_every_secs: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScheduledRaise {
    pub every_secs: u64,
    pub capacity: u32,
}

/// A part of the scale-down (or of the new load balancer's group) a mutation test leaves out: the simulated account accepts the call
/// and does nothing, as if the step had not made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LeftOut {
    /// `SuspendProcesses` on the old group.
    SuspendProcesses,
    /// `SetInstanceProtection` clearing scale-in protection of the old instances.
    ClearScaleInProtection,
    /// `RegisterScalableTarget` lowering the old service's minimum to 0.
    OldServiceMinimum,
    /// The copy of the old load balancer's inbound permissions onto the new load balancer's
    /// own group (`AuthorizeSecurityGroupIngress` with permissions read from the old groups).
    CopyLoadBalancerIngress,
    /// `StopInstances` on the plain instances of an `ec2` source.
    StopInstances,
    /// `StartInstances` on them, as a rollback makes it.
    StartInstances,
}

/// How the engine's drain reads CloudWatch in a mutation test: as the drain before per-target
/// group draining did, to show that the properties catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DrainReading {
    /// `RequestCount` is answered for the whole load balancer, whatever target group is asked.
    WholeLoadBalancer,
    /// "No data points" is taken as a published window: `HealthyHostCount` is answered as
    /// published for every period of the window.
    NoDataIsZero,
}

impl World {
    /// Scanners' requests of the minute that ends at `at`, counted on each live old load
    /// balancer only.
    pub(crate) fn scan_old_load_balancers(&mut self, at: Millis) {
        let per_minute = self.topology.old_side.scanner_requests_per_minute;
        if per_minute == 0 || at % MINUTE != 0 {
            return;
        }
        let dims: Vec<String> = self
            .elb
            .load_balancers
            .values()
            .filter(|l| l.old_side && !l.deleted)
            .map(|l| l.metric_dimension())
            .collect();
        for dim in dims {
            self.cloudwatch.add(
                "AWS/ApplicationELB",
                "RequestCount",
                &[("LoadBalancer".to_string(), dim)],
                at - 1,
                f64::from(per_minute),
            );
        }
    }
}

impl World {
    /// The old side's scheduled action, alarm policy and Application Auto Scaling minimum, each
    /// once a minute.
    pub(crate) fn run_old_scaling_setup(&mut self, at: Millis) {
        if at % MINUTE != 0 {
            return;
        }
        let behaviour = self.topology.old_side.clone();
        let name = self.topology.asg_name.clone();
        if let Some(g) = self.asg.groups.get_mut(&name) {
            if let Some(raise) = behaviour.scheduled_raise {
                let every = raise.every_secs.max(60) * 1000;
                if at % every == 0 && g.runs("ScheduledActions") {
                    g.capacity.min = raise.capacity;
                    g.capacity.max = g.capacity.max.max(raise.capacity);
                    g.capacity.desired = g.capacity.desired.max(raise.capacity);
                }
            }
            if let Some(floor) = behaviour.alarm_floor {
                if g.runs("AlarmNotification") && g.capacity.desired < floor {
                    g.capacity.desired = floor.min(g.capacity.max);
                }
            }
        }
        let targets: Vec<(String, u32)> = self
            .scaling
            .targets
            .iter()
            .map(|(id, t)| (id.clone(), t.min))
            .collect();
        for (resource_id, min) in targets {
            let Some((cluster, service)) = super::scaling::ecs_service_of(&resource_id) else {
                continue;
            };
            let Some(key) = self.ecs.live_service_key(cluster, service) else {
                continue;
            };
            if let Some(s) = self.ecs.services.get_mut(&key) {
                if s.desired < min {
                    s.desired = min;
                }
            }
        }
    }

    /// The old web service's scalable target, when the topology gives it one.
    pub(crate) fn seed_old_service_scaling(&mut self) {
        let (Some(min), Some(cluster)) = (
            self.topology.old_side.old_service_min,
            self.topology.old_cluster.clone(),
        ) else {
            return;
        };
        let Some(service) = self
            .topology
            .old_services
            .iter()
            .find(|s| s.load_balanced_container.is_some())
            .map(|s| (s.name.clone(), s.desired))
        else {
            return;
        };
        self.scaling.targets.insert(
            format!("service/{cluster}/{}", service.0),
            super::scaling::ScalableTargetRec {
                min,
                max: service.1.max(min) * 2,
                tags: Default::default(),
                policies: Default::default(),
            },
        );
    }
}

/// The dimension pairs of an alarm, from `(name, value)` string pairs.
fn dims(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
        .collect()
}

impl World {
    /// The old side's CloudWatch alarms, as teams leave them: one on the old load balancer, one
    /// on the group, one per old ECS service, the alarm a target tracking policy of the group
    /// made (which goes with its policy), and an unrelated billing alarm.
    pub(crate) fn seed_old_alarms(&mut self, old_lb_arn: &str) {
        let t = self.topology.clone();
        let lb = migrate_engine::ports::load_balancer_dimension(old_lb_arn);
        let alarm = |name: String, namespace: &str, metric: &str, d: Vec<(String, String)>| {
            migrate_engine::ports::AlarmSpec {
                name,
                namespace: namespace.into(),
                metric_name: metric.into(),
                dimensions: d,
                statistic: "Sum".into(),
                comparison: "GreaterThanThreshold".into(),
                threshold: 10.0,
                period_secs: 60,
                evaluation_periods: 3,
                alarm_actions: Vec::new(),
                tags: Tags::new(),
            }
        };
        let mut alarms = vec![
            alarm(
                format!("{}-5xx", t.old_lb_name),
                "AWS/ApplicationELB",
                "HTTPCode_ELB_5XX_Count",
                dims(&[("LoadBalancer", &lb)]),
            ),
            alarm(
                format!("{}-cpu-high", t.asg_name),
                "AWS/EC2",
                "CPUUtilization",
                dims(&[("AutoScalingGroupName", &t.asg_name)]),
            ),
            alarm(
                format!("TargetTracking-{}-AlarmHigh-5f1c", t.asg_name),
                "AWS/EC2",
                "CPUUtilization",
                dims(&[("AutoScalingGroupName", &t.asg_name)]),
            ),
            alarm(
                "billing-estimated-charges".into(),
                "AWS/Billing",
                "EstimatedCharges",
                dims(&[("Currency", "USD")]),
            ),
        ];
        if let Some(cluster) = &t.old_cluster {
            for service in &t.old_services {
                alarms.push(alarm(
                    format!("{}-memory", service.name),
                    "AWS/ECS",
                    "MemoryUtilization",
                    dims(&[("ClusterName", cluster), ("ServiceName", &service.name)]),
                ));
            }
        }
        let policy_alarm = format!("TargetTracking-{}-AlarmHigh-5f1c", t.asg_name);
        self.cloudwatch.alarm_descriptions.insert(
            policy_alarm,
            "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy \
             arn:aws:autoscaling:policy/cpu50."
                .into(),
        );
        for a in alarms {
            self.cloudwatch.alarms.insert(a.name.clone(), a);
        }
    }
}
