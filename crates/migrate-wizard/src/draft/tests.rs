//! The dialogue without a terminal: a scripted prompter answers (and records) each question,
//! and every draft is checked by the playbook's own validation inside [`draft`].

use std::collections::VecDeque;

use migrate_inventory::Inventory;

use super::*;
use crate::NoTerminal;

fn account() -> Inventory {
    Inventory::from_json(
        include_str!("../../../migrate-inventory/fixtures/account.json"),
        "account.json",
    )
    .unwrap()
}

/// Answers from a script, in order, and records the flag of every question asked.
#[derive(Default)]
struct Script {
    answers: VecDeque<String>,
    asked: Vec<&'static str>,
}

impl Script {
    fn new(answers: &[&str]) -> Self {
        Script {
            answers: answers.iter().map(|a| a.to_string()).collect(),
            asked: Vec::new(),
        }
    }
    fn next(&mut self, question: &Question) -> String {
        self.asked.push(question.flag);
        self.answers
            .pop_front()
            .unwrap_or_else(|| panic!("no scripted answer for {}", question.flag))
    }
}

impl Prompter for Script {
    fn select(&mut self, q: &Question, _: &[String], _: usize) -> Result<usize, WizardError> {
        Ok(self.next(q).parse().unwrap())
    }
    fn multi_select(
        &mut self,
        q: &Question,
        _: &[String],
        _: &[bool],
    ) -> Result<Vec<usize>, WizardError> {
        let answer = self.next(q);
        Ok(answer
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect())
    }
    fn input(&mut self, q: &Question, default: Option<&str>) -> Result<String, WizardError> {
        let answer = self.next(q);
        Ok(if answer.is_empty() {
            default.unwrap_or_default().to_string()
        } else {
            answer
        })
    }
}

fn yes(app: &str) -> Answers {
    Answers {
        yes: true,
        application: Some(app.into()),
        ..Answers::default()
    }
}

#[test]
fn yes_writes_a_valid_playbook_for_an_ecs_application() {
    let draft = draft(&account(), &yes("shop-ec2"), &mut NoTerminal).unwrap();
    assert_eq!(draft.name, "shop-ec2");
    let y = &draft.playbook;
    for line in [
        "kind: ecs-ec2",
        "    cluster: shop-ec2\n    services: [shop-web, shop-worker]",
        "  auto_scaling_group: shop-ecs",
        "  load_balancer: shop-alb",
        "    - name: shop-db  # mysql shop-db\n      kind: rds\n      security_group: sg-db\n      port: 3306",
        "    - name: shop-web\n      kind: web",
        "      container: web\n      port: 80",
        "    - name: shop-worker\n      kind: worker",
        "  zone: example.com\n  record: shop.example.com\n  strategy: alias",
        "  old_ecs_services: true",
    ] {
        assert!(y.contains(line), "missing {line:?} in:\n{y}");
    }
    assert!(
        draft.files.is_empty(),
        "ECS services are translated at plan time"
    );
}

#[test]
fn an_auto_scaling_group_needs_an_image_and_gets_a_task_definition_file() {
    let err = draft(&account(), &yes("catalog-web"), &mut NoTerminal).unwrap_err();
    assert!(
        err.to_string().contains("pass --image"),
        "a question with no default is an error naming its flag off a terminal: {err}"
    );
    let answers = Answers {
        image: Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalog:4.2".into()),
        ..yes("catalog-web")
    };
    let draft = draft(&account(), &answers, &mut NoTerminal).unwrap();
    assert!(draft.playbook.contains("kind: asg"), "{}", draft.playbook);
    assert!(draft
        .playbook
        .contains("task_definition: taskdefs/catalog-web-web.json"));
    assert!(draft
        .playbook
        .contains("#   AAAA catalog.example.com in the private zone example.com (Z2)"));
    assert!(
        draft.playbook.contains("desired_count: 2"),
        "the group's desired capacity"
    );
    let file = &draft.files[0];
    assert_eq!(file.relative_path, "taskdefs/catalog-web-web.json");
    let definition: serde_json::Value = serde_json::from_str(&file.contents).unwrap();
    assert_eq!(
        definition["containerDefinitions"][0]["image"],
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalog:4.2"
    );
    assert_eq!(
        definition["containerDefinitions"][0]["portMappings"][0]["containerPort"],
        80
    );
}

