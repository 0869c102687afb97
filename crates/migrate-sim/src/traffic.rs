//! Live traffic: a population of clients that resolve the application's name through their own
//! resolver caches and send requests through whichever load balancer they were told about.
//!
//! A request fails when the name does not resolve, the load balancer is gone or not yet active,
//! it has no target to send to (an ALB with registered targets that are all unhealthy *fails
//! open* and sends to all of them; with none registered it answers 503), the chosen target does
//! not answer, or the target dies while the request is in flight.

use migrate_engine::ports::TargetState;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::clock::Millis;
use crate::dns_cache::{Answer, DnsCache};
use crate::faults::{FaultProfile, Span};
use crate::world::elb::Backend;
use crate::world::route53::normalise;
use crate::world::World;

/// The size and pace of the client population.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrafficConfig {
    pub clients: u32,
    /// Each client sends one request per interval.
    pub interval_ms: Millis,
    /// How long a request takes to serve.
    pub request_time: Span,
}

impl TrafficConfig {
    /// No clients at all: the account serves nobody, and CloudWatch counts no requests. For the
    /// engine's tests, which judge what the engine did to the account, not what users saw.
    pub fn none() -> Self {
        Self {
            clients: 0,
            ..Self::default()
        }
    }
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self {
            clients: 40,
            interval_ms: 2000,
            request_time: Span::ms(30, 600),
        }
    }
}

/// Which side of the migration served (or failed) a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PathKind {
    Old,
    New,
    /// The name did not resolve to a known load balancer.
    Nowhere,
}

/// Served and failed requests on one path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PathCounts {
    pub served: u64,
    pub failed: u64,
}

/// One failed request, kept for the report (the first few only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedRequest {
    pub at_ms: Millis,
    pub client: u32,
    pub path: PathKind,
    pub load_balancer: String,
    pub reason: String,
}

/// What the clients saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrafficReport {
    pub old: PathCounts,
    pub new: PathCounts,
    pub nowhere: PathCounts,
    /// The first failures, oldest first.
    pub first_failures: Vec<FailedRequest>,
    /// When the old load balancer last received a request.
    pub last_old_request_ms: Option<Millis>,
    /// When the new path first served a request.
    pub first_new_request_ms: Option<Millis>,
    /// When the last request failed.
    pub last_failure_ms: Option<Millis>,
}

impl TrafficReport {
    pub fn served(&self) -> u64 {
        self.old.served + self.new.served + self.nowhere.served
    }
    pub fn failed(&self) -> u64 {
        self.old.failed + self.new.failed + self.nowhere.failed
    }
    /// `Err` naming how many requests failed and the first failure, when any did: the check
    /// every property of "no failed request" makes.
    pub fn none_failed(&self) -> Result<(), String> {
        if self.failed() > 0 {
            return Err(format!(
                "{} requests failed; first: {:?}",
                self.failed(),
                self.first_failures.first()
            ));
        }
        Ok(())
    }
    fn counts(&mut self, path: PathKind) -> &mut PathCounts {
        match path {
            PathKind::Old => &mut self.old,
            PathKind::New => &mut self.new,
            PathKind::Nowhere => &mut self.nowhere,
        }
    }
}

/// How a client reaches the application's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolves {
    /// Over IPv4, through the public zone: the `A` (or `CNAME`) record.
    PublicIpv4,
    /// A dual-stack client prefers IPv6: the `AAAA` record when the name has one, else the `A`
    /// record (happy eyeballs falls back to IPv4 when there is no `AAAA` answer).
    PublicIpv6,
    /// Inside the VPC, whose resolver answers from the private zone of the same name, never
    /// from the public one (a name missing there does not resolve).
    PrivateZone,
}

#[derive(Debug, Clone)]
pub(crate) struct Client {
    id: u32,
    next_at: Millis,
    cache: DnsCache,
    resolves: Resolves,
}

#[derive(Debug, Clone)]
struct InFlight {
    client: u32,
    ends_at: Millis,
    path: PathKind,
    lb: String,
    backend: Backend,
}

