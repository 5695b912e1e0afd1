//! Who is on a generated site: the story users and generated people, the groups, the
//! application roles, and the accounts added last with fixed ids (apps, customers,
//! Trent, Peggy and Victor) with their group memberships.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::draw::{hex_id, pick, uuid_like};
use super::ids::{
    ACCOUNT_MAIL_APP, ACCOUNT_PEGGY, ACCOUNT_TRENT, ACCOUNT_VICTOR, APP_SERVICEDESK, APP_SOFTWARE,
};
use crate::model::{ApplicationRole, Group, User};

/// Fixed story users: (display name, email local part).
pub(super) const STORY_USERS: [(&str, &str); 12] = [
    ("Site Admin", "admin"),
    ("Alice Nguyen", "alice"),
    ("Bob Martin", "bob"),
    ("Carol Diaz", "carol"),
    ("Dave Okafor", "dave"),
    ("Erin Walsh", "erin"),
    ("Frank Li", "frank"),
    ("Grace Kim", "grace"),
    ("Heidi Novak", "heidi"),
    ("Ivan Petrov", "ivan"),
    ("Judy Brown", "judy"),
    ("Mallory Chen", "mallory"),
];

const FIRST_NAMES: [&str; 24] = [
    "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofia", "Arjun", "Priya", "Kenji", "Yuki", "Lukas",
    "Hanna", "Omar", "Layla", "Diego", "Lucia", "Tariq", "Amara", "Pavel", "Irina", "Samuel",
    "Chloe", "Felix", "Nora",
];
const LAST_NAMES: [&str; 20] = [
    "Garcia", "Schmidt", "Rossi", "Tanaka", "Kowalski", "Andersen", "Silva", "Haddad", "Murphy",
    "Dubois", "Jansen", "Costa", "Ivanova", "Sato", "Fischer", "Moreau", "Larsen", "Reyes",
    "Bauer", "Singh",
];

/// The story users, then `n_users - 12` generated people (same draws as ever).
pub(super) fn users(rng: &mut ChaCha8Rng, n_users: usize) -> Vec<User> {
    let mut users = Vec::with_capacity(n_users);
    for (name, local) in STORY_USERS {
        users.push(User {
            account_id: hex_id(rng, 24),
            account_type: "atlassian".into(),
            email: format!("{local}@example.com"),
            email_visible: local != "heidi",
            display_name: name.into(),
            active: local != "ivan",
            time_zone: "UTC".into(),
        });
    }
    for i in STORY_USERS.len()..n_users {
        let first = *pick(rng, &FIRST_NAMES);
        let last = *pick(rng, &LAST_NAMES);
        let hidden = rng.gen_bool(0.06);
        let inactive = rng.gen_bool(0.04);
        users.push(User {
            account_id: hex_id(rng, 24),
            account_type: "atlassian".into(),
            email: format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i
            ),
            email_visible: !hidden,
            display_name: format!("{first} {last}"),
            active: !inactive,
            time_zone: pick(
                rng,
                &["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"],
            )
            .to_string(),
        });
    }
    users
}

/// The account ids of the story users (in [`STORY_USERS`] order) and of the generated
/// people.
pub(super) struct Cast {
    pub(super) admin: String,
    pub(super) alice: String,
    pub(super) bob: String,
    pub(super) carol: String,
    pub(super) dave: String,
    pub(super) erin: String,
    pub(super) frank: String,
    pub(super) grace: String,
    pub(super) heidi: String,
    pub(super) ivan: String,
    pub(super) judy: String,
    pub(super) mallory: String,
    /// The generated people.
    pub(super) extra: Vec<String>,
}

impl Cast {
    /// Reads the cast off the users [`users`] made.
    pub(super) fn of(users: &[User]) -> Cast {
        let acc = |i: usize| users[i].account_id.clone();
        Cast {
            admin: acc(0),
            alice: acc(1),
            bob: acc(2),
            carol: acc(3),
            dave: acc(4),
            erin: acc(5),
            frank: acc(6),
            grace: acc(7),
            heidi: acc(8),
            ivan: acc(9),
            judy: acc(10),
            mallory: acc(11),
            extra: users[STORY_USERS.len()..]
                .iter()
                .map(|u| u.account_id.clone())
                .collect(),
        }
    }
}

/// The six story groups, then `n_groups - 6` generated teams.
pub(super) fn groups(
    rng: &mut ChaCha8Rng,
    n_groups: usize,
    users: &[User],
    cast: &Cast,
) -> Vec<Group> {
    let Cast {
        admin,
        alice,
        bob,
        carol,
        dave,
        erin,
        ivan,
        judy,
        mallory,
        extra: extra_users,
        ..
    } = cast;
    let mut groups = Vec::with_capacity(n_groups);
    let mut jira_users_members: Vec<String> = users
        .iter()
        .filter(|u| &u.account_id != mallory)
        .map(|u| u.account_id.clone())
        .collect();
    jira_users_members.sort_by_key(|a| users.iter().position(|u| &u.account_id == a));
    let story_groups: [(&str, Vec<String>); 6] = [
        ("jira-users", jira_users_members),
        ("jira-admins", vec![admin.clone()]),
        (
            "engineering",
            vec![alice.clone(), bob.clone(), carol.clone(), ivan.clone()],
        ),
        ("security-team", vec![carol.clone(), dave.clone()]),
        ("ops-team", vec![erin.clone()]),
        ("service-desk-agents", vec![mallory.clone(), judy.clone()]),
    ];
    for (name, members) in story_groups {
        groups.push(Group {
            group_id: uuid_like(rng),
            name: name.into(),
            members,
        });
    }
    const GROUP_WORDS: [&str; 12] = [
        "frontend", "backend", "platform", "data", "design", "finance", "legal", "sales",
        "support", "mobile", "qa", "growth",
    ];
    for i in 6..n_groups {
        let want = extra_users.len().min(rng.gen_range(3..12));
        let mut members: Vec<String> = extra_users.choose_multiple(rng, want).cloned().collect();
        if rng.gen_bool(0.3) {
            members.push(
                pick(
                    rng,
                    &[alice.clone(), bob.clone(), dave.clone(), judy.clone()],
                )
                .clone(),
            );
        }
        groups.push(Group {
            group_id: uuid_like(rng),
            name: format!("team-{}-{}", GROUP_WORDS[i % GROUP_WORDS.len()], i),
            members,
        });
    }
    groups
}

