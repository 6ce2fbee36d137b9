//! The tenant livechat family (seed 002, SPEC §3) under `/api/livechat` and
//! `/api/vendor/livechat`. Every response is the `APIResponse<T>` envelope.
//! Not built yet: every route answers 404 in the envelope until the tenant issue lands.

use super::{envelope, Ctx};
use crate::error::Error;
use rouille::Response;

pub fn route(ctx: &Ctx, _segs: &[&str]) -> Response {
    envelope::error(&Error::NotFound("Route"), ctx.request_id)
}
