//! How an `AppError` looks to a GraphQL client: a sentence in `message`, the stable code in
//! `extensions.code`, and for bad input the offending field in `extensions.field`.

use async_graphql::ErrorExtensions;

use crate::error::AppError;

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        let code = error.code();
        let field = error.field().map(str::to_owned);
        async_graphql::Error::new(error.message()).extend_with(|_, extensions| {
            extensions.set("code", code);
            if let Some(field) = field {
                extensions.set("field", field);
            }
        })
    }
}
