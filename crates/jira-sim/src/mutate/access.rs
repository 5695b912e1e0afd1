//! Mutations of who may see what: group membership, the connector's *Administer
//! Jira*, users' email visibility and activity, project archiving, BROWSE_PROJECTS
//! grants and project role actors.

use super::error::MutationError;
use crate::model::{Holder, PermissionGrant, RoleActor, Workspace};

impl Workspace {
    /// Adds a user to a group (no-op when already a member).
    pub fn add_group_member(
        &mut self,
        group_id: &str,
        account_id: &str,
    ) -> Result<(), MutationError> {
        self.require_user(account_id)?;
        let g = self.group_index(group_id)?;
        if !self.groups[g].members.iter().any(|m| m == account_id) {
            self.groups[g].members.push(account_id.to_string());
            let now = self.now();
            let (gid, name) = (self.groups[g].group_id.clone(), self.groups[g].name.clone());
            self.audit(
                now,
                "User added to group",
                "group management",
                (&gid, &name, "GROUP"),
                None,
                vec![("member".into(), String::new(), account_id.into())],
            );
        }
        Ok(())
    }

    /// Grants or takes back the connector's *Administer Jira* global permission, with
    /// the audit record Jira writes for a global permission change (category
    /// "permissions"), so that an identity sync reading the audit log sees it.
    pub fn set_connector_administers_jira(&mut self, administers: bool) {
        if self.connector_administers_jira == administers {
            return;
        }
        self.connector_administers_jira = administers;
        let now = self.now();
        let admin = self.admin_account_id.clone();
        let summary = if administers {
            "Global permission added"
        } else {
            "Global permission deleted"
        };
        self.audit(
            now,
            summary,
            "permissions",
            ("ADMINISTER", "Administer Jira", "PERMISSIONS"),
            None,
            vec![("user".into(), String::new(), admin)],
        );
    }

    /// Removes a user from a group.
    pub fn remove_group_member(
        &mut self,
        group_id: &str,
        account_id: &str,
    ) -> Result<(), MutationError> {
        let g = self.group_index(group_id)?;
        let before = self.groups[g].members.len();
        self.groups[g].members.retain(|m| m != account_id);
        if self.groups[g].members.len() != before {
            let now = self.now();
            let (gid, name) = (self.groups[g].group_id.clone(), self.groups[g].name.clone());
            self.audit(
                now,
                "User removed from group",
                "group management",
                (&gid, &name, "GROUP"),
                None,
                vec![("member".into(), account_id.into(), String::new())],
            );
        }
        Ok(())
    }

    /// Hides (or shows) a user's email in API responses.
    pub fn set_email_visible(
        &mut self,
        account_id: &str,
        visible: bool,
    ) -> Result<(), MutationError> {
        self.user_mut(account_id)?.email_visible = visible;
        Ok(())
    }

    /// Hides a user's email.
    pub fn hide_email(&mut self, account_id: &str) -> Result<(), MutationError> {
        self.set_email_visible(account_id, false)
    }

    /// Activates or deactivates a user.
    pub fn set_user_active(&mut self, account_id: &str, active: bool) -> Result<(), MutationError> {
        self.user_mut(account_id)?.active = active;
        let now = self.now();
        let name = self
            .user(account_id)
            .map(|u| u.display_name.clone())
            .unwrap_or_default();
        let summary = if active {
            "User activated"
        } else {
            "User deactivated"
        };
        self.audit(
            now,
            summary,
            "user management",
            (account_id, &name, "USER"),
            None,
            vec![],
        );
        Ok(())
    }

