//! The review report of the demo playbook, as a reviewer reads it (Markdown) and as a tool reads
//! it (JSON), offline and with a fixed rehearsal.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use migrate_report::{
    build, render_json, render_markdown, render_text, Basis, Existing, Inputs, InstanceGroup,
    PriceTable, Severity, Snapshot, TimelineSection,
};

fn offline_report() -> migrate_report::Report {
    let plan = common::demo_plan();
    let prices = PriceTable::bundled().unwrap();
    let timeline = common::fixed_timeline(&plan);
    let mut report = build(
        &plan,
        &Inputs {
            prices: &prices,
            timeline: Some(&timeline),
            snapshot: None,
            not_read_because: None,
        },
    );
    report.set_gantt_file("shop.timeline.svg");
    report
}

#[test]
fn the_demo_report_in_markdown() {
    insta::assert_snapshot!(render_markdown(&offline_report()));
}

#[test]
fn the_demo_report_in_json() {
    let json = render_json(&offline_report()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["format_version"], 1);
    insta::assert_json_snapshot!(value);
}

#[test]
fn the_json_reads_back_as_the_same_report() {
    let report = offline_report();
    let back: migrate_report::Report =
        serde_json::from_str(&render_json(&report).unwrap()).unwrap();
    assert_eq!(back, report);
}

#[test]
fn the_offline_report_says_the_account_was_not_read() {
    let report = offline_report();
    assert!(matches!(report.existing, Existing::NotRead { .. }));
    let markdown = render_markdown(&report);
    assert!(markdown.contains("**Not read.**"), "{markdown}");
    assert!(render_text(&report).contains("Not read."));
    // Every risk that only the account can settle says so.
    for id in ["records-not-moved", "listener-behaviour", "capacity"] {
        let risk = report.risks.iter().find(|r| r.id == id).unwrap();
        assert_eq!(risk.basis, Basis::NeedsSnapshot, "{id}");
    }
    // The old side's instances are unknown offline, so its monthly total is too.
    let estimate = report.cost.estimate.as_ref().unwrap();
    assert_eq!(estimate.old_monthly, None);
}

#[test]
fn the_summary_counts_the_plan_and_names_no_point_of_no_return() {
    let report = offline_report();
    let plan = common::demo_plan();
    let creates = plan
        .steps
        .iter()
        .flat_map(|s| &s.changes)
        .filter(|c| c.kind == migrate_plan::ChangeKind::Create)
        .count();
    assert_eq!(report.summary.to_create, creates);
    assert!(report
        .summary_line()
        .ends_with("0 to delete; point of no return: none in this plan"));
    // The rollback runs every mutating step's compensation, newest first.
    assert_eq!(report.rollback.first().unwrap().step, "create-alarms");
    assert_eq!(report.rollback.last().unwrap().step, "create-cluster");
    assert!(!report.rollback.iter().any(|c| c.step == "drain"));
}

#[test]
fn every_ingress_rule_is_listed_with_its_groups_and_port() {
    let report = offline_report();
    let rules = &report.security.ingress_added;
    assert_eq!(rules.len(), 3, "{rules:#?}");
    let database = rules
        .iter()
        .find(|r| r.to_group == "sg-0a1b2c3d4e5f6bbbb")
        .unwrap();
    assert_eq!(database.port, 3306);
    assert!(database.from_group.starts_with("shop-fargate-svc-"));
    assert!(database.least_privilege);
}

#[test]
fn a_data_store_rule_on_an_unusual_port_is_flagged() {
    let mut plan = common::demo_plan();
    plan.playbook.network.data_stores[0].port = 6380;
    let prices = PriceTable::bundled().unwrap();
    let report = build(
        &plan,
        &Inputs {
            prices: &prices,
            timeline: None,
            snapshot: None,
            not_read_because: None,
        },
    );
    let redis = report
        .security
        .ingress_added
        .iter()
        .find(|r| r.port == 6380)
        .unwrap();
    assert!(!redis.least_privilege);
    assert!(redis.findings[0].contains("6379"), "{:?}", redis.findings);
    assert!(matches!(
        report.timeline,
        TimelineSection::NotRehearsed { .. }
    ));
}