#[derive(Debug, Clone)]
pub(crate) struct Traffic {
    config: TrafficConfig,
    clients: Vec<Client>,
    durations: Vec<Millis>,
    in_flight: Vec<InFlight>,
    pub report: TrafficReport,
    /// What each (load balancer name, target group) received in the current tick.
    tick_counts: std::collections::BTreeMap<(String, String), TickCounts>,
    /// Requests the new side's targets received per tick, averaged over about half a minute:
    /// the load that the new side's faults under load depend on.
    pub(crate) new_side_per_tick: f64,
    /// Requests the new side's targets received in the current tick.
    new_side_this_tick: u32,
    /// The new side's healthy tasks at the end of the last tick.
    new_side_tasks: usize,
    /// Stops the clients (after a test is over) without losing the counts.
    pub paused: bool,
}

/// One tick's requests through one load balancer to one target group.
#[derive(Debug, Clone, Copy, Default)]
struct TickCounts {
    requests: u32,
    target_5xx: u32,
    elb_5xx: u32,
    /// The sum of the answered requests' response times.
    response_ms: u64,
}

/// What a request that reached a target met there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtTarget {
    /// Answered; the time it took.
    Served(Millis),
    /// The target did not answer (the load balancer's 502).
    NoAnswer,
    /// The application answered 500 after the time it took: the new side failing under load.
    Overloaded(Millis),
}

const KEEP_FAILURES: usize = 20;

/// The clients of the other names (IPv6, inside the VPC) call periodically, as batch jobs and
/// service-to-service callers do: for the first minute of every six. Their pause is longer than
/// a drain's zero-traffic window, which is how a name left on the old side loses their requests
/// at the scale-down instead of keeping the drain from ending.
const PERIODIC_CYCLE_MS: Millis = 6 * 60_000;
const PERIODIC_ACTIVE_MS: Millis = 60_000;

impl Traffic {
    pub(crate) fn new(
        config: &TrafficConfig,
        profile: &FaultProfile,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let clients = (0..config.clients)
            .map(|id| {
                let sticky = rng.gen_bool(profile.sticky_clients.clamp(0.0, 1.0));
                Client {
                    id,
                    next_at: rng.gen_range(0..config.interval_ms.max(1)),
                    cache: if sticky {
                        DnsCache::ignoring_ttl(profile.sticky_hold_ms)
                    } else {
                        DnsCache::default()
                    },
                    resolves: Resolves::PublicIpv4,
                }
            })
            .collect();
        // Request durations are drawn once, so that traffic does not consume the world's draws.
        let durations = (0..997)
            .map(|_| {
                rng.gen_range(
                    config.request_time.min_ms
                        ..=config.request_time.max_ms.max(config.request_time.min_ms),
                )
            })
            .collect();
        Self {
            config: config.clone(),
            clients,
            durations,
            in_flight: Vec::new(),
            report: TrafficReport::default(),
            tick_counts: std::collections::BTreeMap::new(),
            new_side_per_tick: 0.0,
            new_side_this_tick: 0,
            new_side_tasks: 0,
            paused: false,
        }
    }
}

impl Traffic {
    /// Gives every third client to IPv6 when the name has an `AAAA` record, and every fifth
    /// (of the rest) to the private zone when there is one, by client id, so that the
    /// populations are the same for every seed. Draws nothing from the world's generator.
    pub(crate) fn split_clients(&mut self, ipv6: bool, private_zone: bool) {
        for client in &mut self.clients {
            client.resolves = if ipv6 && client.id % 3 == 1 {
                Resolves::PublicIpv6
            } else if private_zone && client.id % 5 == 2 {
                Resolves::PrivateZone
            } else {
                Resolves::PublicIpv4
            };
        }
    }
}

/// Where routing a request ended.
enum Route {
    Target {
        lb: String,
        /// The target group the request went to: its side decides the path (the old load
        /// balancer forwards to the new side during a listener ramp).
        tg: String,
        path: PathKind,
        backend: Backend,
        serving: bool,
    },
    Failed {
        lb: String,
        path: PathKind,
        reason: &'static str,
        elb_5xx: bool,
        /// The target group the request reached before failing, when it got that far.
        tg: Option<String>,
    },
    /// The load balancer answered itself (a redirect, a fixed response, a sign-in page) as the
    /// old one does.
    Answered { lb: String, path: PathKind },
}

