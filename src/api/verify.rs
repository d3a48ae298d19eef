//! `/log/verify`: the as-run log's hash chain checked by the daemon that holds the store
//! (what `loaxa log verify` asks while the daemon runs). A broken chain is still a 200: the
//! report is the answer, `broken` says where.

use axum::Json;
use axum::extract::State;

use super::{ApiResult, AppState};
use crate::store::ChainReport;

pub(super) async fn verify(State(state): State<AppState>) -> ApiResult<Json<ChainReport>> {
    let report = state.blocking(|st| Ok(st.store.verify_chain()?)).await?;
    Ok(Json(report))
}