#[test]
fn plaintext_secrets_are_named_but_their_values_never_shown() {
    let mut plan = common::demo_plan();
    let service = &mut plan.playbook.target.services[0];
    service.task_definition["containerDefinitions"][0]["environment"] = serde_json::json!([
        {"name": "STRIPE_API_KEY", "value": "sk_live_hunter2"},
        {"name": "CACHE_URL", "value": "redis://cache:6379"},
        {"name": "DATABASE_URL", "value": "mysql://shop:letmein@db:3306/shop"}
    ]);
    let prices = PriceTable::bundled().unwrap();
    let report = build(
        &plan,
        &Inputs {
            prices: &prices,
            timeline: None,
            snapshot: None,
            not_read_because: None,
        },
    );
    let risk = report
        .risks
        .iter()
        .find(|r| r.id == "plaintext-secrets")
        .unwrap();
    assert_eq!(risk.severity, Severity::High);
    assert!(risk.detail.contains("STRIPE_API_KEY"));
    // A URL with a password in it counts; one without does not.
    assert!(risk.detail.contains("DATABASE_URL"));
    assert!(!risk.detail.contains("CACHE_URL"));
    let everything = format!(
        "{}{}{}",
        render_markdown(&report),
        render_text(&report),
        render_json(&report).unwrap()
    );
    assert!(!everything.contains("hunter2") && !everything.contains("letmein"));
    // The demo itself keeps its password in `secrets`, so it has no such risk.
    assert!(!offline_report()
        .risks
        .iter()
        .any(|r| r.id == "plaintext-secrets"));
}

#[test]
fn a_snapshot_fills_what_exists_and_settles_the_risks_it_can() {
    let plan = common::demo_plan();
    let prices = PriceTable::bundled().unwrap();
    let snapshot = Snapshot {
        read_at: "2026-11-24T05:00:00Z".into(),
        instances: vec![InstanceGroup {
            instance_type: "m5.xlarge".into(),
            count: 3,
            vcpus: None,
            memory_mib: None,
        }],
        record_ttl_secs: Some(86_400),
        old_https_listener: Some(true),
        availability_zones: Some(vec!["ap-northeast-1a".into(), "ap-northeast-1c".into()]),
        other_records_to_old_side: Some(vec!["www.example.com".into()]),
        ..Snapshot::default()
    };
    let report = build(
        &plan,
        &Inputs {
            prices: &prices,
            timeline: None,
            snapshot: Some(&snapshot),
            not_read_because: None,
        },
    );
    let risk = |id: &str| report.risks.iter().find(|r| r.id == id);
    // 3 × m5.xlarge is 12 vCPU; the new side reserves 2 × 0.5 + 0.25.
    assert_eq!(risk("capacity").unwrap().basis, Basis::Snapshot);
    assert_eq!(risk("dns-ttl").unwrap().severity, Severity::High);
    assert_eq!(risk("records-not-moved").unwrap().severity, Severity::High);
    assert!(risk("no-https").is_none());
    assert!(risk("single-az").is_none());
    // Risks come most severe first.
    assert!(report
        .risks
        .windows(2)
        .all(|w| w[0].severity <= w[1].severity));
    let estimate = report.cost.estimate.as_ref().unwrap();
    // 3 × 0.248 $/h × 730 h for the instances, plus the old load balancer.
    let instances = 3.0 * 0.248 * 730.0;
    let lb = (0.0243 + 0.008) * 730.0;
    assert!((estimate.old_monthly.unwrap() - (instances + lb)).abs() < 1e-6);
    assert!(render_markdown(&report).contains("| Old instances | 3 × m5.xlarge |"));
}

#[test]
fn the_new_side_is_priced_from_the_table() {
    let report = offline_report();
    let estimate = report.cost.estimate.as_ref().unwrap();
    // ap-northeast-1: web 2 × (0.5 vCPU, 1 GB), worker 1 × (0.25 vCPU, 0.5 GB), one ALB at 1 LCU.
    let fargate = 2.0 * (0.5 * 0.05056 + 1.0 * 0.00553) + (0.25 * 0.05056 + 0.5 * 0.00553);
    let expected = (fargate + 0.0243 + 0.008) * 730.0;
    assert!(
        (estimate.new_monthly - expected).abs() < 1e-6,
        "{} against {expected}",
        estimate.new_monthly
    );
    // The overlap is priced at the new side's hourly rate.
    let hours = estimate.overlap_hours.unwrap();
    assert!(hours > 0.0);
    assert!((estimate.overlap_extra.unwrap() - hours * expected / 730.0).abs() < 1e-9);
}

#[test]
fn a_region_without_prices_says_so_instead_of_guessing() {
    let mut plan = common::demo_plan();
    plan.playbook.region = Some("af-south-1".into());
    let prices = PriceTable::bundled().unwrap();
    let report = build(
        &plan,
        &Inputs {
            prices: &prices,
            timeline: None,
            snapshot: None,
            not_read_because: None,
        },
    );
    assert!(report.cost.estimate.is_none());
    assert!(report
        .cost
        .missing
        .as_deref()
        .unwrap()
        .contains("no prices for af-south-1"));
}