impl World {
    /// Resolves the FQDN as resolver `client` sees its zone at `now`: the public zone, or, for
    /// a client inside the VPC, the private zone of the same name
    /// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-considerations.html).
    fn resolve(&self, client: u32, resolves: Resolves, now: Millis) -> (Answer, u32) {
        let fqdn = normalise(&self.topology.fqdn);
        let zone_id = match (resolves, &self.topology.private_zone_id) {
            (Resolves::PrivateZone, Some(private)) => private,
            _ => &self.topology.zone_id,
        };
        let Some(zone) = self.route53.zones.get(zone_id) else {
            return (Answer::NxDomain, 60);
        };
        let records = zone.visible_to(u64::from(client), now);
        let of_types = |types: &[&str]| -> Vec<_> {
            records
                .iter()
                .filter(|((name, ty, _), _)| *name == fqdn && types.contains(&ty.as_str()))
                .map(|(_, r)| r)
                .collect()
        };
        let mut candidates = Vec::new();
        if resolves == Resolves::PublicIpv6 {
            candidates = of_types(&["AAAA", "CNAME"]);
        }
        if candidates.is_empty() {
            candidates = of_types(&["A", "CNAME"]);
        }
        if candidates.is_empty() {
            return (Answer::NxDomain, 60);
        }
        // Weighted records: a resolver picks one in proportion to the weights.
        let total: u32 = candidates
            .iter()
            .map(|r| u32::from(r.weight.unwrap_or(1)))
            .sum();
        let record = if candidates.len() == 1 || total == 0 {
            candidates[0]
        } else {
            let u = crate::world::ids::stable_unit(u64::from(client), now / 1000, 0x77);
            let mut point = (u * f64::from(total)) as u32;
            let mut chosen = candidates[0];
            for r in &candidates {
                let w = u32::from(r.weight.unwrap_or(1));
                if point < w {
                    chosen = r;
                    break;
                }
                point -= w;
            }
            chosen
        };
        let (target, ttl) = match (&record.alias, record.values.first()) {
            (Some(alias), _) => (alias.dns_name.clone(), 60),
            (None, Some(value)) => (value.clone(), record.ttl.unwrap_or(300)),
            (None, None) => return (Answer::NxDomain, 60),
        };
        let mut target = normalise(&target);
        if let Some(rest) = target.strip_prefix("dualstack.") {
            target = rest.to_string();
        }
        (Answer::LoadBalancer(target), ttl)
    }