#[test]
fn a_beanstalk_environment_is_moved_by_its_environment_name() {
    let answers = Answers {
        image: Some("nginx:1.27".into()),
        ..yes("portal-prod")
    };
    let draft = draft(&account(), &answers, &mut NoTerminal).unwrap();
    assert!(
        draft
            .playbook
            .contains("  beanstalk:\n    environment: portal-prod"),
        "{}",
        draft.playbook
    );
    assert!(draft.playbook.contains("record: portal.example.com"));
    assert!(draft.playbook.contains("kind: redis"));
    // The connection budget is offered where the draft names a data store, as comments: the
    // limit and the pool sizes are the user's to give.
    assert!(
        draft
            .playbook
            .contains("      # max_connections: <its connection limit, if one binds>")
            && draft
                .playbook
                .contains("      # connections_per_task: <its pool size to each data store>"),
        "{}",
        draft.playbook
    );
}

#[test]
fn the_interactive_path_asks_each_question_once_and_takes_the_answers() {
    let mut script = Script::new(&[
        "3",    // --app: shop-ec2 (sorted: catalog-web, legacy-alb, portal-prod, shop-ec2)
        "shop", // --name
        "",     // --data-stores: none
        "0",    // --services: only shop-web
        "1024", "",         // --cpu, --memory (default for 1024: 2048)
        "weighted", // --strategy
        "",         // --drain-timeout: default
        "",         // --cluster: default
        "",         // --execution-role: default
    ]);
    let draft = draft(&account(), &Answers::default(), &mut script).unwrap();
    assert_eq!(
        script.asked,
        vec![
            "--app",
            "--name",
            "--data-stores",
            "--services",
            "--cpu",
            "--memory",
            "--strategy",
            "--drain-timeout",
            "--cluster",
            "--execution-role"
        ],
        "the one record is not asked about"
    );
    let y = &draft.playbook;
    assert!(y.contains("name: shop\n"), "{y}");
    assert!(y.contains("services:\n    - name: shop-web\n"), "{y}");
    assert!(!y.contains("name: shop-worker"), "{y}");
    assert!(y.contains("cpu: 1024\n      memory: 2048"), "{y}");
    assert!(
        y.contains("strategy: weighted\n  steps: [10, 50, 100]"),
        "{y}"
    );
    assert!(y.contains("data_stores: []"), "{y}");
    assert!(y.contains("cluster: shop-fargate"), "{y}");
}

#[test]
fn a_wrong_answer_at_the_prompt_is_asked_again() {
    let mut script = Script::new(&["Not A Name", "portal", "0", "", "", "", "", "", "", ""]);
    let answers = Answers {
        application: Some("portal-prod".into()),
        image: Some("nginx:1.27".into()),
        ..Answers::default()
    };
    let draft = draft(&account(), &answers, &mut script).unwrap();
    assert_eq!(&script.asked[..2], &["--name", "--name"]);
    assert_eq!(draft.name, "portal");
}

#[test]
fn bad_flags_are_refused_by_name() {
    let cases: Vec<(Answers, &str)> = vec![
        (
            yes("nope"),
            "--app: `nope` is not one of catalog-web, legacy-alb, portal-prod, shop-ec2",
        ),
        (
            Answers {
                name: Some("Shop!".into()),
                ..yes("shop-ec2")
            },
            "--name: `Shop!` must be",
        ),
        (
            Answers {
                cpu: Some(300),
                ..yes("shop-ec2")
            },
            "--memory: cpu 300 with memory",
        ),
        (
            Answers {
                strategy: Some("dns".into()),
                ..yes("shop-ec2")
            },
            "--strategy: `dns` is not a strategy",
        ),
        (
            Answers {
                data_stores: Some(vec!["other-db".into()]),
                ..yes("shop-ec2")
            },
            "--data-stores: `other-db` is not one of shop-db",
        ),
        (
            Answers {
                drain_timeout: Some("soon".into()),
                ..yes("shop-ec2")
            },
            "--drain-timeout:",
        ),
    ];
    for (answers, expected) in cases {
        let err = draft(&account(), &answers, &mut NoTerminal).unwrap_err();
        assert!(err.to_string().starts_with(expected), "{expected}: {err}");
    }
}

