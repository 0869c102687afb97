//! Every name that reaches the old load balancer moves, over the wire (issue 15, item 1): the
//! seed-001 topology, plus, seeded here with the SDK, a dual-stack old ALB, an `AAAA` alias of the
//! FQDN, a `CNAME` and a weighted alias of other names in the public zone, and a private zone of
//! the same name whose FQDN aliases the old ALB too. `Engine::apply` must move every one of them
//! (checked with `ListResourceRecordSets` from a plain SDK client), leave a record that points
//! elsewhere alone, and `Engine::rollback` must put each zone back exactly as it was read.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord,
    ResourceRecordSet, RrType, Vpc, VpcRegion,
};
use common::seed::{self, id, FastClock};
use migrate_aws::TcpProbe;
use migrate_engine::{Engine, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, State, StateStore};

fn alias_set(name: &str, record_type: RrType, dns_name: &str, zone: &str) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(record_type)
        .alias_target(
            AliasTarget::builder()
                .dns_name(dns_name)
                .hosted_zone_id(zone)
                .evaluate_target_health(true)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

async fn upsert(r53: &aws_sdk_route53::Client, zone: &str, sets: Vec<ResourceRecordSet>) {
    let mut batch = ChangeBatch::builder();
    for set in sets {
        batch = batch.changes(
            Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(set)
                .build()
                .unwrap(),
        );
    }
    r53.change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch.build().unwrap())
        .send()
        .await
        .unwrap();
}