    fn route(&mut self, answer: &Answer, now: Millis, client: u32) -> Route {
        let Answer::LoadBalancer(dns) = answer else {
            return Route::Failed {
                lb: String::new(),
                path: PathKind::Nowhere,
                reason: "name did not resolve",
                elb_5xx: false,
                tg: None,
            };
        };
        let Some(lb) = self
            .elb
            .load_balancers
            .values()
            .find(|l| l.dns_name == *dns)
        else {
            return Route::Failed {
                lb: dns.clone(),
                path: PathKind::Nowhere,
                reason: "no load balancer at the resolved name",
                elb_5xx: false,
                tg: None,
            };
        };
        let path = if lb.old_side {
            PathKind::Old
        } else {
            PathKind::New
        };
        let lb_name = lb.name.clone();
        if lb.deleted {
            return Route::Failed {
                lb: lb_name,
                path,
                reason: "load balancer deleted",
                elb_5xx: false,
                tg: None,
            };
        }
        if now < lb.active_at {
            return Route::Failed {
                lb: lb_name,
                path,
                reason: "load balancer still provisioning",
                elb_5xx: false,
                tg: None,
            };
        }
        // A client reaches the load balancer only on a port its security groups admit clients
        // on; otherwise its connection times out.
        let port = match &self.topology.old_front_end {
            Some(front_end) if !front_end.requests.is_empty() => {
                front_end.requests[client as usize % front_end.requests.len()].port()
            }
            _ => self.elb.front_port_of(&lb.arn).unwrap_or(80),
        };
        if !self.ec2.admits_clients(&lb.security_groups, port) {
            return Route::Failed {
                lb: lb_name,
                path,
                reason: "connection timed out: the load balancer's security groups admit no client on the port",
                elb_5xx: false,
                tg: None,
            };
        }
        // Where a forward is weighted, each request falls to one group by its own draw.
        let pick = crate::world::ids::stable_unit(u64::from(client), now, 0x3a11);
        let front_tg = match &self.topology.old_front_end {
            Some(front_end) => match self.elb.front_end_route(front_end, &lb.arn, client, pick) {
                Ok(Some(tg)) => Some(tg),
                Ok(None) => return Route::Answered { lb: lb_name, path },
                Err(reason) => {
                    return Route::Failed {
                        lb: lb_name,
                        path,
                        reason,
                        elb_5xx: false,
                        tg: None,
                    }
                }
            },
            None => self.elb.forward_of(&lb.arn, pick),
        };
        let Some(tg_arn) = front_tg else {
            return Route::Failed {
                lb: lb_name,
                path,
                reason: "no listener",
                elb_5xx: false,
                tg: None,
            };
        };
        let Some(tg) = self.elb.target_groups.get_mut(&tg_arn) else {
            return Route::Failed {
                lb: lb_name,
                path,
                reason: "503: target group gone",
                elb_5xx: true,
                tg: None,
            };
        };
        let registered: Vec<&crate::world::elb::TargetRec> = tg
            .targets
            .values()
            .filter(|t| t.draining_until.is_none())
            .collect();
        let healthy: Vec<&crate::world::elb::TargetRec> = registered
            .iter()
            .copied()
            .filter(|t| t.state == TargetState::Healthy)
            .collect();
        // Fail-open: with no healthy target the ALB sends to every registered one.
        let pool = if healthy.is_empty() {
            registered
        } else {
            healthy
        };
        if pool.is_empty() {
            return Route::Failed {
                lb: lb_name,
                path,
                reason: "503: no registered targets",
                elb_5xx: true,
                tg: Some(tg_arn.clone()),
            };
        }
        let chosen = pool[tg.cursor % pool.len()];
        // A client request reaches the application's own paths, which fail without AWS
        // credentials; only the health check spares them.
        let (backend, serving) = (
            chosen.backend.clone(),
            chosen.serving && !chosen.without_credentials && !chosen.without_connection,
        );
        tg.cursor = tg.cursor.wrapping_add(1);
        let path = if tg.new_side { PathKind::New } else { path };
        Route::Target {
            lb: lb_name,
            tg: tg_arn,
            path,
            backend,
            serving,
        }
    }

    /// Sends the requests clients start in `[from, to)`.
    pub(crate) fn dispatch_traffic(&mut self, from: Millis, to: Millis) {
        if self.traffic.paused {
            return;
        }
        let interval = self.traffic.config.interval_ms.max(1);
        for i in 0..self.traffic.clients.len() {
            loop {
                let client = &self.traffic.clients[i];
                let at = client.next_at;
                if at >= to {
                    break;
                }
                let id = client.id;
                let resolves = client.resolves;
                if resolves != Resolves::PublicIpv4 && at % PERIODIC_CYCLE_MS >= PERIODIC_ACTIVE_MS
                {
                    let next_cycle = at - at % PERIODIC_CYCLE_MS + PERIODIC_CYCLE_MS;
                    self.traffic.clients[i].next_at = next_cycle + u64::from(id) * 97 % interval;
                    continue;
                }
                let cached = client.cache.get(at).cloned();
                self.traffic.clients[i].next_at = at.max(from) + interval;
                let answer = match cached {
                    Some(a) => a,
                    None => {
                        let (a, ttl) = self.resolve(id, resolves, at);
                        self.traffic.clients[i].cache.put(a.clone(), ttl, at);
                        a
                    }
                };
                let route = self.route(&answer, at, id);
                let duration = self.traffic.durations
                    [(at / 7 + u64::from(id)) as usize % self.traffic.durations.len()];
                match route {
                    Route::Target {
                        lb,
                        tg,
                        path,
                        backend,
                        serving,
                    } => {
                        let at_target = if serving {
                            self.at_target(&tg, at, id, duration)
                        } else {
                            AtTarget::NoAnswer
                        };
                        self.count_request(&lb, Some(&tg), at, Some(at_target), false);
                        match at_target {
                            AtTarget::Served(took) => self.traffic.in_flight.push(InFlight {
                                client: id,
                                ends_at: at + took,
                                path,
                                lb,
                                backend,
                            }),
                            AtTarget::NoAnswer => {
                                self.fail(at, id, path, &lb, "502: target did not answer");
                            }
                            AtTarget::Overloaded(_) => {
                                self.fail(at, id, path, &lb, "500: the new side failed under load");
                            }
                        }
                    }
                    Route::Answered { lb, path } => {
                        self.count_request(&lb, None, at, None, false);
                        self.traffic.report.counts(path).served += 1;
                    }
                    Route::Failed {
                        lb,
                        path,
                        reason,
                        elb_5xx,
                        tg,
                    } => {
                        if path != PathKind::Nowhere {
                            self.count_request(&lb, tg.as_deref(), at, None, elb_5xx);
                        }
                        self.fail(at, id, path, &lb, reason);
                    }
                }
            }
        }
    }

