//! Spawns the real application on port 0 with a fresh database per test: a temporary SQLite
//! file, or, when `PYRAMID_TEST_DATABASE_URL` names a PostgreSQL server, a new database on it
//! that is dropped when the test ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pyramid::configuration::{DatabaseUrl, Settings};
use pyramid::domain::authz::{Actor, OrgRole};
use pyramid::domain::group::GroupKind;
use pyramid::domain::member::Role;
use pyramid::domain::{GroupId, MemberId};
use pyramid::services::{self, groups, members};
use pyramid::startup::Application;
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

/// A database made for one test, removed afterwards.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another handle on a database something else cleans up.
    Nothing,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let suffix: u64 = rand::rng().random();
        match std::env::var("PYRAMID_TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("pyramid_test_{suffix:x}");
                let admin = sea_orm::Database::connect(admin_url.as_str())
                    .await
                    .expect("PYRAMID_TEST_DATABASE_URL does not connect");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("could not create a test database");
                let (base, _) = admin_url
                    .rsplit_once('/')
                    .expect("a database URL has a path");
                TestDatabase {
                    url: DatabaseUrl::new(format!("{base}/{name}")).unwrap(),
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("pyramid-test-{suffix:x}.db"));
                TestDatabase {
                    url: DatabaseUrl::new(format!("sqlite://{}?mode=rwc", path.display())).unwrap(),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
        }
    }
}

