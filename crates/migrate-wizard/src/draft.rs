//! The dialogue: each decision of a playbook, taken from a flag, a default, or the prompter.

use migrate_inventory::{applications, Application, Inventory, SourceKind};

use migrate_playbook::MAX_NAME_LEN;

use crate::render::{self, Decisions, ServiceDecision};
use crate::{Answers, ImageCheck, NoImageCheck, Prompter, Question, WizardError};

/// A file the wizard writes next to the playbook, at a path relative to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftFile {
    pub relative_path: String,
    pub contents: String,
}

/// What `migrate init` writes: the playbook (as `<name>.yaml`) and the files it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub name: String,
    pub playbook: String,
    pub files: Vec<DraftFile>,
}

/// Runs the dialogue over `inventory` and returns the draft, validated by the playbook's own
/// rules; nothing is written here. Images are not checked (see [`draft_checking_images`]).
pub fn draft(
    inventory: &Inventory,
    answers: &Answers,
    prompter: &mut dyn Prompter,
) -> Result<Draft, WizardError> {
    draft_checking_images(inventory, answers, prompter, &NoImageCheck)
}

/// [`draft`], with each image the user names checked by `images` while its question is open: a
/// missing one is asked again at the prompt, and a missing one given by `--image` is an error
/// naming the flag.
pub fn draft_checking_images(
    inventory: &Inventory,
    answers: &Answers,
    prompter: &mut dyn Prompter,
    images: &dyn ImageCheck,
) -> Result<Draft, WizardError> {
    let apps = applications(inventory);
    if apps.is_empty() {
        return Err(WizardError::NoApplication);
    }
    let mut dialogue = Dialogue {
        answers,
        prompter,
        images,
    };
    let labels: Vec<String> = apps.iter().map(label).collect();
    let chosen = dialogue.choose(
        &Question {
            flag: "--app",
            text: "Which application moves to Fargate?".into(),
        },
        &apps.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        &labels,
        0,
        answers.application.as_deref(),
    )?;
    let app = &apps[chosen];
    let decisions = dialogue.decide(inventory, app)?;
    let draft = render::render(inventory, app, &decisions);
    check(&draft)?;
    Ok(draft)
}

/// One line per application, as the selection shows it.
fn label(app: &Application) -> String {
    let entry = app
        .entry_points
        .first()
        .map(|e| e.name.as_str())
        .unwrap_or("(no DNS name)");
    format!(
        "{} — {} behind {} ({}), {} data store(s)",
        app.name,
        app.kind.as_str(),
        app.load_balancer,
        entry,
        app.data_stores.len()
    )
}

struct Dialogue<'a> {
    answers: &'a Answers,
    prompter: &'a mut dyn Prompter,
    images: &'a dyn ImageCheck,
}