    /// What a request met at a serving target of `tg_arn`: on the new side, under the fault
    /// profile's `new_side_capacity_rpm`, a share of the requests beyond what its tasks serve
    /// fails with 500, and the rest are slowed by the same overload (a pool or a CPU saturated).
    fn at_target(&mut self, tg_arn: &str, at: Millis, client: u32, duration: Millis) -> AtTarget {
        let new_side = self
            .elb
            .target_groups
            .get(tg_arn)
            .is_some_and(|tg| tg.new_side);
        if !new_side {
            return AtTarget::Served(duration);
        }
        self.traffic.new_side_this_tick += 1;
        let Some(capacity) = self.profile.new_side_capacity_rpm else {
            return AtTarget::Served(duration);
        };
        let tasks = self.traffic.new_side_tasks.max(1) as f64;
        let load = self.traffic.new_side_per_tick * 60.0 / tasks;
        let capacity = f64::from(capacity.max(1));
        if load <= capacity {
            return AtTarget::Served(duration);
        }
        let slowed = (duration as f64 * (load / capacity).min(10.0)) as Millis;
        let failing = 1.0 - capacity / load;
        if crate::world::ids::stable_unit(u64::from(client), at, 0x5e7f) < failing {
            return AtTarget::Overloaded(slowed);
        }
        AtTarget::Served(slowed)
    }

    /// The new side's tasks that take requests: healthy targets of its target groups.
    fn new_side_tasks(&self) -> usize {
        // A web task is registered in the new and the bridge target group: counted once.
        let mut tasks: Vec<&Backend> = Vec::new();
        for tg in self.elb.target_groups.values().filter(|tg| tg.new_side) {
            for t in tg.targets.values() {
                if t.draining_until.is_none()
                    && t.state == TargetState::Healthy
                    && !tasks.contains(&&t.backend)
                {
                    tasks.push(&t.backend);
                }
            }
        }
        tasks.len()
    }

    /// Folds the tick's new-side requests into the load average (about thirty seconds), and
    /// counts the tasks that share the next tick's load.
    pub(crate) fn average_new_side_load(&mut self) {
        let this_tick = f64::from(std::mem::take(&mut self.traffic.new_side_this_tick));
        self.traffic.new_side_per_tick += (this_tick - self.traffic.new_side_per_tick) / 30.0;
        if self.profile.new_side_capacity_rpm.is_some() {
            self.traffic.new_side_tasks = self.new_side_tasks();
        }
    }

    fn count_request(
        &mut self,
        lb_name: &str,
        tg_arn: Option<&str>,
        at: Millis,
        at_target: Option<AtTarget>,
        elb_5xx: bool,
    ) {
        let Some(lb) = self.elb.live_lb_by_name(lb_name) else {
            return;
        };
        let answered = matches!(at_target, None | Some(AtTarget::Served(_)));
        let old_group = tg_arn
            .and_then(|arn| self.elb.target_groups.get(arn))
            .is_none_or(|tg| !tg.new_side);
        if lb.old_side && old_group {
            self.traffic.report.last_old_request_ms = Some(at);
        } else if self.traffic.report.first_new_request_ms.is_none() && answered && !elb_5xx {
            self.traffic.report.first_new_request_ms = Some(at);
        }
        // Counted per tick and published once per tick (see `flush_request_metrics`): building
        // CloudWatch keys per request would dominate the simulation's cost.
        let counts = self
            .traffic
            .tick_counts
            .entry((lb_name.to_string(), tg_arn.unwrap_or_default().to_string()))
            .or_default();
        counts.requests += 1;
        counts.target_5xx += u32::from(!answered);
        counts.elb_5xx += u32::from(elb_5xx);
        // A target's own 500 is an answer too, and counts in TargetResponseTime; a target that
        // did not answer has no response time.
        if let Some(AtTarget::Served(took) | AtTarget::Overloaded(took)) = at_target {
            counts.response_ms += took;
        }
    }