/// Every A/AAAA/CNAME record set of the zone, as a plain SDK client lists it.
async fn listed(r53: &aws_sdk_route53::Client, zone: &str) -> Vec<ResourceRecordSet> {
    let out = r53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    assert!(!out.is_truncated(), "one page holds the test's zone");
    out.resource_record_sets()
        .iter()
        .filter(|s| matches!(s.r#type(), RrType::A | RrType::Aaaa | RrType::Cname))
        .cloned()
        .collect()
}

fn find<'a>(
    sets: &'a [ResourceRecordSet],
    name: &str,
    record_type: &RrType,
) -> &'a ResourceRecordSet {
    sets.iter()
        .find(|s| s.name() == name && s.r#type() == record_type)
        .unwrap_or_else(|| panic!("{record_type:?} {name} in {sets:#?}"))
}

fn alias_name(set: &ResourceRecordSet) -> String {
    set.alias_target()
        .expect("an alias")
        .dns_name()
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_name_in_every_zone_moves_and_comes_back_exactly() {
    let seed::Seeded {
        moto,
        dir: _dir,
        ids,
        playbook: playbook_path,
    } = seed::seed_001_with_two_tasks(&[]);
    let sdk = common::sdk_config(&moto.url()).await;
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let old_dns = id(&ids, "old_alb_dns");
    let old_zone = id(&ids, "old_alb_zone");
    let public = id(&ids, "zone");

    // The old ALB is dual-stack, so its AAAA alias is a real one.
    elb.set_ip_address_type()
        .load_balancer_arn(id(&ids, "old_alb_arn"))
        .ip_address_type(aws_sdk_elasticloadbalancingv2::types::IpAddressType::Dualstack)
        .send()
        .await
        .unwrap();
    let dualstack_old = format!("dualstack.{old_dns}");
    upsert(
        &r53,
        &public,
        vec![
            alias_set("shop.example.com.", RrType::Aaaa, &dualstack_old, &old_zone),
            ResourceRecordSet::builder()
                .name("www.example.com.")
                .r#type(RrType::Cname)
                .ttl(3600)
                .resource_records(ResourceRecord::builder().value(&old_dns).build().unwrap())
                .build()
                .unwrap(),
            // A weighted alias keeps its set identifier and weight when it moves.
            ResourceRecordSet::builder()
                .set_identifier("blue")
                .weight(70)
                .name("api.example.com.")
                .r#type(RrType::A)
                .alias_target(
                    AliasTarget::builder()
                        .dns_name(&old_dns)
                        .hosted_zone_id(&old_zone)
                        .evaluate_target_health(false)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
            // Its sibling points elsewhere and must be left alone.
            ResourceRecordSet::builder()
                .set_identifier("green")
                .weight(30)
                .name("api.example.com.")
                .r#type(RrType::A)
                .ttl(300)
                .resource_records(
                    ResourceRecord::builder()
                        .value("192.0.2.10")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await;
    let private = r53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("migrate-every-name-private")
        .hosted_zone_config(HostedZoneConfig::builder().private_zone(true).build())
        .vpc(
            Vpc::builder()
                .vpc_id(id(&ids, "vpc"))
                .vpc_region(VpcRegion::from("ap-northeast-1"))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .hosted_zone()
        .unwrap()
        .id()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    upsert(
        &r53,
        &private,
        vec![alias_set(
            "shop.example.com.",
            RrType::A,
            &old_dns,
            &old_zone,
        )],
    )
    .await;
    let public_before = listed(&r53, &public).await;
    let private_before = listed(&r53, &private).await;

    let app = seed::app_server().await;
    let conn = migrate_aws::from_sdk_config(
        &sdk,
        Arc::new(TcpProbe::new(Some(&app)).unwrap()),
        Arc::new(FastClock::default()),
    );
    let playbook = migrate_playbook::Playbook::from_path(&playbook_path).unwrap();
    let plan = migrate_plan::build(&playbook);
    let names = plan.names.clone();
    let mut store = MemoryStore::new();
    let mut state = State::new(plan, chrono::Utc::now());
    store.save(&mut state).unwrap();
    let ecs_stand_in = seed::act_as_ecs(sdk.clone(), names.target_group.clone());
    let mut engine = Engine::new(
        conn.cloud.clone(),
        Box::new(store.clone()),
        Arc::new(NullReporter),
    )
    .unwrap();
    let outcome = engine.apply().await;
    assert!(
        matches!(outcome, Ok(RunOutcome::Completed)),
        "{outcome:?}\n{:#?}",
        engine.state().failure
    );
    ecs_stand_in.await.unwrap();

    let new_alb = elb
        .describe_load_balancers()
        .names(&names.load_balancer)
        .send()
        .await
        .unwrap();
    let new_dns = new_alb.load_balancers()[0]
        .dns_name()
        .unwrap()
        .to_ascii_lowercase();
    let public_after = listed(&r53, &public).await;
    let private_after = listed(&r53, &private).await;
    assert_eq!(
        alias_name(find(&public_after, "shop.example.com.", &RrType::A)),
        new_dns
    );
    assert_eq!(
        alias_name(find(&public_after, "shop.example.com.", &RrType::Aaaa)),
        format!("dualstack.{new_dns}")
    );
    let www = find(&public_after, "www.example.com.", &RrType::Cname);
    assert_eq!(
        www.resource_records()[0].value().trim_end_matches('.'),
        new_dns
    );
    // lower-ttl lowered it to the playbook's TTL, and the cutover kept that.
    assert_eq!(www.ttl(), Some(i64::from(playbook.cutover.lower_ttl_to)));
    let blue = public_after
        .iter()
        .find(|s| s.set_identifier() == Some("blue"))
        .expect("the weighted alias");
    assert_eq!(alias_name(blue), new_dns);
    assert_eq!(blue.weight(), Some(70));
    let green = public_after
        .iter()
        .find(|s| s.set_identifier() == Some("green"))
        .expect("the sibling");
    assert_eq!(
        Some(green),
        public_before
            .iter()
            .find(|s| s.set_identifier() == Some("green"))
    );
    assert_eq!(
        alias_name(find(&private_after, "shop.example.com.", &RrType::A)),
        new_dns
    );

    let outcome = engine.rollback().await;
    assert!(
        matches!(outcome, Ok(RunOutcome::Completed)),
        "{outcome:?}\n{:#?}",
        engine.state().failure
    );
    let sorted = |mut sets: Vec<ResourceRecordSet>| {
        sets.sort_by_key(|s| {
            (
                s.name().to_string(),
                s.r#type().as_str().to_string(),
                s.set_identifier().map(str::to_string),
            )
        });
        sets
    };
    assert_eq!(
        sorted(listed(&r53, &public).await),
        sorted(public_before),
        "the public zone after rollback"
    );
    assert_eq!(
        sorted(listed(&r53, &private).await),
        sorted(private_before),
        "the private zone after rollback"
    );
}
