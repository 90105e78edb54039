//! A provider with no configuration, resources or data sources: what `main` serves until the real
//! sovereign provider is wired in, and a minimal example of the [`Provider`] trait.

use std::sync::Arc;

use async_trait::async_trait;

use super::diagnostics::Diagnostics;
use super::schema::{Block, Schema};
use super::traits::{DataSource, Provider, ProviderData, Resource};
use super::value::Value;

pub struct EmptyProvider;

pub struct EmptyData;

impl ProviderData for EmptyData {}

#[async_trait]
impl Provider for EmptyProvider {
    type Data = EmptyData;

    fn type_name(&self) -> &'static str {
        "sovereign"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }

    async fn configure(
        &self,
        _tf: &str,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<EmptyData> {
        Some(EmptyData)
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<EmptyData>>> {
        Vec::new()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<EmptyData>>> {
        Vec::new()
    }
}
