//! The cost section: the old side's monthly cost against the new side's, and what the overlap
//! of the two costs, from a dated price table shipped with the project (`prices.json`).

use std::collections::BTreeMap;

use migrate_plan::Plan;
use serde::{Deserialize, Serialize};

use crate::ReportError;
use migrate_plan::Snapshot;

/// AWS's own calculators bill a month as 730 hours.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The price table shipped with the project.
pub const BUNDLED_PRICES: &str = include_str!("../prices.json");

/// On-demand prices for the common regions, with their date and source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    pub as_of: String,
    pub currency: String,
    #[serde(default)]
    pub note: String,
    pub sources: Vec<String>,
    pub regions: BTreeMap<String, RegionPrices>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    pub fargate_vcpu_hour: f64,
    pub fargate_gb_hour: f64,
    pub alb_hour: f64,
    pub alb_lcu_hour: f64,
    #[serde(default)]
    pub ec2: BTreeMap<String, InstancePrice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstancePrice {
    pub hour: f64,
    pub vcpu: u32,
    pub memory_gib: f64,
}

impl PriceTable {
    /// The table shipped with the project.
    pub fn bundled() -> Result<Self, ReportError> {
        Self::from_json(BUNDLED_PRICES, "the bundled prices.json")
    }

    /// Reads a table; `origin` names it in errors. Every price must be a finite, non-negative
    /// number, so that a typo cannot make a migration look free.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, ReportError> {
        let table: Self = serde_json::from_str(text).map_err(|e| ReportError::Prices {
            origin: origin.to_string(),
            problem: e.to_string(),
        })?;
        let bad = |what: String| ReportError::Prices {
            origin: origin.to_string(),
            problem: what,
        };
        if table.as_of.trim().is_empty() {
            return Err(bad(
                "`as_of` is empty: a price table must say when it was taken".into(),
            ));
        }
        for (region, prices) in &table.regions {
            let mut checks = vec![
                ("fargate_vcpu_hour".to_string(), prices.fargate_vcpu_hour),
                ("fargate_gb_hour".to_string(), prices.fargate_gb_hour),
                ("alb_hour".to_string(), prices.alb_hour),
                ("alb_lcu_hour".to_string(), prices.alb_lcu_hour),
            ];
            checks.extend(
                prices
                    .ec2
                    .iter()
                    .map(|(kind, p)| (format!("ec2.{kind}.hour"), p.hour)),
            );
            for (field, value) in checks {
                if !value.is_finite() || value < 0.0 {
                    return Err(bad(format!(
                        "regions.{region}.{field} is {value}; prices must be non-negative numbers"
                    )));
                }
            }
        }
        Ok(table)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSection {
    pub region: Option<String>,
    pub currency: String,
    pub prices_as_of: String,
    pub sources: Vec<String>,
    /// `None` when the table has no prices for the region.
    pub estimate: Option<CostEstimate>,
    /// Why there is no estimate, when there is none.
    pub missing: Option<String>,
    /// What the figures assume.
    pub assumptions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostEstimate {
    pub old_side: Vec<CostLine>,
    /// `None` when a line of the old side could not be priced (e.g. its instances are unknown).
    pub old_monthly: Option<f64>,
    pub new_side: Vec<CostLine>,
    pub new_monthly: f64,
    /// The overlap window: both sides run; the new side's cost is paid on top of the old one's.
    pub overlap_hours: Option<f64>,
    pub overlap_extra: Option<f64>,
    /// The old load balancer runs on after the migration until the clean-up, per day of soak.
    pub old_load_balancer_per_soak_day: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    pub item: String,
    pub quantity: String,
    /// `None` when it cannot be priced; `basis` says why.
    pub monthly: Option<f64>,
    pub basis: String,
}

/// One load balancer capacity unit per hour on average: an assumption, since LCUs follow the
/// traffic, which the plan does not know; it is the same on both sides, so it does not change the
/// difference.
const ASSUMED_LCU: f64 = 1.0;

pub(crate) fn estimate(
    plan: &Plan,
    prices: &PriceTable,
    snapshot: Option<&Snapshot>,
    overlap_secs: Option<f64>,
) -> CostSection {
    let region = plan.playbook.region.clone();
    let mut section = CostSection {
        region: region.clone(),
        currency: prices.currency.clone(),
        prices_as_of: prices.as_of.clone(),
        sources: prices.sources.clone(),
        estimate: None,
        missing: None,
        assumptions: Vec::new(),
    };
    let Some(region) = region else {
        section.missing =
            Some("the playbook names no region, so no regional prices apply; set `region:`".into());
        return section;
    };
    let Some(rates) = prices.regions.get(&region) else {
        section.missing = Some(format!(
            "the price table has no prices for {region} (it has {}); pass `--prices FILE` with them",
            prices.regions.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
        return section;
    };
    section.assumptions = vec![
        format!(
            "A month is {HOURS_PER_MONTH} hours of on-demand, Linux/x86 prices; no savings plans, \
             reserved instances or free tier."
        ),
        format!(
            "Load balancers average {ASSUMED_LCU} LCU per hour on either side (traffic is not known \
             to the plan); data transfer, NAT, logs and storage are left out."
        ),
        "Fargate tasks run the playbook's desired count all month (no auto scaling).".into(),
    ];

    let lb_monthly = (rates.alb_hour + ASSUMED_LCU * rates.alb_lcu_hour) * HOURS_PER_MONTH;
    let mut new_side: Vec<CostLine> = plan
        .playbook
        .target
        .services
        .iter()
        .map(|service| {
            let vcpu = f64::from(service.cpu) / 1024.0;
            let gb = f64::from(service.memory) / 1024.0;
            let tasks = f64::from(service.desired_count);
            let hourly = tasks * (vcpu * rates.fargate_vcpu_hour + gb * rates.fargate_gb_hour);
            CostLine {
                item: format!("Fargate service {}", service.name),
                quantity: format!("{} × {vcpu} vCPU / {gb} GB", service.desired_count),
                monthly: Some(hourly * HOURS_PER_MONTH),
                basis: format!(
                    "{} per vCPU-hour, {} per GB-hour",
                    rates.fargate_vcpu_hour, rates.fargate_gb_hour
                ),
            }
        })
        .collect();
    if plan.playbook.target.web().is_some() {
        new_side.push(CostLine {
            item: format!("Application load balancer {}", plan.names.load_balancer),
            quantity: "1".into(),
            monthly: Some(lb_monthly),
            basis: format!(
                "{} per hour + {ASSUMED_LCU} LCU × {} per LCU-hour",
                rates.alb_hour, rates.alb_lcu_hour
            ),
        });
    }
    let new_monthly: f64 = new_side.iter().filter_map(|l| l.monthly).sum();

    let mut old_side = vec![CostLine {
        item: format!(
            "Load balancer {}",
            plan.playbook
                .source
                .load_balancer
                .as_deref()
                .unwrap_or("(discovered)")
        ),
        quantity: "1".into(),
        monthly: Some(lb_monthly),
        basis: "assumed an Application Load Balancer, priced as the new one".into(),
    }];
    old_side.push(old_instances(snapshot, rates));
    let old_monthly = old_side.iter().map(|l| l.monthly).sum::<Option<f64>>();

    let overlap_hours = overlap_secs.map(|s| s / 3600.0);
    section.estimate = Some(CostEstimate {
        old_side,
        old_monthly,
        new_monthly,
        overlap_extra: overlap_hours.map(|h| h * new_monthly / HOURS_PER_MONTH),
        overlap_hours,
        new_side,
        old_load_balancer_per_soak_day: lb_monthly / HOURS_PER_MONTH * 24.0,
    });
    section
}

fn old_instances(snapshot: Option<&Snapshot>, rates: &RegionPrices) -> CostLine {
    let Some(snapshot) = snapshot else {
        return CostLine {
            item: "Old instances".into(),
            quantity: "unknown".into(),
            monthly: None,
            basis: "instance types and counts need the account snapshot (not read); the playbook \
                    does not name them"
                .into(),
        };
    };
    let mut monthly = Some(0.0);
    let mut unpriced = Vec::new();
    for group in &snapshot.instances {
        match rates.ec2.get(&group.instance_type) {
            Some(price) => {
                monthly = monthly.map(|m| m + f64::from(group.count) * price.hour * HOURS_PER_MONTH)
            }
            None => {
                unpriced.push(group.instance_type.clone());
                monthly = None;
            }
        }
    }
    let quantity = snapshot
        .instances
        .iter()
        .map(|g| format!("{} × {}", g.count, g.instance_type))
        .collect::<Vec<_>>()
        .join(", ");
    CostLine {
        item: "Old instances".into(),
        quantity: if quantity.is_empty() {
            "none".into()
        } else {
            quantity
        },
        monthly,
        basis: if unpriced.is_empty() {
            "on-demand price per instance type".into()
        } else {
            format!(
                "no price for {} in the table; pass `--prices FILE` with it",
                unpriced.join(", ")
            )
        },
    }
}
