//! What every handler shares: the live workspace and the server's state
//! ([`AppState`]), with the cache of JQL result orders and the index of attachments.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use crate::faults::FaultState;
use crate::jql::{self, Jql};
use crate::model::{Attachment, Workspace};
use crate::oauth::OAuthState;

/// The result order of recent JQL queries, so that paging through a large result is
/// one sort, not one per page. An entry is used only while the workspace's stamp is
/// unchanged (every mutation changes it), so a change is seen by the next page.
#[derive(Default)]
pub(super) struct OrderCache {
    entries: std::sync::Mutex<Vec<CachedOrder>>,
}

/// (JQL fingerprint, workspace stamp, issue positions in result order).
type CachedOrder = (u64, WorkspaceStamp, Arc<Vec<usize>>);

/// What changes whenever issues, their times, or project archiving change.
#[derive(Clone, Copy, PartialEq, Eq)]
struct WorkspaceStamp {
    issues_ptr: usize,
    issues: usize,
    next_id: u64,
    audit: usize,
    updated_sum: i64,
    created_sum: i64,
    archived: u64,
}

impl WorkspaceStamp {
    fn of(ws: &Workspace) -> Self {
        let mut updated_sum = 0i64;
        let mut created_sum = 0i64;
        for i in &ws.issues {
            updated_sum = updated_sum.wrapping_add(i.updated.timestamp_millis());
            created_sum = created_sum.wrapping_add(i.created.timestamp_millis());
        }
        let archived = ws
            .projects
            .iter()
            .enumerate()
            .filter(|(_, p)| p.archived)
            .fold(0u64, |h, (n, _)| h.rotate_left(7) ^ (n as u64 + 1));
        WorkspaceStamp {
            issues_ptr: ws.issues.as_ptr() as usize,
            issues: ws.issues.len(),
            next_id: ws.next_id,
            audit: ws.audit_records.len(),
            updated_sum,
            created_sum,
            archived,
        }
    }
}

/// Queries remembered at once.
const ORDER_CACHE_SIZE: usize = 16;

impl OrderCache {
    pub(super) fn get_or_run(
        &self,
        ws: &Workspace,
        fingerprint: u64,
        query: &Jql,
    ) -> Result<Arc<Vec<usize>>, jql::JqlError> {
        let stamp = WorkspaceStamp::of(ws);
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, _, order)) = entries
                .iter()
                .find(|(fp, st, _)| *fp == fingerprint && *st == stamp)
            {
                return Ok(Arc::clone(order));
            }
        }
        let order = Arc::new(query.run_positions(ws)?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(fp, st, _)| *fp != fingerprint && *st == stamp);
        if entries.len() >= ORDER_CACHE_SIZE {
            entries.remove(0);
        }
        entries.push((fingerprint, stamp, Arc::clone(&order)));
        Ok(order)
    }
}

#[derive(Clone)]
pub(super) struct AppState {
    pub(super) ws: Arc<RwLock<Workspace>>,
    pub(super) requests: Arc<AtomicUsize>,
    pub(super) faults: Arc<FaultState>,
    pub(super) oauth: Arc<OAuthState>,
    pub(super) base: Arc<str>,
    pub(super) orders: Arc<OrderCache>,
    pub(super) attachments: Arc<AttachmentIndex>,
    pub(super) webhooks: Arc<crate::webhooks::Webhooks>,
}

/// Where each attachment is: id → (issue position, attachment position). Checked on
/// every use and rebuilt when it points elsewhere (issues added, moved or removed).
#[derive(Default)]
pub(super) struct AttachmentIndex {
    places: std::sync::Mutex<std::collections::HashMap<String, (usize, usize)>>,
}

impl AttachmentIndex {
    pub(super) fn find<'w>(&self, ws: &'w Workspace, id: &str) -> Option<&'w Attachment> {
        let at = |(i, a): (usize, usize)| {
            ws.issues
                .get(i)
                .and_then(|issue| issue.attachments.get(a))
                .filter(|att| att.id == id)
        };
        let mut places = self.places.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = places.get(id).copied().and_then(at) {
            return Some(found);
        }
        places.clear();
        for (i, issue) in ws.issues.iter().enumerate() {
            for (a, att) in issue.attachments.iter().enumerate() {
                places.insert(att.id.clone(), (i, a));
            }
        }
        places.get(id).copied().and_then(at)
    }
}

impl AppState {
    pub(super) fn read(&self) -> std::sync::RwLockReadGuard<'_, Workspace> {
        self.ws.read().unwrap_or_else(|e| e.into_inner())
    }
    pub(super) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}
