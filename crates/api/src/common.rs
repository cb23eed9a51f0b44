//! Shapes every area shares: the error body, deletion answers, page
//! parameters, health.

use serde::{Deserialize, Serialize};

use crate::*;

/// Every refusal of the Admin API: `{"error": {"code", "message", "field"}}`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// `validation`, `not_found`, `conflict`, `forbidden`, `unauthorized` or `internal`.
    pub code: String,
    pub message: String,
    /// The input field the error is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteOut {
    pub message: String,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteApiKeyOut {
    pub detail: String,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PageParams {
    /// Page number to return (from 1).
    pub page: Option<i64>,
    /// Maximum number of results per page.
    pub page_size: Option<i64>,
}

/// Largest `page_size` accepted.
pub const MAX_PAGE_SIZE: i64 = 1000;

impl PageParams {
    /// `(page, page_size, offset)`, validated.
    pub fn resolve(&self) -> Result<(i64, i64, usize), FieldError> {
        let page = self.page.unwrap_or(1);
        let size = self.page_size.unwrap_or(25);
        if page < 1 {
            return Err(FieldError::new("page", "page must be 1 or more"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(FieldError::new("page_size", format!("page_size must be between 1 and {MAX_PAGE_SIZE}")));
        }
        let offset = (page - 1).saturating_mul(size);
        Ok((page, size, usize::try_from(offset).unwrap_or(usize::MAX)))
    }
}

pub fn page_of<T: Clone>(items: &[T], offset: usize, size: i64) -> Vec<T> {
    items.iter().skip(offset).take(size as usize).cloned().collect()
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthOut {
    pub status: String,
}
