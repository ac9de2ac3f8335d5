//! Saved views of the console's pages (`/api/v1/views`): a name, the page and its query
//! parameters, private to their owner or shared with the tenant. Every change writes its audit
//! entry (`view.create`, `view.update`, `view.delete`) in the same transaction.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::AssertSqlSafe;
use vigil_api_types::console::{MAX_VIEWS_PER_OWNER, NewView, SavedView, ViewUpdate};

use crate::db::{DbRow, on_db};
use crate::respond_tx::{Actor, RespondTx};
use crate::{State, StateError, time};

const VIEW_COLUMNS: &str = "id, owner, name, page, query, shared, created, updated";

/// A fresh view id: `view-` and 16 hexadecimal digits.
fn new_view_id() -> Result<String, StateError> {
    Ok(format!("view-{}", hex::encode(crate::tokens::random::<8>()?)))
}

fn view_from_row(row: &impl DbRow) -> Result<SavedView, StateError> {
    let query: BTreeMap<String, String> =
        serde_json::from_str(&row.text("query")?).map_err(|e| StateError::Corrupt(format!("view query: {e}")))?;
    Ok(SavedView {
        id: row.text("id")?,
        name: row.text("name")?,
        page: row.text("page")?,
        query,
        shared: row.int("shared")? != 0,
        owner: row.text("owner")?,
        created: row.instant("created")?,
        updated: row.instant("updated")?,
    })
}

fn query_text(query: &BTreeMap<String, String>) -> String {
    serde_json::to_string(query).unwrap_or_else(|_| "{}".into())
}

fn duplicate(name: &str) -> StateError {
    StateError::Conflict(format!("you have a view named `{name}` on this page already"))
}

