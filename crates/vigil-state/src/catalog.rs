//! What the rule catalog (`GET /api/v1/rules/catalog`) reads beside the KPIs' per-rule counts:
//! each rule's newest alert in a period.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::db::on_db;
use crate::{State, StateError, time};

impl State {
    /// `tenant`'s newest alert detection time per rule id, over alerts detected in `[from, to)`.
    pub async fn last_alert_by_rule(
        &self,
        tenant: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<HashMap<String, Timestamp>, StateError> {
        let rows: Vec<(String, i64)> = on_db!(self, db => {
            sqlx::query_as(
                "SELECT rule_id, MAX(detected) FROM alerts WHERE tenant = $1 AND detected >= $2 AND detected < $3 \
                 GROUP BY rule_id",
            )
            .bind(tenant)
            .bind(time::to_db(from))
            .bind(time::to_db(to))
            .fetch_all(&db.reader)
            .await?
        });
        rows.into_iter()
            .map(|(rule, at)| Ok((rule, time::from_db(at)?)))
            .collect()
    }
}
