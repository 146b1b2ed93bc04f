//! The committed SDL is what the server serves.

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .unwrap_or_default();
    let served = pyramid::graphql::sdl();
    assert!(
        committed == served,
        "schema.graphql is out of date with the code. Regenerate it with:\n\n    cargo run -- schema > schema.graphql\n\nand review the difference before committing."
    );
}
