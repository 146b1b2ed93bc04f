//! GraphiQL at `GET /graphql`, with every file it needs served by Pyramid itself.

use crate::helpers::TestApp;

/// The values of every `src="…"` and `href="…"` attribute in a page.
fn references(page: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for attribute in [" src=\"", " href=\""] {
        let mut rest = page;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("attribute values are quoted");
            found.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test]
async fn graphiql_is_served_with_everything_it_loads() {
    let app = TestApp::spawn().await;
    let response = app.get("/graphql").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<title>Pyramid</title>"));
    assert!(page.contains(r#"{"Authorization": "Bearer pyr_…"}"#));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page loads nothing from elsewhere:\n{page}"
    );

    let references = references(&page);
    assert_eq!(references.len(), 4, "{references:?}");
    for path in references {
        assert!(path.starts_with("/graphiql/"), "{path}");
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let header = |name: &str| {
            response.headers()[name]
                .to_str()
                .expect("a text header")
                .to_owned()
        };
        let content_type = header("content-type");
        let expected = if path.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(content_type.starts_with(expected), "{path}: {content_type}");
        assert!(header("cache-control").contains("immutable"), "{path}");
        let body = response.bytes().await.unwrap();
        assert!(body.len() > 1_000, "{path} has a body");
    }
}

#[tokio::test]
async fn an_unknown_graphiql_file_is_not_found() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.get("/graphiql/graphiql-0.0.0/graphiql.min.js")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("/graphiql/graphiql-3.8.3/graphiql.js")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_root_sends_people_to_graphiql() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/graphql");
}