    /// Publishes the tick's request counts as CloudWatch data points at `at`: per load balancer,
    /// and per load balancer and target group for the requests a target group received
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>).
    pub(crate) fn flush_request_metrics(&mut self, at: Millis) {
        let counts = std::mem::take(&mut self.traffic.tick_counts);
        let mut per_lb: std::collections::BTreeMap<String, TickCounts> = Default::default();
        for ((lb_name, tg_arn), tick) in counts {
            let sum = per_lb.entry(lb_name.clone()).or_default();
            sum.requests += tick.requests;
            sum.target_5xx += tick.target_5xx;
            sum.elb_5xx += tick.elb_5xx;
            sum.response_ms += tick.response_ms;
            let Some(lb) = self.elb.live_lb_by_name(&lb_name) else {
                continue;
            };
            let Some(tg) = self.elb.target_groups.get(&tg_arn) else {
                continue;
            };
            let tg_dims = vec![
                ("LoadBalancer".to_string(), lb.metric_dimension()),
                ("TargetGroup".to_string(), tg.metric_dimension()),
            ];
            self.publish_tick(&tg_dims, at, &tick, false);
        }
        for (lb_name, tick) in per_lb {
            let Some(lb) = self.elb.live_lb_by_name(&lb_name) else {
                continue;
            };
            let dims = vec![("LoadBalancer".to_string(), lb.metric_dimension())];
            self.publish_tick(&dims, at, &tick, true);
        }
    }

    /// One tick's counts as data points of `dims`. `TargetResponseTime` is kept as a sum of
    /// seconds beside `RequestCount`; its `Average` divides the two
    /// (`crate::metrics::CloudWatch::points`). `HTTPCode_ELB_5XX_Count` has the load balancer
    /// dimension only.
    fn publish_tick(
        &mut self,
        dims: &[(String, String)],
        at: Millis,
        tick: &TickCounts,
        lb_only: bool,
    ) {
        let ns = "AWS/ApplicationELB";
        let cw = &mut self.cloudwatch;
        cw.add(ns, "RequestCount", dims, at, f64::from(tick.requests));
        if tick.response_ms > 0 {
            cw.add(
                ns,
                "TargetResponseTime",
                dims,
                at,
                tick.response_ms as f64 / 1000.0,
            );
        }
        if tick.target_5xx > 0 {
            cw.add(
                ns,
                "HTTPCode_Target_5XX_Count",
                dims,
                at,
                f64::from(tick.target_5xx),
            );
        }
        if lb_only && tick.elb_5xx > 0 {
            cw.add(
                ns,
                "HTTPCode_ELB_5XX_Count",
                dims,
                at,
                f64::from(tick.elb_5xx),
            );
        }
    }

    fn fail(&mut self, at: Millis, client: u32, path: PathKind, lb: &str, reason: &str) {
        let report = &mut self.traffic.report;
        report.counts(path).failed += 1;
        report.last_failure_ms = Some(at);
        if report.first_failures.len() < KEEP_FAILURES {
            report.first_failures.push(FailedRequest {
                at_ms: at,
                client,
                path,
                load_balancer: lb.to_string(),
                reason: reason.to_string(),
            });
        }
    }

    /// Ends the requests in flight: those whose task or instance died at `at` before they
    /// finished fail, the rest are served.
    pub(crate) fn settle_traffic(&mut self, at: Millis, killed: &[String]) {
        let in_flight = std::mem::take(&mut self.traffic.in_flight);
        for r in in_flight {
            let died = match &r.backend {
                Backend::Task(id) => killed.iter().any(|k| k == id),
                Backend::Instance(id) => killed
                    .iter()
                    .any(|k| k.strip_prefix("instance:") == Some(id.as_str())),
            };
            if died && r.ends_at > at {
                self.fail(
                    at,
                    r.client,
                    r.path,
                    &r.lb,
                    "target stopped mid-request without draining",
                );
            } else {
                self.traffic.report.counts(r.path).served += 1;
            }
        }
    }
}