    /// Archives or restores a project.
    pub fn set_project_archived(
        &mut self,
        project_key: &str,
        archived: bool,
    ) -> Result<(), MutationError> {
        let now = self.now();
        let p = self
            .projects
            .iter_mut()
            .find(|p| p.key.eq_ignore_ascii_case(project_key) || p.id == project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?;
        p.archived = archived;
        let (id, name) = (p.id.clone(), p.name.clone());
        let summary = if archived {
            "Project archived"
        } else {
            "Project restored"
        };
        self.audit(
            now,
            summary,
            "projects",
            (&id, &name, "PROJECT"),
            None,
            vec![],
        );
        Ok(())
    }

    /// Adds a BROWSE_PROJECTS grant to a classic project's permission scheme.
    pub fn add_browse_grant(
        &mut self,
        project_key: &str,
        holder: Holder,
    ) -> Result<String, MutationError> {
        let scheme_id = self
            .project_by_id_or_key(project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?
            .permission_scheme_id
            .clone()
            .ok_or_else(|| MutationError::NoPermissionScheme(project_key.to_string()))?;
        let id = self.fresh_id().to_string();
        let now = self.now();
        let s = self
            .permission_schemes
            .iter_mut()
            .find(|s| s.id == scheme_id)
            .ok_or_else(|| MutationError::NoPermissionScheme(project_key.to_string()))?;
        s.grants.push(PermissionGrant {
            id: id.clone(),
            permission: "BROWSE_PROJECTS".into(),
            holder,
        });
        let name = s.name.clone();
        self.audit(
            now,
            "Permission scheme updated",
            "permissions",
            (&scheme_id, &name, "SCHEME"),
            None,
            vec![],
        );
        Ok(id)
    }

    /// Removes every BROWSE_PROJECTS grant equal to `holder` from the project's scheme.
    pub fn remove_browse_grant(
        &mut self,
        project_key: &str,
        holder: &Holder,
    ) -> Result<usize, MutationError> {
        let scheme_id = self
            .project_by_id_or_key(project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?
            .permission_scheme_id
            .clone()
            .ok_or_else(|| MutationError::NoPermissionScheme(project_key.to_string()))?;
        let now = self.now();
        let s = self
            .permission_schemes
            .iter_mut()
            .find(|s| s.id == scheme_id)
            .ok_or_else(|| MutationError::NoPermissionScheme(project_key.to_string()))?;
        let before = s.grants.len();
        s.grants
            .retain(|g| !(g.permission == "BROWSE_PROJECTS" && &g.holder == holder));
        let removed = before - s.grants.len();
        let name = s.name.clone();
        self.audit(
            now,
            "Permission scheme updated",
            "permissions",
            (&scheme_id, &name, "SCHEME"),
            None,
            vec![],
        );
        Ok(removed)
    }

    /// Adds an actor to a project role.
    pub fn add_role_actor(
        &mut self,
        project_key: &str,
        role_id: &str,
        actor: RoleActor,
    ) -> Result<(), MutationError> {
        if self.role_def(role_id).is_none() {
            return Err(MutationError::UnknownRole(role_id.to_string()));
        }
        let now = self.now();
        let p = self
            .projects
            .iter_mut()
            .find(|p| p.key.eq_ignore_ascii_case(project_key) || p.id == project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?;
        let actors = p.role_actors.entry(role_id.to_string()).or_default();
        if !actors.contains(&actor) {
            actors.push(actor);
        }
        let (id, name) = (p.id.clone(), p.name.clone());
        self.audit(
            now,
            "Project roles changed",
            "projects",
            (&id, &name, "PROJECT"),
            None,
            vec![],
        );
        Ok(())
    }

    /// Removes an actor from a project role.
    pub fn remove_role_actor(
        &mut self,
        project_key: &str,
        role_id: &str,
        actor: &RoleActor,
    ) -> Result<(), MutationError> {
        let now = self.now();
        let p = self
            .projects
            .iter_mut()
            .find(|p| p.key.eq_ignore_ascii_case(project_key) || p.id == project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?;
        if let Some(a) = p.role_actors.get_mut(role_id) {
            a.retain(|x| x != actor);
        }
        let (id, name) = (p.id.clone(), p.name.clone());
        self.audit(
            now,
            "Project roles changed",
            "projects",
            (&id, &name, "PROJECT"),
            None,
            vec![],
        );
        Ok(())
    }
}
