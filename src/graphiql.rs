//! GraphiQL, served from the binary: the page at `GET /graphql` and its pinned scripts and
//! styles under `/graphiql/`, so it works offline and behind proxies that block CDNs. The files
//! are `assets/graphiql/` (versions, sources, licences and checksums in its README.md).

use poem::http::{StatusCode, header};
use poem::web::{Html, Path};
use poem::{Endpoint, IntoResponse, Response, Route, get, handler};

/// The page: React, ReactDOM and GraphiQL from `/graphiql/`, queries to `/graphql`.
const PAGE: &str = include_str!("../assets/graphiql/index.html");

/// A file under `/graphiql/`. The version is in the path, so a browser may keep it for ever.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        path: "graphiql-3.8.3/graphiql.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../assets/graphiql/graphiql-3.8.3/graphiql.min.js"),
    },
    Asset {
        path: "graphiql-3.8.3/graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/graphiql/graphiql-3.8.3/graphiql.min.css"),
    },
    Asset {
        path: "react-18.3.1/react.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../assets/graphiql/react-18.3.1/react.production.min.js"),
    },
    Asset {
        path: "react-dom-18.3.1/react-dom.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../assets/graphiql/react-dom-18.3.1/react-dom.production.min.js"),
    },
];

/// The GraphiQL page. It is small and names the versions of its files, so it is never cached.
pub fn page() -> Response {
    Html(PAGE)
        .with_header(header::CACHE_CONTROL, "no-cache")
        .into_response()
}

/// The routes to nest at `/graphiql`.
pub fn assets() -> impl Endpoint {
    Route::new().at("/*path", get(asset))
}

#[handler]
fn asset(Path(path): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.path == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    Response::builder()
        .content_type(asset.content_type)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(asset.body)
}
