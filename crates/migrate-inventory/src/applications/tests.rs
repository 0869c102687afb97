//! Grouping over a hand-written account (`fixtures/account.json`, shared with the wizard's
//! tests): one application of each kind, and distractors that must not become candidates (an
//! ALB with nothing behind it, a Fargate service, a data store no one reaches, a private zone).

use crate::*;

fn account() -> Inventory {
    Inventory::from_json(
        include_str!("../../fixtures/account.json"),
        "fixtures/account.json",
    )
    .unwrap()
}

fn record(name: &str, alias: &str) -> DnsRecord {
    DnsRecord {
        name: name.into(),
        record_type: "A".into(),
        alias_target: Some(format!("dualstack.{alias}.")),
        values: vec![],
        set_identifier: None,
    }
}

#[test]
fn each_application_is_found_once_with_its_kind_and_nothing_else() {
    let apps = applications(&account());
    let summary: Vec<(&str, &str, &str)> = apps
        .iter()
        .map(|a| (a.name.as_str(), a.kind.as_str(), a.load_balancer.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("catalog-web", "asg", "catalog-alb"),
            ("legacy-alb", "ec2", "legacy-alb"),
            ("portal-prod", "beanstalk", "awseb-portal"),
            ("shop-ec2", "ecs-ec2", "shop-alb"),
        ]
    );
}

#[test]
fn an_ecs_application_takes_its_workers_and_its_container_instance_group() {
    let apps = applications(&account());
    let shop = apps.iter().find(|a| a.name == "shop-ec2").unwrap();
    assert_eq!(shop.ecs_services, vec!["shop-web", "shop-worker"]);
    assert_eq!(shop.ecs_web_services, vec!["shop-web"]);
    assert_eq!(shop.auto_scaling_group.as_deref(), Some("shop-ecs"));
    assert_eq!(shop.tasks, 4);
    assert_eq!(shop.entry_points.len(), 1);
    assert_eq!(shop.entry_points[0].name, "shop.example.com");
    let stores: Vec<(&str, Option<u16>)> = shop
        .data_stores
        .iter()
        .map(|d| (d.id.as_str(), d.port))
        .collect();
    assert_eq!(stores, vec![("shop-db", Some(3306))]);
}

#[test]
fn names_in_a_private_zone_and_a_beanstalk_cname_are_entry_points() {
    let apps = applications(&account());
    let catalog = apps.iter().find(|a| a.name == "catalog-web").unwrap();
    let names: Vec<(&str, bool, &str)> = catalog
        .entry_points
        .iter()
        .map(|e| (e.name.as_str(), e.private_zone, e.record_type.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("catalog.example.com", false, "A"),
            ("catalog.example.com", true, "AAAA")
        ]
    );
    let portal = apps.iter().find(|a| a.name == "portal-prod").unwrap();
    assert_eq!(portal.entry_points[0].name, "portal.example.com");
    assert_eq!(portal.data_stores[0].id, "portal-cache");
    assert_eq!(
        portal.data_stores[0].port,
        Some(6379),
        "the rule's port when the store has none"
    );
}

#[test]
fn a_beanstalk_environment_is_found_by_its_group_tag_when_its_resources_were_not_read() {
    let mut inv = account();
    inv.beanstalk_environments.clear();
    let apps = applications(&inv);
    let portal = apps
        .iter()
        .find(|a| a.load_balancer == "awseb-portal")
        .unwrap();
    assert_eq!(portal.kind, SourceKind::Beanstalk);
    assert_eq!(portal.name, "portal-prod");
    assert_eq!(portal.instances, vec!["i-eb1"]);
}

#[test]
fn an_account_with_nothing_to_move_has_no_candidates() {
    let mut inv = account();
    inv.load_balancers
        .retain(|lb| lb.name == "empty-alb" || lb.name == "fargate-alb");
    assert!(applications(&inv).is_empty());
}

#[test]
fn records_compare_without_case_trailing_dot_or_dualstack() {
    let r = record("x.example.com", "My-ALB-1.eu-west-1.elb.amazonaws.com");
    assert!(r.points_at("my-alb-1.eu-west-1.elb.amazonaws.com"));
    assert!(!r.points_at("my-alb-2.eu-west-1.elb.amazonaws.com"));
}