#[test]
fn plain_instances_are_drafted_as_an_ec2_source() {
    let answers = Answers {
        image: Some("nginx:1.27".into()),
        ..yes("legacy-alb")
    };
    let draft = draft(&account(), &answers, &mut NoTerminal).unwrap();
    assert!(draft.playbook.contains("kind: ec2"), "{}", draft.playbook);
    assert!(
        draft.playbook.contains("  ec2:\n    instances: ["),
        "{}",
        draft.playbook
    );
    assert!(
        draft.playbook.contains("load_balancer: legacy-alb"),
        "{}",
        draft.playbook
    );
}

#[test]
fn an_empty_account_is_refused_with_the_reason() {
    let empty = Inventory::new("eu-west-1", chrono::DateTime::UNIX_EPOCH);
    let err = draft(&empty, &yes("x"), &mut NoTerminal).unwrap_err();
    assert!(matches!(err, WizardError::NoApplication), "{err}");
}

#[test]
fn names_are_made_acceptable() {
    assert_eq!(
        suggested_name("awseb-e-x-AWSEBAutoScalingGroup"),
        "awseb-e-x-awsebaut"
    );
    assert_eq!(suggested_name("My_App.prod"), "my-app-prod");
    assert_eq!(suggested_name("---"), "app");
}

#[test]
fn a_zone_name_two_public_zones_share_is_written_as_the_zone_id() {
    let answers = Answers {
        image: Some("nginx:1.27".into()),
        ..yes("catalog-web")
    };
    let unique = draft(&account(), &answers, &mut NoTerminal).unwrap();
    assert!(
        unique.playbook.contains("  zone: example.com\n"),
        "{}",
        unique.playbook
    );
    let mut inventory = account();
    let mut stale = inventory.hosted_zones[0].clone();
    stale.id = "ZSTALE".into();
    stale.records.clear();
    inventory.hosted_zones.push(stale);
    let ambiguous = draft(&inventory, &answers, &mut NoTerminal).unwrap();
    assert!(
        ambiguous.playbook.contains("  zone: Z1\n"),
        "{}",
        ambiguous.playbook
    );
    assert!(ambiguous
        .playbook
        .contains("more than one zone named example.com"));
}

/// An ECR that holds only `catalog:4.2.0`.
struct OneImage;

impl ImageCheck for OneImage {
    fn check(&self, image: &str) -> Result<(), String> {
        if image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalog:4.2.0" {
            Ok(())
        } else {
            Err(format!("{image} is not in ECR"))
        }
    }
}

#[test]
fn a_missing_image_is_asked_again_at_the_prompt_and_refused_by_its_flag() {
    let registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    let typo = format!("{registry}/catalog:4.2.O");
    let right = format!("{registry}/catalog:4.2.0");
    // At the prompt: the typo is asked again, with the reason, and the right one is taken.
    let mut script = Script::new(&[&typo, &right]);
    let answers = Answers {
        image: None,
        ..yes("catalog-web")
    };
    let draft = draft_checking_images(&account(), &answers, &mut script, &OneImage).unwrap();
    assert_eq!(script.asked, ["--image", "--image"]);
    assert!(
        draft.files.iter().any(|f| f.contents.contains(&right)),
        "{:?}",
        draft.files
    );
    // By the flag: an error naming it, and no draft.
    let answers = Answers {
        image: Some(typo.clone()),
        ..yes("catalog-web")
    };
    let err = draft_checking_images(&account(), &answers, &mut NoTerminal, &OneImage)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("--image: ") && err.contains("is not in ECR"),
        "{err}"
    );
}