impl TestDatabase {
    /// Whether the tests run on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.url.expose().starts_with("postgres")
    }

    /// Another handle on the same database, which does not drop it.
    pub fn share(&self) -> TestDatabase {
        TestDatabase {
            url: self.url.clone(),
            cleanup: Cleanup::Nothing,
        }
    }

    /// A handle on the same PostgreSQL database reached through `port` on 127.0.0.1 (a test's
    /// own proxy), which does not drop it.
    pub fn through_port(&self, port: u16) -> TestDatabase {
        let url = self.url.expose();
        let (scheme_and_user, rest) = url.rsplit_once('@').expect("a user in the URL");
        let (_, path) = rest.split_once('/').expect("a database in the URL");
        TestDatabase {
            url: DatabaseUrl::new(format!("{scheme_and_user}@127.0.0.1:{port}/{path}")).unwrap(),
            cleanup: Cleanup::Nothing,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Nothing => {}
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        if let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    statements: Arc<AtomicU64>,
    sign_ins: Arc<pyramid::sign_ins::SignIns>,
    /// The server's turns for GraphQL requests (`limits::Turns`).
    pub turns: Arc<pyramid::limits::Turns>,
    client: reqwest::Client,
    /// Kept so the database lives as long as the app.
    _database: TestDatabase,
}

/// A GraphQL response, split into data and errors.
#[derive(Debug)]
pub struct Gql {
    pub data: Value,
    pub errors: Vec<Value>,
}

impl Gql {
    /// The data, asserting there were no errors.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(
            self.errors.is_empty(),
            "unexpected errors: {:#?}",
            self.errors
        );
        self.data
    }

    /// The code of the only error, asserting there was exactly one.
    #[track_caller]
    pub fn code(&self) -> &str {
        assert_eq!(
            self.errors.len(),
            1,
            "expected one error, got {:#?}",
            self.errors
        );
        self.errors[0]["extensions"]["code"]
            .as_str()
            .expect("every error carries extensions.code")
    }

    #[track_caller]
    pub fn field(&self) -> &str {
        self.errors[0]["extensions"]["field"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn message(&self) -> &str {
        self.errors[0]["message"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let database = TestDatabase::create().await;
        Self::spawn_on(database).await
    }

    pub async fn spawn_on(database: TestDatabase) -> TestApp {
        Self::spawn_with(database, |_| {}).await
    }

    /// A test's own server with its settings changed by `adjust`. Tests send hundreds of
    /// requests a second from one address, so the request-rate limits are lifted unless a test
    /// sets them again.
    pub async fn spawn_with(database: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        if std::env::var("TEST_LOG").is_ok() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(std::env::var("TEST_LOG").unwrap_or_default())
                .with_test_writer()
                .try_init();
        }
        let mut settings = Settings::local(database.url.clone(), "127.0.0.1:0".parse().unwrap());
        settings.limits.requests_per_minute = 1_000_000;
        settings.limits.writes_per_minute = 1_000_000;
        adjust(&mut settings);
        let app = Application::build(&settings).await.expect("the app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let statements = app.statement_counter();
        let sign_ins = app.sign_ins();
        let turns = app.turns();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            db,
            statements,
            sign_ins,
            turns,
            client: reqwest::Client::new(),
            _database: database,
        }
    }

    /// Another handle on this app's database, for a second server on the same data.
    pub fn database(&self) -> TestDatabase {
        self._database.share()
    }

    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body: Value = request
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("GraphQL answers JSON");
        Gql {
            data: body["data"].clone(),
            errors: body["errors"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// POSTs `body` to `/graphql` as it is, with this content type (none when `None`).
    pub async fn post_raw(
        &self,
        body: impl Into<reqwest::Body>,
        content_type: Option<&str>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the server answers")
    }

    /// SQL statements run so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::SeqCst)
    }

    /// Whether this server remembers sign-ins now (on PostgreSQL, once it hears its listener).
    pub fn remembers_sign_ins(&self) -> bool {
        self.sign_ins.remembering()
    }

    /// Waits at most `wait` for the server to hear its sign-ins listener (PostgreSQL only).
    pub async fn hears_sign_ins_within(&self, wait: std::time::Duration) -> bool {
        self.sign_ins.hearing_within(wait).await
    }

    /// The statements a request spends on a token this server has seen before: none on
    /// PostgreSQL, which tells it of every change; one on SQLite, which reads it every time.
    pub fn sign_in_statements(&self) -> u64 {
        if self.remembers_sign_ins() { 0 } else { 1 }
    }

    /// Waits until this server has heard every change committed so far: a membership changed
    /// beside it (through a service, as another process would) reaches it with PostgreSQL's
    /// notification, a moment later, as it would reach any other instance.
    pub async fn settle(&self) {
        self.sign_ins.settle().await;
    }

    /// Signs in once with `token`, so that later requests cost what a regular caller's do.
    pub async fn seen(&self, token: Option<&str>) {
        self.graphql(token, "{ __typename }", json!({})).await.ok();
    }

    /// Issues a token for a member directly through the service.
    pub async fn token_for(&self, member: MemberId) -> String {
        services::tokens::create(&self.db, &Actor::System, member, "test")
            .await
            .expect("token")
            .secret
    }
}

/// Global ids as GraphQL shows them.
pub fn gid(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// A small pyramid for tests: a council, two districts with two PPGs each, and people in
/// each role with tokens.
pub struct Pyramid {
    pub council: GroupId,
    pub districts: [GroupId; 2],
    /// `ppgs[d]` are the PPGs of `districts[d]`.
    pub ppgs: [[GroupId; 2]; 2],
    pub admin: Person,
    pub commissioner: Person,
    /// Secretary of `districts[0]`.
    pub district_secretary: Person,
    /// A plain member of `ppgs[0][0]`.
    pub ppg_member: Person,
    /// Another plain member of `ppgs[0][0]`.
    pub other_member: Person,
    /// Chair of `ppgs[0][0]`.
    pub ppg_chair: Person,
    /// Chair of `ppgs[0][1]`, the district's other PPG.
    pub north_b_chair: Person,
    /// Chair of the council.
    pub council_chair: Person,
    /// A member of `ppgs[1][0]`, in the other district.
    pub south_member: Person,
}

pub struct Person {
    pub id: MemberId,
    pub token: String,
}

impl Person {
    pub fn gid(&self) -> String {
        gid("Member", self.id.0)
    }

    pub fn token(&self) -> Option<&str> {
        Some(&self.token)
    }
}

impl Pyramid {
    pub async fn build(app: &TestApp) -> Pyramid {
        let db = &app.db;
        let system = Actor::System;
        let group = |kind, name: &str, parent: Option<GroupId>, code: Option<&str>| {
            let new = groups::NewGroup {
                kind,
                name: name.into(),
                parent_id: parent,
                practice_code: code.map(Into::into),
            };
            async move { groups::create(db, &Actor::System, new).await.unwrap().id }
        };
        let council = group(GroupKind::Council, "Council", None, None).await;
        let d0 = group(GroupKind::District, "North", Some(council), None).await;
        let d1 = group(GroupKind::District, "South", Some(council), None).await;
        let p00 = group(GroupKind::Ppg, "North A", Some(d0), Some("A00001")).await;
        let p01 = group(GroupKind::Ppg, "North B", Some(d0), Some("A00002")).await;
        let p10 = group(GroupKind::Ppg, "South A", Some(d1), Some("A00003")).await;
        let p11 = group(GroupKind::Ppg, "South B", Some(d1), Some("A00004")).await;

        let person_in = async |name: &str, group: GroupId, role: Role| {
            let add = members::AddMember {
                group_id: group,
                member: members::MemberRef::New {
                    name: name.into(),
                    email: Some(format!("{}@test.example", name.replace(' ', "."))),
                },
                role,
                since: None,
            };
            let membership = members::add_member(db, &system, add).await.unwrap();
            let id = membership.member_id;
            Person {
                id,
                token: app.token_for(id).await,
            }
        };
        let admin = person_in("Admin", council, Role::Staff).await;
        members::grant_area_role(db, &system, admin.id, council, OrgRole::Administrator)
            .await
            .unwrap();
        let commissioner = person_in("Commissioner", council, Role::Staff).await;
        members::grant_area_role(db, &system, commissioner.id, council, OrgRole::Commissioner)
            .await
            .unwrap();
        let district_secretary = person_in("North Secretary", d0, Role::Secretary).await;
        let ppg_member = person_in("Pat Member", p00, Role::Member).await;
        let other_member = person_in("Sam Member", p00, Role::Member).await;
        let ppg_chair = person_in("Chris Chair", p00, Role::Chair).await;
        let north_b_chair = person_in("Bo Chair", p01, Role::Chair).await;
        let council_chair = person_in("Council Chair", council, Role::Chair).await;
        let south_member = person_in("Sue South", p10, Role::Member).await;
        Pyramid {
            council,
            districts: [d0, d1],
            ppgs: [[p00, p01], [p10, p11]],
            admin,
            commissioner,
            district_secretary,
            ppg_member,
            other_member,
            ppg_chair,
            north_b_chair,
            council_chair,
            south_member,
        }
    }

    /// Nominates `person` (a member of `group`) as its representative on the tier above.
    /// Seats are read with the token on each request, so the same token carries the new seat.
    pub async fn nominate(&self, app: &TestApp, group: GroupId, person: &Person) {
        members::nominate(
            &app.db,
            &Actor::System,
            members::Nomination {
                group_id: group,
                member_id: person.id,
                since: None,
            },
        )
        .await
        .unwrap();
    }
}
