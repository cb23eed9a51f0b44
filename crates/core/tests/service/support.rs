//! Fixtures shared by the service tests: a user, a workspace, a key request, a date.

use chrono::NaiveDate;
use keydesk_core::model::*;
use keydesk_core::{Actor, NewUser};
use uuid::Uuid;

use crate::common::Env;

pub async fn add_user(env: &Env, email: &str, role: OrgRole) -> Actor {
    let u = env.svc.create_user(&env.admin, NewUser { email: email.into(), name: email.into(), org_role: role }).await.unwrap();
    env.svc.actor(u.id).await.unwrap()
}

pub async fn workspace(env: &Env, name: &str) -> Workspace {
    env.svc.create_workspace(&env.admin, NewWorkspace { name: name.into(), ..Default::default() }).await.unwrap()
}

pub fn new_key(ws: Uuid, name: &str) -> NewKey {
    NewKey { workspace_id: ws, name: Some(name.into()), ..Default::default() }
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