/// The group ids of the story groups.
pub(super) struct GroupIds {
    pub(super) users: String,
    pub(super) admins: String,
    pub(super) eng: String,
    pub(super) sec: String,
    pub(super) ops: String,
    pub(super) sd: String,
}

impl GroupIds {
    /// Finds the story groups by name (an empty id when missing).
    pub(super) fn of(groups: &[Group]) -> GroupIds {
        let gid = |name: &str| -> String {
            groups
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.group_id.clone())
                .unwrap_or_default()
        };
        GroupIds {
            users: gid("jira-users"),
            admins: gid("jira-admins"),
            eng: gid("engineering"),
            sec: gid("security-team"),
            ops: gid("ops-team"),
            sd: gid("service-desk-agents"),
        }
    }
}

/// Jira Software (jira-users, jira-admins) and Jira Service Management
/// (service-desk-agents).
pub(super) fn application_roles(g: &GroupIds) -> Vec<ApplicationRole> {
    let (g_users, g_admins, g_sd) = (&g.users, &g.admins, &g.sd);
    vec![
        ApplicationRole {
            key: APP_SOFTWARE.into(),
            name: "Jira Software".into(),
            group_ids: vec![g_users.clone(), g_admins.clone()],
            default_group_ids: vec![g_users.clone()],
        },
        ApplicationRole {
            key: APP_SERVICEDESK.into(),
            name: "Jira Service Management".into(),
            group_ids: vec![g_sd.clone()],
            default_group_ids: vec![g_sd.clone()],
        },
    ]
}

/// Non-human accounts every real site has: an app (no email, never a person) and a
/// service-desk customer (portal only, no product access).
pub(super) fn app_and_customer() -> [User; 2] {
    [
        User {
            account_id: "557058:0a0a0a0a-app0-4000-8000-automation01".into(),
            account_type: "app".into(),
            email: String::new(),
            email_visible: false,
            display_name: "Automation for Jira".into(),
            active: true,
            time_zone: "UTC".into(),
        },
        User {
            account_id: "qm:0c0c0c0c-cust-4000-8000-customer0001".into(),
            account_type: "customer".into(),
            email: "customer.one@client.example".into(),
            email_visible: true,
            display_name: "Customer One".into(),
            active: true,
            time_zone: "UTC".into(),
        },
    ]
}

/// The accounts added after the generated ones (fixed ids): people without product
/// access, a Jira administrator, an app showing a person's email, more customers.
pub(super) fn late_accounts() -> Vec<User> {
    let person = |id: &str, name: &str, local: &str| User {
        account_id: id.into(),
        account_type: "atlassian".into(),
        email: format!("{local}@example.com"),
        email_visible: true,
        display_name: name.into(),
        active: true,
        time_zone: "UTC".into(),
    };
    let other = |id: &str, kind: &str, name: &str, email: &str, visible: bool| User {
        account_id: id.into(),
        account_type: kind.into(),
        email: email.into(),
        email_visible: visible,
        display_name: name.into(),
        active: true,
        time_zone: "UTC".into(),
    };
    vec![
        person(ACCOUNT_TRENT, "Trent Walker", "trent"),
        person(ACCOUNT_PEGGY, "Peggy Olsen", "peggy"),
        person(ACCOUNT_VICTOR, "Victor Hale", "victor"),
        other(
            ACCOUNT_MAIL_APP,
            "app",
            "Mail Handler",
            "grace@example.com",
            true,
        ),
        other(
            "qm:0c0c0c0c-cust-4000-8000-customer0002",
            "customer",
            "Customer Two",
            "customer.two@client.example",
            true,
        ),
        other(
            "qm:0c0c0c0c-cust-4000-8000-customer0003",
            "customer",
            "Customer Three",
            "customer.three@client.example",
            false,
        ),
    ]
}

/// Trent and Peggy: in groups with BROWSE grants and role actors, no application role.
/// Victor: a Jira administrator with product access and no project role.
pub(super) fn add_late_memberships(groups: &mut Vec<Group>, g: &GroupIds) {
    let (trent, peggy, victor) = (
        ACCOUNT_TRENT.to_string(),
        ACCOUNT_PEGGY.to_string(),
        ACCOUNT_VICTOR.to_string(),
    );
    let add = |groups: &mut Vec<Group>, group_id: &str, account: &str| {
        if let Some(g) = groups.iter_mut().find(|g| g.group_id == group_id)
            && !g.members.iter().any(|m| m == account)
        {
            g.members.push(account.to_string());
        }
    };
    add(groups, &g.eng, &trent);
    add(groups, &g.ops, &trent);
    add(groups, &g.sec, &peggy);
    add(groups, &g.ops, &peggy);
    add(groups, &g.users, &victor);
    add(groups, &g.admins, &victor);
    if let Some(team) = groups.get(6).map(|g| g.group_id.clone()) {
        add(groups, &team, &trent);
    }
}