impl State {
    /// The views of `page` (all pages when `None`) that `owner` sees in `tenant`: its own and the
    /// shared ones, by name.
    pub async fn list_views(
        &self,
        tenant: &str,
        owner: &str,
        page: Option<&str>,
    ) -> Result<Vec<SavedView>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {VIEW_COLUMNS} FROM saved_views WHERE tenant = $1 AND (owner = $2 OR shared = 1) \
             AND ($3 = '' OR page = $3) ORDER BY name, seq"
        ));
        on_db!(self, db => {
            let rows = sqlx::query(sql)
                .bind(tenant)
                .bind(owner)
                .bind(page.unwrap_or(""))
                .fetch_all(&db.reader)
                .await?;
            rows.iter().map(view_from_row).collect()
        })
    }

    /// `tenant`'s view `id` if `owner` sees it (its own or shared); `None` otherwise.
    pub async fn get_view(&self, tenant: &str, owner: &str, id: &str) -> Result<Option<SavedView>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {VIEW_COLUMNS} FROM saved_views WHERE id = $1 AND tenant = $2 AND (owner = $3 OR shared = 1)"
        ));
        on_db!(self, db => {
            let row = sqlx::query(sql).bind(id).bind(tenant).bind(owner).fetch_optional(&db.reader).await?;
            row.as_ref().map(view_from_row).transpose()
        })
    }

    /// Saves `view` for `who` in `tenant` (audited as `who.audit`, target `view:<id>`).
    /// [`StateError::Conflict`] when `who` has a view of that name on the page, or
    /// [`MAX_VIEWS_PER_OWNER`] views.
    pub async fn create_view(&self, tenant: &str, view: &NewView, who: &Actor) -> Result<SavedView, StateError> {
        view.check().map_err(StateError::InvalidInput)?;
        let at = who.at();
        let saved = SavedView {
            id: new_view_id()?,
            name: view.name.clone(),
            page: view.page.clone(),
            query: view.query.clone(),
            shared: view.shared,
            owner: who.id.clone(),
            created: at,
            updated: at,
        };
        let entry = who
            .audit
            .clone()
            .with_target(format!("view:{}", saved.id))
            .with_at(at)
            .with_detail(json!({"name": saved.name, "page": saved.page, "shared": saved.shared, "query": saved.query}));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let (owned, same): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COUNT(CASE WHEN page = $3 AND name = $4 THEN 1 END) FROM saved_views \
                 WHERE tenant = $1 AND owner = $2",
            )
            .bind(tenant)
            .bind(&saved.owner)
            .bind(&saved.page)
            .bind(&saved.name)
            .fetch_one(&mut *tx)
            .await?;
            if same > 0 {
                return Err(duplicate(&saved.name));
            }
            if u64::try_from(owned).unwrap_or(0) >= MAX_VIEWS_PER_OWNER {
                return Err(StateError::Conflict(format!(
                    "you have {MAX_VIEWS_PER_OWNER} saved views, the most one owner keeps: delete one first"
                )));
            }
            sqlx::query(
                "INSERT INTO saved_views (id, tenant, owner, name, page, query, shared, created, updated) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            )
            .bind(&saved.id)
            .bind(tenant)
            .bind(&saved.owner)
            .bind(&saved.name)
            .bind(&saved.page)
            .bind(query_text(&saved.query))
            .bind(i64::from(saved.shared))
            .bind(time::to_db(at))
            .execute(&mut *tx)
            .await?;
            tx.audit(entry).await?;
            tx.commit().await?;
            Ok(saved)
        })
    }

    /// Changes `who`'s own view `id` in `tenant` (audited). `None` when `who` has no such view —
    /// another's view, shared or not, is changed by its owner only.
    pub async fn update_view(
        &self,
        tenant: &str,
        id: &str,
        update: &ViewUpdate,
        who: &Actor,
    ) -> Result<Option<SavedView>, StateError> {
        update.check().map_err(StateError::InvalidInput)?;
        let at = who.at();
        let select = AssertSqlSafe(format!(
            "SELECT {VIEW_COLUMNS} FROM saved_views WHERE id = $1 AND tenant = $2 AND owner = $3"
        ));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let row = sqlx::query(select).bind(id).bind(tenant).bind(&who.id).fetch_optional(&mut *tx).await?;
            let Some(mut view) = row.as_ref().map(view_from_row).transpose()? else {
                return Ok(None);
            };
            if let Some(name) = update.name.as_ref().filter(|n| **n != view.name) {
                let taken: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM saved_views WHERE tenant = $1 AND owner = $2 AND page = $3 AND name = $4",
                )
                .bind(tenant)
                .bind(&who.id)
                .bind(&view.page)
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
                if taken > 0 {
                    return Err(duplicate(name));
                }
                view.name.clone_from(name);
            }
            if let Some(query) = &update.query {
                view.query.clone_from(query);
            }
            if let Some(shared) = update.shared {
                view.shared = shared;
            }
            view.updated = at;
            sqlx::query("UPDATE saved_views SET name = $1, query = $2, shared = $3, updated = $4 WHERE id = $5")
                .bind(&view.name)
                .bind(query_text(&view.query))
                .bind(i64::from(view.shared))
                .bind(time::to_db(at))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let entry = who.audit.clone().with_target(format!("view:{id}")).with_at(at).with_detail(
                json!({"name": update.name, "shared": update.shared, "query": update.query}),
            );
            tx.audit(entry).await?;
            tx.commit().await?;
            Ok(Some(view))
        })
    }

    /// Deletes `tenant`'s view `id` (audited): `who`'s own, or — with `may_delete_shared` — a
    /// shared one of another owner. `None` when there is no such view `who` may delete.
    pub async fn delete_view(
        &self,
        tenant: &str,
        id: &str,
        who: &Actor,
        may_delete_shared: bool,
    ) -> Result<Option<SavedView>, StateError> {
        let at = who.at();
        let select = AssertSqlSafe(format!(
            "SELECT {VIEW_COLUMNS} FROM saved_views WHERE id = $1 AND tenant = $2 AND (owner = $3 OR shared = $4)"
        ));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let row = sqlx::query(select)
                .bind(id)
                .bind(tenant)
                .bind(&who.id)
                .bind(if may_delete_shared { 1_i64 } else { 2 })
                .fetch_optional(&mut *tx)
                .await?;
            let Some(view) = row.as_ref().map(view_from_row).transpose()? else {
                return Ok(None);
            };
            sqlx::query("DELETE FROM saved_views WHERE id = $1").bind(id).execute(&mut *tx).await?;
            let entry = who.audit.clone().with_target(format!("view:{id}")).with_at(at).with_detail(
                json!({"name": view.name, "page": view.page, "owner": view.owner, "shared": view.shared}),
            );
            tx.audit(entry).await?;
            tx.commit().await?;
            Ok(Some(view))
        })
    }
}