impl Dialogue<'_> {
    fn decide(
        &mut self,
        inventory: &Inventory,
        app: &Application,
    ) -> Result<Decisions, WizardError> {
        let name = self.text(
            &Question {
                flag: "--name",
                text: "Name of the migration (prefixes every new resource)".into(),
            },
            self.answers.name.clone(),
            Some(suggested_name(&app.name)),
            |name| {
                let ok = !name.is_empty()
                    && name.len() <= MAX_NAME_LEN
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "`{name}` must be 1 to {MAX_NAME_LEN} lowercase letters, digits or dashes"
                    ))
                }
            },
        )?;
        if app.entry_points.is_empty() {
            return Err(WizardError::Unsupported(format!(
                "no Route53 record of this account points at {} (or its Beanstalk CNAME): the \
                 cutover moves a record, so create one, or write the playbook by hand",
                app.load_balancer
            )));
        }
        let records: Vec<String> = app
            .entry_points
            .iter()
            .map(|e| e.name.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let record_labels: Vec<String> = records
            .iter()
            .map(|name| {
                let kinds: Vec<String> = app
                    .entry_points
                    .iter()
                    .filter(|e| &e.name == name)
                    .map(|e| {
                        format!(
                            "{} in {} zone {}",
                            e.record_type,
                            if e.private_zone { "private" } else { "public" },
                            e.zone
                        )
                    })
                    .collect();
                format!("{name} ({})", kinds.join("; "))
            })
            .collect();
        let record = records[self.choose(
            &Question {
                flag: "--record",
                text: "Which DNS name is the entry point to move?".into(),
            },
            &records,
            &record_labels,
            0,
            self.answers.record.as_deref(),
        )?]
        .clone();
        let entry = app
            .entry_points
            .iter()
            .find(|e| e.name == record && !e.private_zone)
            .or_else(|| app.entry_points.iter().find(|e| e.name == record));
        // A zone is named by its name when that is unambiguous, else by its id: an account may
        // hold two public zones of one name (a stale copy), and the plan must find this one.
        let zone = entry
            .map(|e| {
                let same_name = inventory
                    .hosted_zones
                    .iter()
                    .filter(|z| z.name == e.zone && z.private == e.private_zone)
                    .count();
                if same_name == 1 && !e.private_zone {
                    e.zone.clone()
                } else {
                    e.zone_id.clone()
                }
            })
            .unwrap_or_default();

        let store_ids: Vec<String> = app.data_stores.iter().map(|d| d.id.clone()).collect();
        let store_labels: Vec<String> = app
            .data_stores
            .iter()
            .map(|d| {
                format!(
                    "{} ({}{}, security group {})",
                    d.id,
                    d.engine.as_deref().unwrap_or(d.kind.playbook_kind()),
                    d.port.map(|p| format!(" on {p}")).unwrap_or_default(),
                    d.security_group
                )
            })
            .collect();
        let stores = self.choose_many(
            &Question {
                flag: "--data-stores",
                text: "Which data stores must admit the new tasks?".into(),
            },
            &store_ids,
            &store_labels,
            self.answers.data_stores.as_deref(),
        )?;

        let services = self.services(inventory, app)?;
        let strategy = self.text(
            &Question {
                flag: "--strategy",
                text: "Cutover strategy (alias: one record change; weighted: a ramp of weighted records)".into(),
            },
            self.answers.strategy.clone(),
            Some("alias".into()),
            |s| match s {
                "alias" | "weighted" => Ok(()),
                other => Err(format!("`{other}` is not a strategy; expected alias or weighted")),
            },
        )?;
        let drain_timeout = self.text(
            &Question {
                flag: "--drain-timeout",
                text: "Longest wait for the old side's traffic to end after the cutover".into(),
            },
            self.answers.drain_timeout.clone(),
            Some("2h".into()),
            |d| {
                migrate_playbook::parse_duration(d)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            },
        )?;
        let cluster = self.text(
            &Question {
                flag: "--cluster",
                text: "Name of the new Fargate cluster".into(),
            },
            self.answers.cluster.clone(),
            Some(format!("{name}-fargate")),
            |_| Ok(()),
        )?;
        let execution_role = self.text(
            &Question {
                flag: "--execution-role",
                text: "Execution role of the tasks (pulls images, writes logs)".into(),
            },
            self.answers.execution_role.clone(),
            Some("ecsTaskExecutionRole".into()),
            |_| Ok(()),
        )?;
        Ok(Decisions {
            name,
            zone,
            record,
            data_stores: stores
                .into_iter()
                .map(|i| app.data_stores[i].clone())
                .collect(),
            services,
            strategy,
            drain_timeout,
            cluster,
            execution_role,
        })
    }

    /// The services of the new side: each chosen old ECS service, or one web service running
    /// the given image for an Auto Scaling group or Beanstalk source.
    fn services(
        &mut self,
        inventory: &Inventory,
        app: &Application,
    ) -> Result<Vec<ServiceDecision>, WizardError> {
        let mut services = Vec::new();
        match app.kind {
            SourceKind::EcsEc2 => {
                let cluster = inventory
                    .ecs_clusters
                    .iter()
                    .find(|c| Some(&c.name) == app.ecs_cluster.as_ref());
                let chosen = self.choose_many(
                    &Question {
                        flag: "--services",
                        text: "Which old ECS services move (web and workers)?".into(),
                    },
                    &app.ecs_services,
                    &app.ecs_services
                        .iter()
                        .map(|s| {
                            let role = if app.ecs_web_services.contains(s) {
                                "web"
                            } else {
                                "worker"
                            };
                            format!("{s} ({role})")
                        })
                        .collect::<Vec<_>>(),
                    self.answers.services.as_deref(),
                )?;
                if chosen.is_empty() {
                    return Err(WizardError::BadAnswer {
                        flag: "--services",
                        message: "at least one service must move".into(),
                    });
                }
                for index in chosen {
                    let old = &app.ecs_services[index];
                    let service = cluster.and_then(|c| c.services.iter().find(|s| &s.name == old));
                    let balanced = service.and_then(|s| s.load_balancers.first());
                    let health = balanced
                        .and_then(|lb| {
                            inventory
                                .target_groups
                                .iter()
                                .find(|tg| tg.arn == lb.target_group)
                        })
                        .map(|tg| tg.health_check.clone());
                    let proposed = service.and_then(|s| {
                        let cpu = s.task_cpu.as_deref()?.parse().ok()?;
                        let memory = s.task_memory.as_deref()?.parse().ok()?;
                        migrate_taskdef::fargate::smallest_pair_fitting(cpu, memory)
                    });
                    let (cpu, memory) = self.size(old, proposed)?;
                    services.push(ServiceDecision {
                        name: suggested_name(old.trim_start_matches(&format!("{}-", app.name))),
                        old_service: Some(old.clone()),
                        web: balanced.is_some(),
                        container: balanced.and_then(|lb| lb.container_name.clone()),
                        port: balanced.and_then(|lb| lb.container_port),
                        cpu,
                        memory,
                        desired_count: self
                            .answers
                            .desired_count
                            .filter(|_| balanced.is_some())
                            .unwrap_or_else(|| service.map_or(1, |s| s.desired_count.max(1))),
                        health,
                        image: None,
                    });
                }
            }
            SourceKind::Asg | SourceKind::Beanstalk | SourceKind::Ec2 => {
                let images = self.images;
                let image = self.text(
                    &Question {
                        flag: "--image",
                        text: "Image the new service runs (an ECR URI or any registry's)".into(),
                    },
                    self.answers.image.clone(),
                    None,
                    |image| {
                        if image.is_empty() || image.contains(char::is_whitespace) {
                            Err(format!("`{image}` is not an image reference"))
                        } else {
                            images.check(image)
                        }
                    },
                )?;
                let target_group = inventory.target_groups.iter().find(|tg| {
                    inventory.load_balancers.iter().any(|lb| {
                        lb.name == app.load_balancer && tg.load_balancers.contains(&lb.arn)
                    })
                });
                let group = inventory
                    .auto_scaling_groups
                    .iter()
                    .find(|g| Some(&g.name) == app.auto_scaling_group.as_ref());
                let (cpu, memory) = self.size("web", None)?;
                services.push(ServiceDecision {
                    name: "web".into(),
                    old_service: None,
                    web: true,
                    container: Some("app".into()),
                    port: target_group.and_then(|tg| tg.port).or(Some(80)),
                    cpu,
                    memory,
                    desired_count: self.answers.desired_count.unwrap_or_else(|| {
                        // As many tasks as the old side has instances (a group's desired
                        // capacity, or the plain instances counted), two when unknown.
                        group.map_or(
                            u32::try_from(app.instances.len()).unwrap_or(2).max(1),
                            |g| g.desired_capacity.max(1),
                        )
                    }),
                    health: target_group.map(|tg| tg.health_check.clone()),
                    image: Some(image),
                });
            }
        }
        Ok(services)
    }

    /// The Fargate size of a service: the flags, else the old task's size rounded up to a
    /// Fargate pair, else 512 CPU units and 1 GiB.
    fn size(
        &mut self,
        service: &str,
        proposed: Option<(u32, u32)>,
    ) -> Result<(u32, u32), WizardError> {
        let (default_cpu, default_memory) = proposed.unwrap_or((512, 1024));
        let cpu = self.number(
            &Question {
                flag: "--cpu",
                text: format!("CPU units of {service} (256, 512, 1024, 2048, 4096, 8192, 16384)"),
            },
            self.answers.cpu,
            default_cpu,
        )?;
        let memory = self.number(
            &Question {
                flag: "--memory",
                text: format!("Memory of {service} in MiB"),
            },
            self.answers.memory,
            if proposed.is_some() || cpu == default_cpu {
                default_memory
            } else {
                cpu * 2
            },
        )?;
        if !migrate_taskdef::fargate::valid_pair(cpu, memory) {
            return Err(WizardError::BadAnswer {
                flag: "--memory",
                message: format!("cpu {cpu} with memory {memory} MiB is not a Fargate size"),
            });
        }
        Ok((cpu, memory))
    }

    fn number(
        &mut self,
        question: &Question,
        given: Option<u32>,
        default: u32,
    ) -> Result<u32, WizardError> {
        let flag = question.flag;
        let text = self.text(
            question,
            given.map(|n| n.to_string()),
            Some(default.to_string()),
            |s| {
                s.parse::<u32>()
                    .map(|_| ())
                    .map_err(|_| format!("`{s}` is not a number"))
            },
        )?;
        text.parse().map_err(|_| WizardError::BadAnswer {
            flag,
            message: format!("`{text}` is not a number"),
        })
    }

    fn text(
        &mut self,
        question: &Question,
        given: Option<String>,
        default: Option<String>,
        valid: impl Fn(&str) -> Result<(), String>,
    ) -> Result<String, WizardError> {
        let flag = question.flag;
        let answer = match (given, default) {
            (Some(given), _) => given,
            (None, Some(default)) if self.answers.yes => default,
            (None, default) => {
                // A question with no default is asked even with `--yes`: there is nothing to take.
                let mut answer = self.prompter.input(question, default.as_deref())?;
                while let Err(message) = valid(answer.trim()) {
                    answer = self.prompter.input(
                        &Question {
                            flag,
                            text: format!("{message}. {}", question.text),
                        },
                        default.as_deref(),
                    )?;
                }
                answer
            }
        };
        let answer = answer.trim().to_string();
        valid(&answer).map_err(|message| WizardError::BadAnswer { flag, message })?;
        Ok(answer)
    }

    /// One of `values`, by a flag naming it, the default, or the prompter.
    fn choose(
        &mut self,
        question: &Question,
        values: &[String],
        labels: &[String],
        default: usize,
        given: Option<&str>,
    ) -> Result<usize, WizardError> {
        if let Some(given) = given {
            return values
                .iter()
                .position(|v| v == given)
                .ok_or_else(|| WizardError::BadAnswer {
                    flag: question.flag,
                    message: format!("`{given}` is not one of {}", values.join(", ")),
                });
        }
        if self.answers.yes || values.len() == 1 {
            return Ok(default);
        }
        self.prompter.select(question, labels, default)
    }

    /// Any of `values` (all by default), by a flag naming them, the default, or the prompter.
    fn choose_many(
        &mut self,
        question: &Question,
        values: &[String],
        labels: &[String],
        given: Option<&[String]>,
    ) -> Result<Vec<usize>, WizardError> {
        if let Some(given) = given {
            return given
                .iter()
                .map(|g| {
                    values
                        .iter()
                        .position(|v| v == g)
                        .ok_or_else(|| WizardError::BadAnswer {
                            flag: question.flag,
                            message: format!(
                                "`{g}` is not one of {}",
                                if values.is_empty() {
                                    "(none)".to_string()
                                } else {
                                    values.join(", ")
                                }
                            ),
                        })
                })
                .collect();
        }
        if self.answers.yes || values.is_empty() {
            return Ok((0..values.len()).collect());
        }
        self.prompter
            .multi_select(question, labels, &vec![true; values.len()])
    }
}

/// A name a playbook accepts, from any AWS name: lower case, dashes for anything else, at
/// most [`MAX_NAME_LEN`] characters, no dash at either end.
pub(crate) fn suggested_name(from: &str) -> String {
    let mut name: String = from
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(MAX_NAME_LEN);
    let name = name.trim_matches('-').to_string();
    if name.is_empty() {
        "app".to_string()
    } else {
        name
    }
}

/// Validates the draft as `migrate plan` will, with its files.
fn check(draft: &Draft) -> Result<(), WizardError> {
    struct Files<'a>(&'a [DraftFile]);
    impl migrate_playbook::FileSource for Files<'_> {
        fn read(&self, path: &str) -> Result<String, String> {
            self.0
                .iter()
                .find(|f| f.relative_path == path)
                .map(|f| f.contents.clone())
                .ok_or_else(|| format!("{path} is not written by the wizard"))
        }
    }
    migrate_playbook::Playbook::from_yaml(
        &draft.playbook,
        "the drafted playbook",
        &Files(&draft.files),
    )
    .map(|_| ())
    .map_err(|e| WizardError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests;