#[test]
fn a_bad_price_table_is_refused_with_the_reason() {
    let error = PriceTable::from_json("{\"as_of\": \"\"}", "mine.json").unwrap_err();
    assert!(error.to_string().contains("mine.json"), "{error}");
    let negative =
        migrate_report::BUNDLED_PRICES.replace("\"alb_hour\": 0.0225", "\"alb_hour\": -1");
    let error = PriceTable::from_json(&negative, "mine.json").unwrap_err();
    assert!(error.to_string().contains("alb_hour"), "{error}");
    let undated =
        migrate_report::BUNDLED_PRICES.replace("\"as_of\": \"2026-11-24\"", "\"as_of\": \" \"");
    assert!(PriceTable::from_json(&undated, "x").is_err());
}

#[test]
fn the_markdown_has_no_raw_html() {
    let markdown = render_markdown(&offline_report());
    // Every `<` is escaped; GitHub would otherwise treat `<word` as the start of a tag.
    assert!(!markdown.contains('<'), "{markdown}");
    for heading in [
        "## What exists now",
        "## Changes",
        "## Security changes",
        "## Risks",
        "## Timeline",
        "## Cost",
        "## Rollback plan",
    ] {
        assert!(markdown.contains(heading), "{heading}");
    }
    // Every table row has as many cells as its header.
    let mut columns = None;
    for line in markdown.lines() {
        if line.starts_with('|') {
            let cells = line.replace("\\|", "").matches('|').count();
            match columns {
                None => columns = Some(cells),
                Some(n) => assert_eq!(n, cells, "{line}"),
            }
        } else {
            columns = None;
        }
    }
}

#[test]
fn acknowledged_parts_of_the_old_load_balancer_are_a_high_risk_naming_them() {
    let mut plan = common::demo_plan();
    let prices = PriceTable::bundled().unwrap();
    let inputs = Inputs {
        prices: &prices,
        timeline: None,
        snapshot: None,
        not_read_because: None,
    };
    let without = build(&plan, &inputs);
    assert!(without
        .risks
        .iter()
        .all(|r| r.id != "listener-behaviour-left-out"));
    plan.playbook.target.load_balancer.acknowledge =
        vec!["HTTPS:443 rule 10".into(), "HTTP:80 default".into()];
    let with = build(&plan, &inputs);
    let risk = with
        .risks
        .iter()
        .find(|r| r.id == "listener-behaviour-left-out")
        .unwrap();
    assert_eq!(risk.severity, Severity::High);
    assert!(
        risk.detail.contains("HTTPS:443 rule 10; HTTP:80 default"),
        "{}",
        risk.detail
    );
}

#[test]
fn a_declared_budget_is_shown_over_time_from_the_snapshot() {
    let mut plan = common::demo_plan();
    for service in &mut plan.playbook.target.services {
        service.connections_per_task = Some(20);
    }
    plan.playbook.network.data_stores[0].max_connections = Some(100);
    let prices = PriceTable::bundled().unwrap();
    let report_with = |plan: &migrate_plan::Plan, snapshot: Option<&Snapshot>| {
        build(
            plan,
            &Inputs {
                prices: &prices,
                timeline: None,
                snapshot,
                not_read_because: None,
            },
        )
    };
    // Without the snapshot the old side's units are unknown: the section says so.
    let offline = report_with(&plan, None);
    assert!(render_markdown(&offline).contains("## Connection budget"));
    let risk = offline
        .risks
        .iter()
        .find(|r| r.id == "connection-budget")
        .unwrap();
    assert_eq!(risk.basis, Basis::NeedsSnapshot);

    // The old services run 2 + 2 tasks: 80 + 60 is over 100, so the overlap is sequenced.
    let snapshot = Snapshot {
        read_at: "2026-11-24T05:00:00Z".into(),
        old_service_tasks: [("shop-web".to_string(), 2), ("shop-worker".to_string(), 2)]
            .into_iter()
            .collect(),
        ..Snapshot::default()
    };
    let report = report_with(&plan, Some(&snapshot));
    let markdown = render_markdown(&report);
    assert!(
        markdown.contains("| Stage | Old units | New tasks | Connections | Limit |")
            && markdown.contains("| old side shrunk (shrink-old-side) | 3 | 0 | 60 | 100 |")
            && markdown.contains("| overlap: the new side started smaller | 3 | 2 | 100 | 100 |")
            && markdown.contains("| new side grown (grow-new-side) | 0 | 3 | 60 | 100 |")
            && markdown.contains("which starts web with 1"),
        "{markdown}"
    );
    let risk = report
        .risks
        .iter()
        .find(|r| r.id == "connection-budget")
        .unwrap();
    assert_eq!(
        (risk.basis, risk.severity),
        (Basis::Snapshot, Severity::Medium)
    );
    assert!(render_text(&report).contains("CONNECTION BUDGET"));

    // Old pools of 15 and a limit of 65: even both sides at half do not fit; refused.
    plan.playbook.network.data_stores[0].max_connections = Some(65);
    plan.playbook.source.connections_per_instance = Some(15);
    let refused = report_with(&plan, Some(&snapshot));
    assert!(render_markdown(&refused).contains("**Refused:** data store sessions"));
}
