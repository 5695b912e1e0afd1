//! Users as Jira writes them: a full user ([`UserOut`]) or a reference by account id
//! ([`UserRef`]).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::model::{User, Workspace};

/// A user as Jira writes one (`emailAddress` only when the profile shows it).
pub struct UserOut<'a> {
    /// Base URL of the simulator, for `self` links.
    pub base: &'a str,
    /// The user.
    pub user: &'a User,
}

impl Serialize for UserOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let u = self.user;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "self",
            &format!("{}/rest/api/3/user?accountId={}", self.base, u.account_id),
        )?;
        m.serialize_entry("accountId", &u.account_id)?;
        m.serialize_entry("accountType", &u.account_type)?;
        m.serialize_entry(
            "avatarUrls",
            &AvatarUrls(&u.account_id[..u.account_id.len().min(6)]),
        )?;
        m.serialize_entry("displayName", &u.display_name)?;
        m.serialize_entry("active", &u.active)?;
        m.serialize_entry("timeZone", &u.time_zone)?;
        if u.email_visible {
            m.serialize_entry("emailAddress", &u.email)?;
        }
        m.end()
    }
}

struct AvatarUrls<'a>(&'a str);

impl Serialize for AvatarUrls<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        for (key, size) in [("48x48", 48), ("24x24", 24), ("16x16", 16), ("32x32", 32)] {
            m.serialize_entry(
                key,
                &format!(
                    "https://avatar-management.example.com/initials/{}.png?size={size}",
                    self.0
                ),
            )?;
        }
        m.end()
    }
}

/// A user by account id, or `null` when there is none (or it is unknown).
pub struct UserRef<'a> {
    /// Base URL of the simulator, for `self` links.
    pub base: &'a str,
    /// The workspace the account is looked up in.
    pub ws: &'a Workspace,
    /// The account, if any.
    pub account_id: Option<&'a str>,
}

impl Serialize for UserRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.account_id.and_then(|a| self.ws.user(a)) {
            Some(user) => UserOut {
                base: self.base,
                user,
            }
            .serialize(s),
            None => s.serialize_unit(),
        }
    }
}
