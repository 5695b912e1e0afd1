//! Seeded, deterministic workspace generator.
//!
//! The first projects, users and groups are fixed "story" entities that tests rely on
//! (see the crate docs for who is who); larger presets add generated users, groups and
//! projects that cycle through every BROWSE_PROJECTS holder type, archived and
//! team-managed projects. Same config → byte-identical workspace.
//!
//! This module owns the order of the steps ([`generate`]); each part of the site is
//! made in its own module: people and groups (`identity`), roles, fields and schemes
//! (`schemes`), projects (`projects`), issues and comments (`issues`, `comments`,
//! `text`, `topics`), search markers (`markers`), attachments (`attachments`) and
//! sub-tasks (`subtasks`). The steps draw from two seeded random streams (a third for
//! attachments) in a fixed order: that order is what keeps a config's output the same.

mod attachments;
mod comments;
mod config;
mod draw;
mod identity;
mod ids;
mod issues;
mod markers;
mod projects;
mod schemes;
mod subtasks;
mod text;
mod topics;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::model::Workspace;

pub use config::GenConfig;
pub use draw::epoch_start;
pub use ids::{
    ACCOUNT_MAIL_APP, ACCOUNT_PEGGY, ACCOUNT_TRENT, ACCOUNT_VICTOR, ADMIN_API_TOKEN, ADMIN_EMAIL,
    APP_SERVICEDESK, APP_SOFTWARE, CF_GROUP_PICKER, CF_USER_PICKER, LAB_KEY, ROLE_ADMINISTRATORS,
    ROLE_DEVELOPERS, ROLE_USERS,
};

/// Seed of the second random stream, drawn from after everything the generator first
/// made (late accounts, internal comments, the LAB project, sub-tasks).
const LATE_STREAM: u64 = 0x5AB7_A5C5;

/// The first id of attachments (apart from the other ids).
const FIRST_ATTACHMENT_ID: u64 = 9_000_000;

/// Generates a workspace; deterministic for a given config.
pub fn generate(cfg: &GenConfig) -> Workspace {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let n_users = cfg.users.max(identity::STORY_USERS.len());
    let n_groups = cfg.groups.max(6);
    let n_projects = cfg.projects.max(4);

    let mut users = identity::users(&mut rng, n_users);
    let cast = identity::Cast::of(&users);
    let mut groups = identity::groups(&mut rng, n_groups, &users, &cast);
    let g = identity::GroupIds::of(&groups);
    let application_roles = identity::application_roles(&g);
    let project_roles = schemes::project_roles();
    let custom_fields = schemes::custom_fields();
    let security_schemes = schemes::security_schemes(&g.sec, &cast.dave);
    let mut site = projects::projects(&mut rng, n_projects, n_groups, &groups, &cast, &g);

    let (mut issues, mut next_id) = issues::story_issues(
        &mut rng, cfg, n_projects, &site, &users, &groups, &g, &cast.bob,
    );
    markers::plant_comment_markers(&mut rng, &mut issues, &site.projects);
    markers::ensure_description_markers(&mut rng, &mut issues, &site.projects);
    // Attachments draw from their own stream, so adding them changed nothing above.
    let mut next_attachment_id = FIRST_ATTACHMENT_ID;
    attachments::attach_files(cfg.seed, &mut issues, &mut next_attachment_id);
    // Every tenth description also uses every ADF node and mark type.
    text::add_showcases(&mut issues);
    // Added last, with fixed ids, so nothing generated above changes.
    users.extend(identity::app_and_customer());

    // Everything below draws from its own stream and comes after what the generator
    // always made, so the issues above stay as they were.
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ LATE_STREAM);
    users.extend(identity::late_accounts());
    identity::add_late_memberships(&mut groups, &g);
    projects::add_late_role_actors(&mut site.projects, ACCOUNT_PEGGY);
    // Internal comments in service projects.
    comments::mark_internal_comments(&mut rng, &mut issues, &site.projects);
    // A private team-managed project that only its role holders (and Jira
    // administrators) browse.
    let lab = projects::private_lab_project(
        10000 + site.projects.len() as u64,
        &cast.carol,
        ACCOUNT_TRENT,
        &g.sec,
    );
    let lab_crowd = vec![cast.carol.clone(), cast.dave.clone(), cast.carol.clone()];
    issues.extend(issues::lab_issues(
        &mut rng,
        &lab,
        &lab_crowd,
        cfg.issues,
        &mut next_id,
    ));
    site.projects.push(lab);
    site.people.push(lab_crowd);
    // Sub-tasks, some under parents with a security level.
    subtasks::add_subtasks(
        &mut rng,
        &mut issues,
        &site.projects,
        &site.people,
        &mut next_id,
        cfg.issues,
    );

    Workspace {
        seed: cfg.seed,
        admin_email: ADMIN_EMAIL.into(),
        admin_api_token: ADMIN_API_TOKEN.into(),
        admin_account_id: cast.admin,
        users,
        groups,
        application_roles,
        project_roles,
        projects: site.projects,
        permission_schemes: site.permission_schemes,
        security_schemes,
        custom_fields,
        issues,
        audit_records: Vec::new(),
        next_id,
        administer_jira_group_ids: vec![g.admins],
        connector_administers_jira: true,
        forbidden_endpoints: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
